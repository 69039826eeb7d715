internal import CLibPQ

/// How a transaction ends: its body says whether its work stays.
public enum TransactionEnd<Value> {
    /// Keep the work, and hand `value` to the caller.
    case commit(Value)
    /// Undo the work (a dry run), and hand `value` to the caller.
    case rollback(Value)
}

/// The isolation of a transaction (PostgreSQL's `BEGIN ISOLATION LEVEL …`).
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresConnection {
    /// Runs `body` in a transaction that commits or rolls back as `body` says; if `body` throws, rolls
    /// back and rethrows. Transactions do not nest: beginning one inside another is refused (a nested
    /// COMMIT would end the outer transaction, and with it a report's snapshot).
    ///
    /// - Parameters:
    ///   - isolation: The isolation level (`REPEATABLE READ` for one consistent snapshot).
    ///   - readOnly: Whether the transaction may only read.
    /// - Returns: The value `body` ended with, once the commit (or rollback) has succeeded.
    /// - Throws: ``PostgresError`` with code `nestedTransaction` when a transaction is already open, `connectionLost`
    ///   when the connection is gone.
    public func transaction<T>(
        isolation: IsolationLevel = .readCommitted, readOnly: Bool = false,
        _ body: (PostgresConnection) throws -> TransactionEnd<T>
    ) throws -> T {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: break
        // The connection is gone (a restart, a terminated backend): that is the error, not a nesting.
        case PQTRANS_UNKNOWN: throw lastError()
        default: throw PostgresError(code: .nestedTransaction, message: "a transaction is already open on this connection")
        }
        switch (isolation, readOnly) {
        case (.readCommitted, false): try query("BEGIN")
        case (.readCommitted, true): try query("BEGIN READ ONLY")
        case (.repeatableRead, false): try query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        case (.repeatableRead, true): try query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        case (.serializable, false): try query("BEGIN ISOLATION LEVEL SERIALIZABLE")
        case (.serializable, true): try query("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY")
        }
        let end: TransactionEnd<T>
        do {
            end = try body(self)
        } catch {
            // The connection may be gone; the caller's error is the one that matters.
            _ = try? query("ROLLBACK")
            throw error
        }
        switch end {
        case .commit(let value):
            try query("COMMIT")
            return value
        case .rollback(let value):
            try query("ROLLBACK")
            return value
        }
    }

    /// Runs `body` inside a savepoint of the open transaction: released when `body` returns, rolled back to
    /// (its work undone, the transaction usable again) and the error rethrown when `body` throws.
    ///
    /// - Throws: ``PostgresError`` (code `protocolViolation`) when no transaction is open; whatever `body` throws.
    @discardableResult
    public func withSavepoint<T>(_ body: () throws -> T) throws -> T {
        guard PQtransactionStatus(handle) == PQTRANS_INTRANS else {
            throw PostgresError(code: .protocolViolation, message: "a savepoint needs an open transaction")
        }
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let name = SQLQuery(text: "crm_savepoint_\(savepointDepth)")
        try query("SAVEPOINT \(name)")
        let value: T
        do {
            value = try body()
        } catch {
            _ = try? query("ROLLBACK TO SAVEPOINT \(name)")
            _ = try? query("RELEASE SAVEPOINT \(name)")
            throw error
        }
        try query("RELEASE SAVEPOINT \(name)")
        return value
    }

    /// Drops the table `name` when it exists (a temporary one found through the search path), without the
    /// server's "does not exist, skipping" notice that `DROP TABLE IF EXISTS` sends when it does not.
    public func dropTableIfPresent(_ name: SQLName) throws {
        guard try query("SELECT to_regclass(\(bind: name.sql)) IS NOT NULL AS present").scalar(Bool.self) else { return }
        try query("DROP TABLE \(name)")
    }

    /// Sets a configuration parameter for the rest of the current transaction only, with the `SET LOCAL`
    /// statement rather than `set_config(…, true)`: on Citus only the statement reaches the shards'
    /// connections (with `citus.propagate_set_commands = 'local'`), where policies and triggers read it.
    /// `SET` takes no parameters, so the value is escaped by libpq and the name quoted as an identifier.
    public func setLocal(_ name: String, to value: String) throws {
        try execute(text: "SET LOCAL \(quoteIdentifier(name)) = \(try escapeLiteral(value))")
    }
}
