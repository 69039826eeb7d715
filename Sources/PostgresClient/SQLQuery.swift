import Foundation

/// An SQL statement and its values, built by string interpolation so that no data is ever spliced into
/// SQL text: `\(bind: value)` becomes a `$n` parameter sent apart from the text, `\(ident: name)` a quoted
/// identifier, `\(name)` an ``SQLName``, and `\(fragment)` another query spliced with its own values.
///
/// ```swift
/// let run: SQLQuery = "SELECT status FROM \(SQLName.importRuns) WHERE id = \(bind: id)"
/// ```
public struct SQLQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Piece: Sendable, Hashable {
        case text(String)
        case value(String?)
    }

    private(set) var pieces: [Piece]

    /// A statement without values, from a literal. (Swift lets anyone call this initializer with any
    /// string; never do: a query is made of literals, ``SQLName``s, quoted identifiers and bound values.)
    public init(stringLiteral text: String) {
        pieces = [.text(text)]
    }

    /// A statement from text this module trusts (a constant, or a script statement that takes no values).
    init(text: String) {
        pieces = [.text(text)]
    }

    /// A statement from raw text that nothing checks: only for SQL that ships as a file with the code or its
    /// tests (a vendored query) — never for text built from data.
    public init(unsafeShippedSQL: String) {
        pieces = [.text(unsafeShippedSQL)]
    }

    public init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
    }

    private init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// The text with `$1`, `$2`, … in place of the values, and the values in text format (`nil` is NULL).
    public var rendered: (sql: String, parameters: [String?]) {
        var sql = ""
        var parameters: [String?] = []
        for piece in pieces {
            switch piece {
            case .text(let text): sql += text
            case .value(let value):
                parameters.append(value)
                sql += "$\(parameters.count)"
            }
        }
        return (sql, parameters)
    }

    /// The SQL text with placeholders, never the values (they may be personal data).
    public var description: String { rendered.sql }

    /// The first line of the text, shortened: how an error names the query it is about.
    var summary: String {
        let text = rendered.sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return text.count <= 100 ? text : String(text.prefix(99)) + "…"
    }

    /// `queries` joined by `separator` (an SQL text such as `", "` or `" UNION ALL "`).
    public static func joined(_ queries: [SQLQuery], separator: StaticString) -> SQLQuery {
        var pieces: [Piece] = []
        for (index, query) in queries.enumerated() {
            if index > 0 { pieces.append(.text(separator.description)) }
            pieces += query.pieces
        }
        return SQLQuery(pieces: pieces)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            pieces.append(.text(literal))
        }

        /// A value, sent as a parameter.
        public mutating func appendInterpolation(bind value: (any SQLParameter)?) {
            pieces.append(.value(value?.sqlText))
        }

        /// An integer written into the text, for the places that take no parameter (DDL, or an expression an
        /// index must match as planned): a number has no quoting to get wrong.
        public mutating func appendInterpolation(literal value: Int) {
            pieces.append(.text(String(value)))
        }

        /// An identifier (a column, a table in the search path), quoted.
        public mutating func appendInterpolation(ident name: String) {
            pieces.append(.text(quoteIdentifier(name)))
        }

        /// A table or function of the project, by its one definition.
        public mutating func appendInterpolation(_ name: SQLName) {
            pieces.append(.text(name.sql))
        }

        /// Another query, with its values.
        public mutating func appendInterpolation(_ fragment: SQLQuery) {
            pieces += fragment.pieces
        }
    }
}

extension SQLQuery {
    /// The text of a statement that takes no values (SET, a migration file), for ``PostgresConnection``.
    var plainText: String? {
        pieces.allSatisfy { if case .text = $0 { true } else { false } } ? rendered.sql : nil
    }
}
