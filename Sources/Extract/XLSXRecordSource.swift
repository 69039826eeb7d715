import PipelineCore

/// Records of one entity from one sheet of an XLSX workbook: the first row with a cell is the header,
/// matched to the entity's fields as a CSV header is; each later row is a record, located by its row
/// number (`book.xlsx!/Contacts:12`).
public final class XLSXRecordSource: RecordSource {
    public let path: String
    public var bytesRead: Int { rows.consumed }
    public let entity: Entity
    public private(set) var notes: [String] = []

    private let rows: XLSXSheetReader
    private let columnIndexes: [[Int]]
    private let constants: [String?]
    private let headerCount: Int

    /// Opens sheet `sheet` of the workbook at `input.path`.
    ///
    /// - Throws: ``ExtractError`` for a sheet without a header or a workbook that cannot be read,
    ///   ``MappingError`` when the column mapped to a required field is missing, `XMLError` for a hostile part.
    init(input: InputFile, sheet: XLSXWorkbook.Sheet, entity: Entity, mapping: Mapping.EntityMapping?) throws {
        path = input.name
        self.entity = entity
        let workbook = try XLSXWorkbook(path: input.path, withStrings: true)
        // Date cells are written in the mapping's first pattern for their field, so that it reads them back.
        var patternOfColumn: [Int: String] = [:]
        let headerReader = try XLSXSheetReader(workbook: workbook, part: sheet.part) { _ in "yyyy-MM-dd HH:mm:ss" }
        guard let header = try headerReader.next() else {
            throw ExtractError.missingColumn(file: path, column: mapping?.sourceName(of: .email, xml: false) ?? "email", entity: entity)
        }
        headerCount = (header.cells.keys.max() ?? -1) + 1
        let names = (0..<headerCount).map { header.cells[$0] ?? "" }
        let match = try HeaderMatch(header: names, entity: entity, mapping: mapping, name: path)
        for (field, columns) in zip(entity.fields, match.columnIndexes) {
            guard let pattern = mapping?.dateFormats[field]?.first else { continue }
            for column in columns { patternOfColumn[column] = pattern }
        }
        columnIndexes = match.columnIndexes
        constants = match.constants
        notes = match.notes
        rows = try XLSXSheetReader(workbook: workbook, part: sheet.part) { patternOfColumn[$0] ?? "yyyy-MM-dd HH:mm:ss" }
        _ = try rows.next()  // the header again
    }

    public func next() throws -> SourceRecord? {
        guard let row = try rows.next() else { return nil }
        let values = zip(columnIndexes, constants).map { columns, constant in
            constant ?? columns.compactMap { row.cells[$0] }.first { !$0.allSatisfy(\.isWhitespace) }
        }
        var record = SourceRecord(entity: entity, location: SourceLocation(file: path, line: row.number), values: values)
        // (XML cannot hold a NUL byte: libxml2 refuses the part, so no cell has one.)
        if let last = row.cells.keys.max(), last >= headerCount {
            record.problem = .wrongFieldCount(expected: headerCount, found: last + 1)
        }
        return record
    }
}
