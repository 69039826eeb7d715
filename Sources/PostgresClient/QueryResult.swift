internal import CLibPQ

/// The rows a statement returned and the number of rows it affected.
public struct QueryResult: Sendable {
    /// The column names, in order.
    public let columns: [String]
    /// The rows, whose values are read by column name (``Row/decode(_:_:)``).
    public let rows: [Row]
    /// The number of rows the statement inserted, updated, deleted or copied (`PQcmdTuples`), 0 if none.
    public let affectedRows: Int
    private let query: String

    init(_ result: OpaquePointer, query: String) {
        self.query = query
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        self.columns = columns
        rows = (0..<rowCount).map { row in
            Row(columns: columns, values: (0..<columnCount).map { column in
                PQgetisnull(result, Int32(row), Int32(column)) == 1
                    ? nil : String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }, query: query)
        }
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// The single value of a one-column result as `type`: the first row's, or NULL when there is no row.
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) when the result has another number of columns,
    ///   or the value is NULL (or missing) where `type` is not optional, or is not a `type`.
    public func scalar<T: SQLDecodable>(_ type: T.Type) throws -> T {
        guard columns.count == 1 else {
            throw PostgresError(code: .unexpectedResult, message: "expected one column, got \(columns.count): \(columns.joined(separator: ", "))")
        }
        guard let row = rows.first else {
            return try Row(columns: columns, values: [nil], query: query).decode(type, columns[0])
        }
        return try row.decode(type, columns[0])
    }

    /// The one row of a statement that always returns one (an aggregate without GROUP BY).
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) when it returned another number of rows.
    public func singleRow() throws -> Row {
        guard rows.count == 1, let row = rows.first else {
            throw PostgresError(code: .unexpectedResult, message: "expected one row, got \(rows.count) from: \(query)")
        }
        return row
    }

    /// The one row of the result, decoded as `type`.
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) when there is no row or more than one, or what
    ///   `type` throws when a column is missing or of another type.
    public func one<T: RowDecodable>(as type: T.Type) throws -> T {
        try T(row: singleRow())
    }

    /// The one row of the result decoded as `type`, or `nil` when there is none.
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) when there is more than one row; what `type` throws.
    public func optional<T: RowDecodable>(as type: T.Type) throws -> T? {
        rows.isEmpty ? nil : try one(as: type)
    }

    /// Every row of the result, decoded as `type`, in order.
    public func all<T: RowDecodable>(as type: T.Type) throws -> [T] {
        try rows.map(T.init(row:))
    }

    /// Every value in PostgreSQL's text form, by position — for tests and diagnostics only: product
    /// code decodes by column name.
    public var textRows: [[String?]] { rows.map(\.values) }

    /// The first value of the first row in text form, or `nil` — for tests only (see ``textRows``).
    public var textScalar: String? { rows.first?.values.first ?? nil }
}
