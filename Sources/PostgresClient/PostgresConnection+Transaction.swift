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

    /// Sets a configuration parameter for the rest of the current transaction only (`set_config(…, true)`).
    public func setLocal(_ name: String, to value: String) throws {
        try query("SELECT set_config($1, $2, true)", [name, value])
    }
}
