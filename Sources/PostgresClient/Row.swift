import Foundation

/// A value that can be read from a column in PostgreSQL's text format.
public protocol SQLDecodable {
    /// The value a non-NULL text stands for, or `nil` when the text is not such a value.
    init?(sqlText: String)
}

extension String: SQLDecodable {
    public init?(sqlText: String) { self = sqlText }
}

extension Int: SQLDecodable {
    public init?(sqlText: String) { self.init(sqlText) }
}

extension Int64: SQLDecodable {
    public init?(sqlText: String) { self.init(sqlText) }
}

extension Double: SQLDecodable {
    public init?(sqlText: String) { self.init(sqlText) }
}

extension Bool: SQLDecodable {
    /// `t` or `f`, PostgreSQL's text form of a boolean.
    public init?(sqlText: String) {
        switch sqlText {
        case "t": self = true
        case "f": self = false
        default: return nil
        }
    }
}

/// A column that may be NULL: decoding it as an optional gives `nil` instead of an error.
protocol SQLNullable {
    static var sqlNull: Self { get }
}

extension Optional: SQLNullable {
    static var sqlNull: Self { nil }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    public init?(sqlText: String) {
        guard let value = Wrapped(sqlText: sqlText) else { return nil }
        self = .some(value)
    }
}

/// A type that a row of a result decodes into, its properties read by column name
/// (``QueryResult/one(as:)``, ``QueryResult/all(as:)``).
public protocol RowDecodable {
    /// Reads the row's columns.
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) from ``Row/decode(_:_:)``.
    init(row: Row) throws
}

/// One row of a result: values by column name, decoded to the type the caller expects.
public struct Row: Sendable {
    /// The column names, in order.
    public let columns: [String]
    let values: [String?]
    /// The query the row came from, for error messages.
    let query: String

    /// The value of `column` as `type`.
    ///
    /// - Throws: ``PostgresError`` (code `unexpectedResult`) naming the column and the query when the
    ///   column is not in the result, is NULL where `type` is not optional, or is not a `type`.
    public func decode<T: SQLDecodable>(_ type: T.Type, _ column: String) throws -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw problem("has no column \"\(column)\" (its columns: \(columns.joined(separator: ", ")))")
        }
        guard let text = values[index] else {
            if let nullable = T.self as? any SQLNullable.Type, let null = nullable.sqlNull as? T { return null }
            throw problem("returned NULL in column \"\(column)\", where a \(T.self) is required")
        }
        guard let value = T(sqlText: text) else {
            // The value itself is left out: it may be personal data.
            throw problem("returned a value in column \"\(column)\" that is not a \(T.self)")
        }
        return value
    }

    private func problem(_ what: String) -> PostgresError {
        PostgresError(code: .unexpectedResult, message: "the query `\(query)` \(what)")
    }
}
