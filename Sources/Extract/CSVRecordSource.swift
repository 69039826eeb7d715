import PipelineCore

/// Records of one entity from a CSV file, with the columns a mapping names (or the native ones).
public final class CSVRecordSource: RecordSource {
    public var path: String { reader.path }
    public var bytesRead: Int { reader.bytesRead }
    /// The entity every record of this file is.
    public let entity: Entity
    public private(set) var notes: [String] = []

    private let reader: CSVReader
    private let columnIndexes: [[Int]]
    private let constants: [String?]
    /// Per field, its one column's index, or -1 for a constant or several columns: the common case is read
    /// without touching the nested lists (each of which was retained and released once a field).
    private let singleColumns: [Int]
    private var row = CSVRow()

    /// Opens a CSV file of `entity` and matches its header to the entity's fields.
    ///
    /// - Parameters:
    ///   - mapping: The entity's mapping, if the mapping file names it.
    /// - Throws: ``MappingError`` when the column mapped to a required field is not in the header (exit 64;
    ///   an optional field's is noted and left empty), ``ExtractError`` when a column every record needs
    ///   is missing (exit 65) or the file cannot be read.
    public convenience init(path: String, entity: Entity, mapping: Mapping.EntityMapping?, options: CSVOptions) throws {
        try self.init(input: InputFile(path: path, format: .csv, entity: entity), entity: entity, mapping: mapping, options: options)
    }

    /// Opens the CSV input `input` (a file, a compressed file or an archive member) of `entity`.
    init(input: InputFile, entity: Entity, mapping: Mapping.EntityMapping?, options: CSVOptions) throws {
        self.entity = entity
        let path = input.name
        reader = try CSVReader(name: path, options: options, open: input.openStream)
        let match = try HeaderMatch(header: reader.header, entity: entity, mapping: mapping, name: path)
        columnIndexes = match.columnIndexes
        constants = match.constants
        notes = match.notes
        singleColumns = zip(match.columnIndexes, match.constants).map { indexes, constant in
            constant == nil && indexes.count == 1 ? indexes[0] : -1
        }
    }

    public func next() throws -> SourceRecord? {
        guard try reader.next(into: &row) else { return nil }
        return record(of: row)
    }

    /// The record `row` holds. (A parameter: reading the fields of the stored row retained its buffers once a field.)
    private func record(of row: CSVRow) -> SourceRecord {
        let available = row.count
        var values: [String?] = []
        values.reserveCapacity(columnIndexes.count)
        for (position, column) in singleColumns.enumerated() {
            if column >= 0 {
                values.append(column < available ? row[column] : nil)
            } else if let constant = constants[position] {
                values.append(constant)
            } else {
                // Several columns for one field: the first non-empty one.
                let present = columnIndexes[position].filter { $0 < available }.map { row[$0] }
                values.append(present.first { !$0.allSatisfy(\.isWhitespace) } ?? present.first)
            }
        }
        var record = SourceRecord(entity: entity, location: SourceLocation(file: path, line: row.line), values: values)
        switch row.problem {
        case .fieldTooLarge(let field, let limit)?:
            record.problem = .tooLarge("field \(field + 1) is over \(limit) bytes")
        case .recordTooLarge(let limit)?:
            record.problem = .tooLarge("the record is over \(limit) bytes")
        case .textAfterClosingQuote(let field)?:
            record.problem = .textAfterClosingQuote(field: field + 1)
        case nil:
            if available != reader.header.count {
                record.problem = .wrongFieldCount(expected: reader.header.count, found: available)
            } else if row.containsNUL {
                record.problem = firstNUL(in: row)
            }
        }
        return record
    }

    /// The first NUL byte in a column the entity uses (a NUL in an ignored column harms nothing).
    private func firstNUL(in row: CSVRow) -> SourceRecord.Problem? {
        for (position, indexes) in columnIndexes.enumerated() where constants[position] == nil {
            for index in indexes {
                if let offset = row.nulOffset(at: index) { return .nulByte(field: entity.fields[position], offset: offset) }
            }
        }
        return nil
    }
}
