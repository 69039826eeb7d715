/// A table, a function or another named object, optionally schema-qualified, quoted where it is written
/// into SQL. Projects define their names once, as static members (`SQLName.importRuns`).
public struct SQLName: Sendable, Hashable, CustomStringConvertible {
    /// The schema, or `nil` for a name found through the search path (a temporary table).
    public let schema: String?
    /// The name exactly as in the catalog.
    public let name: String

    public init(schema: String? = nil, _ name: String) {
        self.schema = schema
        self.name = name
    }

    /// The quoted, qualified form for SQL text: `"crm_private"."crm_import_runs"`.
    public var sql: String {
        (schema.map { quoteIdentifier($0) + "." } ?? "") + quoteIdentifier(name)
    }

    /// `schema.name` as people write it (messages, `to_regclass`).
    public var description: String {
        (schema.map { $0 + "." } ?? "") + name
    }
}
