import CLibPQ

/// The rows a statement returned, as text values, and the number of rows it affected.
public struct QueryResult: Sendable {
    /// The column names, in order.
    public let columns: [String]
    /// Each row's values in PostgreSQL's text format; `nil` is SQL `NULL`.
    public let rows: [[String?]]
    /// The number of rows the statement inserted, updated, deleted or copied (`PQcmdTuples`), 0 if none.
    public let affectedRows: Int

    init(_ result: OpaquePointer) {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
        }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The first column of the first row, or `nil` when there is no row or the value is `NULL`.
    public var scalar: String? {
        rows.first?.first ?? nil
    }
}
