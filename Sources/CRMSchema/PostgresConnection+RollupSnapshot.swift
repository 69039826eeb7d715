import PostgresClient

extension PostgresConnection {
    /// Runs `body` in the one snapshot the report rollup's fill needs (``SQLName/activityFill``): a REPEATABLE READ
    /// transaction begun while holding ``AdvisoryLockKey/activityRollup``, so that no folding runs meanwhile, the
    /// deltas the snapshot sees are replaced by its recount, and those committed after it stay (nothing is counted
    /// twice or lost, and no write of the app waits).
    public func inReportRollupSnapshot<T>(_ body: (PostgresConnection) throws -> TransactionEnd<T>) throws -> T {
        try whileHoldingAdvisoryLock(AdvisoryLockKey.activityRollup) {
            try transaction(isolation: .repeatableRead, body)
        }
    }
}
