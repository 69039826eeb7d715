extension PostgresConnection {
    /// Runs `body` inside `BEGIN … COMMIT`; if `body` throws, rolls back and rethrows its error.
    ///
    /// - Parameter body: The work of the transaction. It receives this connection.
    /// - Returns: What `body` returns, once the commit has succeeded.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            // The connection may be gone; the caller's error is the one that matters.
            _ = try? query("ROLLBACK")
            throw error
        }
        try query("COMMIT")
        return value
    }

    /// Sets a configuration parameter for the rest of the current transaction only, with the `SET LOCAL`
    /// statement rather than `set_config(…, true)`: on Citus only the statement reaches the shards'
    /// connections (with `citus.propagate_set_commands = 'local'`), where policies and triggers read it.
    /// `SET` takes no parameters, so the value is escaped by libpq and the name quoted as an identifier.
    public func setLocal(_ name: String, to value: String) throws {
        try query("SET LOCAL \(quoteIdentifier(name)) = \(try escapeLiteral(value))")
    }
}
