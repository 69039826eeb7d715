import Foundation
import PipelineCore

/// The format of an input file.
public enum InputFormat: String, Sendable, CaseIterable {
    case csv
    case xml
}

/// One input file, with its format and (for CSV) its entity.
public struct InputFile: Sendable, Equatable {
    /// The path as given, or as found in a given folder.
    public let path: String
    public let format: InputFormat
    /// The entity of a CSV file; `nil` for XML, whose sections say it record by record.
    public let entity: Entity?

    public init(path: String, format: InputFormat, entity: Entity?) {
        self.path = path
        self.format = format
        self.entity = entity
    }

    /// Expands folders (their `.csv` and `.xml` files, sorted by name) and classifies every file.
    ///
    /// - Parameters:
    ///   - paths: Files or folders, as given on the command line.
    ///   - format: Forces the format of every file (`--format`); otherwise the extension decides.
    ///   - mapping: Its `files` patterns name the entity of foreign CSV files.
    /// - Throws: ``ExtractError`` `.unreadable` (exit 66) for a missing path, `.unknownKind` (exit 64) for a
    ///   file whose format or entity cannot be told.
    public static func collect(_ paths: [String], format: InputFormat?, mapping: Mapping?) throws -> [InputFile] {
        var files: [InputFile] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw ExtractError.unreadable(file: path, reason: "no such file or folder")
            }
            if isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                for name in names where Self.format(ofName: name) != nil {
                    files.append(try classify((path as NSString).appendingPathComponent(name), format: format, mapping: mapping))
                }
            } else {
                files.append(try classify(path, format: format, mapping: mapping))
            }
        }
        return files
    }

    /// Classifies one file.
    public static func classify(_ path: String, format: InputFormat?, mapping: Mapping?) throws -> InputFile {
        let name = (path as NSString).lastPathComponent
        guard let format = format ?? Self.format(ofName: name) else {
            throw ExtractError.unknownKind(
                file: path, reason: "cannot tell the format from the extension: name it .csv or .xml, or give --format")
        }
        guard format == .csv else { return InputFile(path: path, format: .xml, entity: nil) }
        if let entity = mapping?.entity(forFile: path) ?? nativeEntity(ofName: name) {
            return InputFile(path: path, format: .csv, entity: entity)
        }
        throw ExtractError.unknownKind(
            file: path,
            reason: "cannot tell which records this CSV file holds: name it "
                + Entity.allCases.map { "\($0.name)*.csv" }.joined(separator: ", ")
                + ", or give a mapping whose files: pattern matches it")
    }

    private static func format(ofName name: String) -> InputFormat? {
        InputFormat(rawValue: (name as NSString).pathExtension.lowercased())
    }

    private static func nativeEntity(ofName name: String) -> Entity? {
        let lowercased = name.lowercased()
        return Entity.allCases.first { lowercased.hasPrefix($0.name) }
    }

    /// Opens a reader for the records of this file, with the part of the mapping that applies to it.
    public func open(mapping: Mapping?, options: CSVOptions) throws -> any RecordSource {
        let mapping = mapping?.applying(to: path)
        return switch format {
        case .csv:
            try CSVRecordSource(path: path, entity: entity!, mapping: mapping?.entities[entity!], options: options)
        case .xml:
            try XMLRecordSource(path: path, mapping: mapping)
        }
    }
}
