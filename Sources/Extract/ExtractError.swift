import PipelineCore

/// Why an input file cannot be read as a whole. Row-level problems are not errors: they become rejects.
public enum ExtractError: UserFacingError, Equatable {
    /// The file is missing or cannot be read.
    case unreadable(file: String, reason: String)
    /// The bytes are not UTF-8 (and no other encoding was given).
    case invalidUTF8(file: String, line: Int, byteOffset: Int)
    /// A quoted CSV field is still open at the end of the file.
    case unterminatedQuote(file: String, line: Int)
    /// A CSV file lacks a column that every record of its entity needs.
    case missingColumn(file: String, column: String, entity: Entity)
    /// The file's kind cannot be told from its name, extension or the mapping.
    case unknownKind(file: String, reason: String)
    /// A compressed file or an archive that is corrupt, truncated, encrypted or hostile (a zip bomb,
    /// a member outside the archive's folder, an archive inside it).
    case badArchive(file: String, reason: String)
    /// A format the importer does not read (old binary Excel files).
    case unsupportedFormat(file: String, reason: String)

    /// Every case names its file (and line), as `file:line: error: …`.
    public var isLocated: Bool { true }

    public var exitStatus: ExitStatus {
        switch self {
        case .unreadable: .noInput
        case .invalidUTF8, .unterminatedQuote, .missingColumn, .badArchive, .unsupportedFormat: .dataError
        case .unknownKind: .usage
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "\(file): error: cannot read the file: \(reason)"
        case .invalidUTF8(let file, let line, let byteOffset):
            "\(file):\(line): error: invalid UTF-8 at byte offset \(byteOffset);"
                + " if the file is not UTF-8, give --encoding latin1 or --encoding windows-1252"
        case .unterminatedQuote(let file, let line):
            "\(file):\(line): error: a quoted field starts here and is never closed"
        case .missingColumn(let file, let column, let entity):
            "\(file):1: error: the header has no column \"\(column)\", which \(entity) need"
        case .unknownKind(let file, let reason), .unsupportedFormat(let file, let reason):
            "\(file): error: \(reason)"
        case .badArchive(let file, let reason):
            "\(file): error: the archive cannot be read: \(reason); nothing was loaded"
        }
    }
}
