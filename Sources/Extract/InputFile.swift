import ArchiveStream
import Foundation
import PipelineCore

/// The format of an input file.
public enum InputFormat: String, Sendable, CaseIterable {
    case csv
    case xml
    /// An Excel workbook (Office Open XML); each sheet is an input.
    case xlsx
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
        /// A sheet of an XLSX workbook: its name and its part in the workbook's zip.
        case sheet(name: String, part: String)
    }

    /// The file on disk, as given or as found in a given folder (for an archive member: the archive).
    public let path: String
    public let format: InputFormat
    /// The entity of a CSV file or a sheet; `nil` for XML, whose sections say it record by record.
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
        switch packaging {
        case .archived(let member): "\(path)!/\(member)"
        case .sheet(let sheet, _): "\(path)!/\(sheet)"
        case .plain, .compressed: path
        }
    }

    /// The name the input is classified and mapped by: a member's own, a compressed file's without its
    /// compression extension.
    public var innerName: String {
        switch packaging {
        case .plain, .sheet: (path as NSString).lastPathComponent
        case .compressed: ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        case .archived(let member): (member as NSString).lastPathComponent
        }
    }

    /// Opens the input's bytes.
    func openStream() throws -> any ByteStream {
        switch packaging {
        case .plain, .sheet: try FileBlockReader(path: path)
        case .compressed: try ArchiveMemberStream(path: path, kind: .compressed, member: nil, name: name)
        case .archived(let member): try ArchiveMemberStream(path: path, kind: .archive, member: member, name: name)
        }
    }

    /// Opens a reader for the records of this input, with the part of the mapping that applies to it.
    public func open(mapping: Mapping?, options: CSVOptions) throws -> any RecordSource {
        let mapping = mapping?.applying(to: innerName)
        /// A CSV file or a sheet holds one entity, which its name (or the caller) must have said.
        func tableEntity() throws -> Entity {
            guard let entity else {
                throw ExtractError.unknownKind(file: path, reason: "a \(format) input needs its entity (users, job_requests, …), and none was given")
            }
            return entity
        }
        switch (format, packaging) {
        case (.csv, _):
            let entity = try tableEntity()
            return try CSVRecordSource(input: self, entity: entity, mapping: mapping?.entities[entity], options: options)
        case (.xml, _):
            return try XMLRecordSource(input: self, mapping: mapping)
        case (.xlsx, .sheet(let sheet, let part)):
            let entity = try tableEntity()
            return try XLSXRecordSource(input: self, sheet: XLSXWorkbook.Sheet(name: sheet, part: part), entity: entity,
                                        mapping: mapping?.entities[entity])
        case (.xlsx, _):
            throw ExtractError.unknownKind(file: path, reason: "--format xlsx is for .xlsx workbooks, whose sheets are read")
        }
    }
}
