/// A value that travels to PostgreSQL as a text-format query parameter (`$1`, `$2`, …).
///
/// Values are never spliced into SQL text; they are always sent separately with `PQexecParams`.
public protocol SQLParameter {
    /// The value in PostgreSQL's text input format.
    var sqlText: String { get }
}

extension String: SQLParameter {
    public var sqlText: String { self }
}

extension Substring: SQLParameter {
    public var sqlText: String { String(self) }
}

extension Int: SQLParameter {
    public var sqlText: String { String(self) }
}

extension Int32: SQLParameter {
    public var sqlText: String { String(self) }
}

extension Int64: SQLParameter {
    public var sqlText: String { String(self) }
}

extension Double: SQLParameter {
    public var sqlText: String { String(self) }
}

extension Bool: SQLParameter {
    public var sqlText: String { self ? "true" : "false" }
}

/// Quotes an SQL identifier (table, column, role) for the few statements that cannot take it as a
/// parameter: wraps it in double quotes and doubles any embedded double quote.
///
/// - Parameter identifier: The name exactly as stored in the catalog (case is kept).
/// - Returns: The quoted identifier, safe to place in SQL text.
public func quoteIdentifier(_ identifier: String) -> String {
    var quoted = "\""
    for character in identifier {
        quoted.append(character)
        if character == "\"" { quoted.append(character) }
    }
    return quoted + "\""
}

/// An array travels as PostgreSQL's array literal (`{"a","b"}`), every element quoted and escaped, so that
/// `\(bind: emails)::text[]` is one parameter whatever the emails hold.
extension Array: SQLParameter where Element: SQLParameter {
    public var sqlText: String {
        "{" + map { element in
            var quoted = "\""
            for character in element.sqlText {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            return quoted + "\""
        }.joined(separator: ",") + "}"
    }
}
