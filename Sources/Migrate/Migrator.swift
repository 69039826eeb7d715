import CRMSchema
import Foundation
import Logging
import PostgresClient

/// Applies the shipped migrations to a database, each in its own transaction, and records them
/// (with their SHA-256) in `crm_private.crm_schema_migrations`.
public struct Migrator: Sendable {
    /// The state of one migration in a database.
    public enum State: Equatable, Sendable {
        /// Applied at the given time (PostgreSQL's text form).
        case applied(at: String)
        /// Not applied yet.
        case pending
    }

    /// A migration and its state.
    public struct Status: Equatable, Sendable {
        public let migration: Migration
        public let state: State
    }


    /// Creates the bookkeeping table where it is missing, moving it out of `public` where an earlier
    /// release kept it. Idempotent, and part of every printed script; ``migrate(_:)`` runs it only when
    /// something is missing, so that a role that owns nothing can run a migrate that has nothing to do.
    static let bookkeepingSQL = """
        CREATE SCHEMA IF NOT EXISTS \(SQLName.privateSchema);
        DO $bookkeeping$
        BEGIN
            IF to_regclass('\(SQLName.schemaMigrations)') IS NULL AND to_regclass('\(SQLName.legacySchemaMigrations)') IS NOT NULL THEN
                ALTER TABLE \(SQLName.legacySchemaMigrations.sql) SET SCHEMA \(SQLName.privateSchema);
            END IF;
        END
        $bookkeeping$;
        CREATE TABLE IF NOT EXISTS \(SQLName.schemaMigrations.sql) (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """

    /// The bookkeeping table that holds the records: the private one, an earlier release's in `public`,
    /// or none yet. Reads the catalog only.
    static func bookkeepingTable(on connection: PostgresConnection) throws -> SQLName? {
        let row = try connection.query("""
            SELECT to_regclass(\(bind: SQLName.schemaMigrations.description)) IS NOT NULL AS private,
                   to_regclass(\(bind: SQLName.legacySchemaMigrations.description)) IS NOT NULL AS legacy
            """).singleRow()
        if try row.decode(Bool.self, "private") { return .schemaMigrations }
        return try row.decode(Bool.self, "legacy") ? SQLName.legacySchemaMigrations : nil
    }

    private let migrations: [Migration]
    private let logger: Logger
    private let lockWait: LockWaitPolicy

    /// - Parameters:
    ///   - migrations: The migrations to manage, in version order (normally ``MigrationCatalog/shipped()``).
    ///   - logger: Where progress is logged.
    ///   - lockWait: How long a statement waits for a lock, and how often a migration is tried.
    public init(migrations: [Migration], logger: Logger, lockWait: LockWaitPolicy = LockWaitPolicy()) {
        self.migrations = migrations
        self.logger = logger
        self.lockWait = lockWait
    }

    /// Each shipped migration with its state in the database. Reads only: a database without the
    /// bookkeeping table has every migration pending.
    ///
    /// - Throws: ``MigrationError/edited(name:recorded:shipped:)`` when an applied file changed.
    public func status(on connection: PostgresConnection) throws -> [Status] {
        guard let table = try Self.bookkeepingTable(on: connection) else {
            return migrations.map { Status(migration: $0, state: .pending) }
        }
        let rows = try connection.query(
            "SELECT version, name, checksum, applied_at::text AS applied_at FROM \(table) ORDER BY version"
        ).rows
        var applied: [Int: (checksum: String, at: String)] = [:]
        for row in rows {
            let version = try row.decode(Int.self, "version")
            let name = try row.decode(String.self, "name")
            let checksum = try row.decode(String.self, "checksum")
            guard let migration = migrations.first(where: { $0.version == version }) else {
                throw MigrationError.unknownApplied(name: name)
            }
            guard migration.checksum == checksum else {
                throw MigrationError.edited(name: migration.name, recorded: checksum, shipped: migration.checksum)
            }
            applied[version] = (checksum, try row.decode(String.self, "applied_at"))
        }
        return migrations.map { migration in
            Status(migration: migration, state: applied[migration.version].map { .applied(at: $0.at) } ?? .pending)
        }
    }

    /// What a migration needs once `migrate --citus` has distributed the CRM tables: Citus refuses to
    /// create or drop a trigger on them unless `enable_unsafe_triggers` is on (the triggers only touch
    /// rows of the same email: see Citus/distribute.sql), and refuses a function command after DDL that
    /// it ran over several connections, unless the transaction is sequential. Without Citus these are
    /// placeholder settings that nothing reads.
    static let citusSettings: [SQLQuery] = [
        "SET LOCAL citus.enable_unsafe_triggers = on",
        "SET LOCAL citus.multi_shard_modify_mode = 'sequential'",
    ]

