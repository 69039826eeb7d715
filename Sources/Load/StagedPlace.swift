import PipelineCore
import PostgresClient

/// Where a staged row came from, read from a result's `file` (the file's index) and `line` columns.
struct StagedPlace: RowDecodable {
    let file: Int
    let line: Int

    init(row: Row) throws {
        file = try row.decode(Int.self, "file")
        line = try row.decode(Int.self, "line")
    }

    /// The place in the input, `path` naming the file of an index.
    func location(_ path: (Int) -> String) -> SourceLocation {
        SourceLocation(file: path(file), line: line)
    }
}

/// A staged row a check refused: where it came from, the refused `value` and, where the statement says it, the
/// `message` why.
struct RefusedRow: RowDecodable {
    let place: StagedPlace
    let value: String?
    let message: String?

    init(row: Row) throws {
        place = try StagedPlace(row: row)
        value = try row.decode(String?.self, "value")
        message = row.columns.contains("message") ? try row.decode(String.self, "message") : nil
    }
}
