extension PostgresConnection {
    /// Takes a session-level advisory lock if nobody else holds it.
    ///
    /// - Returns: `true` when the lock is now held by this session, `false` when another session holds it.
    public func tryAdvisoryLock(_ key: Int64) throws -> Bool {
        try query("SELECT pg_try_advisory_lock(\(bind: key)) AS locked").scalar(Bool.self)
    }

    /// Runs `body` while holding a session-level advisory lock, waiting for it while another session holds it,
    /// and releases it afterwards.
    public func whileHoldingAdvisoryLock<T>(_ key: Int64, _ body: () throws -> T) throws -> T {
        try query("SELECT pg_advisory_lock(\(bind: key))")
        defer { _ = try? advisoryUnlock(key) }
        return try body()
    }

    /// Releases a session-level advisory lock taken with ``tryAdvisoryLock(_:)``.
    public func advisoryUnlock(_ key: Int64) throws {
        try query("SELECT pg_advisory_unlock(\(bind: key))")
    }

    /// Runs `body` while holding a session-level advisory lock, and releases it afterwards.
    ///
    /// - Returns: What `body` returns, or `nil` without running it when another session holds the lock.
    public func withAdvisoryLock<T>(_ key: Int64, _ body: () throws -> T) throws -> T? {
        guard try tryAdvisoryLock(key) else { return nil }
        defer { _ = try? advisoryUnlock(key) }
        return try body()
    }
}