    /// Applies every pending migration in version order, each in one transaction. A statement waits at most
    /// the policy's timeout for a lock; the migration is then rolled back and tried again after a pause.
    ///
    /// - Parameter watcher: Opens a second session, which names the holders of a lock a migration waits for
    ///   (`pg_blocking_pids`); without it the error cannot name them.
    /// - Returns: The migrations that were applied now (empty when the database was up to date).
    /// - Throws: ``MigrationError``; a failed migration leaves the ones before it applied and itself not.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, watcher: (@Sendable () throws -> PostgresConnection)? = nil) throws -> [Migration] {
        // Wait for a concurrent migrate to finish rather than fail: it is usually a deploy race.
        try connection.query("SELECT pg_advisory_lock(\(bind: AdvisoryLockKey.migrator))")
        defer { _ = try? connection.advisoryUnlock(AdvisoryLockKey.migrator) }

        if try Self.bookkeepingTable(on: connection) != .schemaMigrations {
            try connection.transaction { connection in
                try connection.executeScript(Self.bookkeepingSQL)
                return .commit(())
            }
        }
        let pending = try status(on: connection).filter { $0.state == .pending }.map(\.migration)
        let pid = try connection.query("SELECT pg_backend_pid() AS pid").scalar(Int.self)
        for migration in pending {
            logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
            try apply(migration, on: connection, watching: watcher.map { (pid, $0) })
        }
        try fillReportRollup(on: connection)
        return pending
    }

    /// Fills the report rollup (migration 0024) from the tables once, after the migration that made it
    /// committed: in one snapshot (``PostgresConnection/inReportRollupSnapshot(_:)``), so that the app's writes
    /// go on meanwhile. Nothing when it is filled, or on Citus.
    private func fillReportRollup(on connection: PostgresConnection) throws {
        let state = SQLName.activityRollupState
        guard try connection.query("SELECT to_regclass(\(bind: state.sql)) IS NOT NULL AS present").scalar(Bool.self),
              try connection.query("SELECT NOT in_use AND NOT \(SQLName.isDistributed)() AS unfilled FROM \(state)").scalar(Bool.self)
        else { return }
        logger.info("filling the report rollup from the tables")
        try connection.inReportRollupSnapshot { connection in
            try connection.query("SELECT \(SQLName.activityFill)()")
            return .commit(())
        }
    }

    /// Applies one migration, trying again while a statement of it times out waiting for a lock.
    private func apply(
        _ migration: Migration, on connection: PostgresConnection, watching: (pid: Int, connect: @Sendable () throws -> PostgresConnection)?
    ) throws {
        var holders: [LockHolder] = []
        for attempt in 1...max(1, lockWait.attempts) {
            let watcher = watching.map { LockHolderWatcher(pid: $0.pid, connect: $0.connect) }
            do {
                defer { if let seen = watcher?.stop(), !seen.isEmpty { holders = seen } }
                try connection.transaction { connection in
                    try connection.setLocal("lock_timeout", to: lockWait.setting)
                    for setting in Self.citusSettings { try connection.query(setting) }
                    try connection.executeScript(migration.sql)
                    try connection.query("""
                        INSERT INTO \(SQLName.schemaMigrations) (version, name, checksum)
                        VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: migration.checksum))
                        """)
                    return .commit(())
                }
                return
            } catch let error as PostgresError where error.sqlState == .lockNotAvailable {
                guard attempt < lockWait.attempts else { break }
                let pause = lockWait.pause(after: attempt)
                logger.notice("a table the migration needs is locked: trying again", metadata: [
                    "migration": "\(migration.name)", "attempt": "\(attempt) of \(lockWait.attempts)",
                    "pause": "\(pause) s", "held by": "\(holders.map(\.description).joined(separator: "; "))",
                ])
                Thread.sleep(forTimeInterval: pause)
            } catch let error as PostgresError {
                throw MigrationError.failed(name: migration.name, error: error)
            }
        }
        throw MigrationError.locked(name: migration.name, policy: lockWait, holders: holders)
    }

    /// The SQL that applies `migrations` by hand (`psql -v ON_ERROR_STOP=1 -f …`), each in its own
    /// transaction, recording them exactly as ``migrate(_:)`` does, so that a later `crm-pipeline migrate`
    /// sees them as applied.
    public static func script(for migrations: [Migration]) -> String {
        var script = "-- crm-pipeline migrations: \(migrations.count) to apply, each in its own transaction.\n"
        script += bookkeepingSQL + "\n"
        for migration in migrations {
            script += "\n-- \(migration.name)\nBEGIN;\n" + body(of: migration) + "COMMIT;\n"
        }
        return script
    }

    /// One file per migration, named as the migration, for a folder that a tool applies file by file, each
    /// in a transaction of its own (`supabase db push` and `supabase/migrations/`): no transaction
    /// statements, and each file creates the bookkeeping table if it has to and records itself in it.
    public static func files(for migrations: [Migration]) -> [(name: String, sql: String)] {
        migrations.map { migration in
            (migration.name, "-- crm-pipeline migration \(migration.name): apply in one transaction.\n"
                + bookkeepingSQL + "\n" + body(of: migration))
        }
    }

    /// The statements of one migration's transaction: the settings, the migration, its record.
    private static func body(of migration: Migration) -> String {
        citusSettings.map { $0.description + ";\n" }.joined() + migration.sql + "\n"
            + "INSERT INTO \(SQLName.schemaMigrations.description) (version, name, checksum) VALUES ("
            + "\(migration.version), '\(migration.name.replacing("'", with: "''"))', '\(migration.checksum)');\n"
    }
}
