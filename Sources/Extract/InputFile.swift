import ArchiveStream
import Foundation
import PipelineCore

/// The format of an input file.
public enum InputFormat: String, Sendable, CaseIterable {
    case csv
    case xml
}

/// One input: a file, or one member of an archive, with its format and (for CSV) its entity.
public struct InputFile: Sendable, Equatable {
    /// How the input's bytes are stored on disk.
    public enum Packaging: Sendable, Equatable {
        /// A loose file.
        case plain
        /// A file compressed with gzip, bzip2 or xz.
        case compressed
        /// A member of a zip or tar archive.
        case archived(member: String)
    }

    /// The file on disk, as given or as found in a given folder (for an archive member: the archive).
    public let path: String
    public let format: InputFormat
    /// The entity of a CSV file; `nil` for XML, whose sections say it record by record.
    public let entity: Entity?
    public let packaging: Packaging

    public init(path: String, format: InputFormat, entity: Entity?, packaging: Packaging = .plain) {
        self.path = path
        self.format = format
        self.entity = entity
        self.packaging = packaging
    }

    /// How messages and reject lines name the input: the path, or `archive.zip!/member.csv`.
    public var name: String {
        if case .archived(let member) = packaging { return "\(path)!/\(member)" }
        return path
    }

    /// The name the input is classified and mapped by: a member's own, a compressed file's without its
    /// compression extension.
    public var innerName: String {
        switch packaging {
        case .plain: (path as NSString).lastPathComponent
        case .compressed: ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        case .archived(let member): (member as NSString).lastPathComponent
        }
    }

    /// Opens the input's bytes.
    func openStream() throws -> any ByteStream {
        switch packaging {
        case .plain: try FileBlockReader(path: path)
        case .compressed: try ArchiveMemberStream(path: path, kind: .compressed, member: nil, name: name)
        case .archived(let member): try ArchiveMemberStream(path: path, kind: .archive, member: member, name: name)
        }
    }

    /// Opens a reader for the records of this input, with the part of the mapping that applies to it.
    public func open(mapping: Mapping?, options: CSVOptions) throws -> any RecordSource {
        let mapping = mapping?.applying(to: innerName)
        return switch format {
        case .csv: try CSVRecordSource(input: self, entity: entity!, mapping: mapping?.entities[entity!], options: options)
        case .xml: try XMLRecordSource(input: self, mapping: mapping)
        }
    }
}
