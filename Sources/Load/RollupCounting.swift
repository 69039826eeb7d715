import CRMSchema
import PipelineCore
import PostgresClient

/// A nightly's count of the rows its merges insert into the report rollup (migration 0026). Through the rollup's
/// statement triggers each insert grouped a transition table of its rows into deltas, which the fold after the
/// commit deleted and grouped again (~3 s of a 979k-row nightly). A plain insert of every staged row runs with
/// the rollup's insert triggers aside instead (``ReportRollup/switchSetting``); the rows it inserted are the staging's, which
/// are counted once for all entities, per month and user as the triggers count them, and added to the folded
/// rows before the commit (a backfill's chunk too). Every other write of the import (the
/// guarded inserts, updates, removals, moves) keeps the triggers.
enum RollupCounting {
    /// Runs `insert` with the rollup's insert triggers aside, then turns them back on. Only inside a savepoint: a
    /// rollback to it turns them back on as well.
    static func uncounted<T>(on connection: PostgresConnection, _ insert: () throws -> T) throws -> T {
        try turnSwitch("on", on: connection)
        let result = try insert()
        try turnSwitch("off", on: connection)
        return result
    }

    private static func turnSwitch(_ value: String, on connection: PostgresConnection) throws {
        try connection.query("SELECT set_config(\(bind: ReportRollup.switchSetting), \(bind: value), true) AS setting")
    }

    /// Counts the staged rows of `entities`, each inserted whole with the triggers aside, per month and user
    /// (``SQLName/activityCounted``): a row counts in the UTC month of its time as inserted, as in the triggers.
    static func count(_ entities: [Entity], on connection: PostgresConnection) throws {
        let legs = SQLQuery.joined(entities.compactMap(leg), separator: " UNION ALL ")
        func total(_ column: String) -> SQLQuery { "sum(\(ident: column))::integer AS \(ident: column)" }
        try connection.query("""
            CREATE TEMPORARY TABLE \(SQLName.activityCounted) ON COMMIT DROP AS
            SELECT month, email, \(SQLQuery.joined(countedColumns.map(total), separator: ", ")), \(total("charged"))
            FROM (\(legs)) inserted
            GROUP BY month, email
            """)
    }

    /// Adds the counted rows to the rollup's folded rows, holding the folding's lock to the commit, if that lock is
    /// free; else appends them as deltas, which the fold after the commit adds. Never waits for the lock: a nightly
    /// holds the rows of its final writes, which the app may be waiting for, `verify --fix` holds the lock through a
    /// whole recount, and a backfill's parallel chunks would queue behind each other's commits.
    static func add(on connection: PostgresConnection) throws {
        if try connection.query("SELECT pg_try_advisory_xact_lock(\(bind: AdvisoryLockKey.activityRollup)) AS locked").scalar(Bool.self) {
            try connection.query("SELECT \(SQLName.activityAdd)(\(bind: SQLName.activityCounted.sql)::regclass) AS added")
            return
        }
        let columns: SQLQuery = "\(SQLQuery.joined(countedColumns.map { "\(ident: $0)" }, separator: ", ")), charged"
        try connection.query("""
            INSERT INTO \(SQLName.activityDeltas) (month, email, \(columns)) SELECT month, email, \(columns) FROM \(SQLName.activityCounted)
            """)
    }

    /// The rollup's counts, in its columns' order.
    private static let countedColumns = ReportRollup.counts.map(\.column)

    /// One entity's staged rows as the rollup counts them: the column they count in, their month, charged.
    private static func leg(_ entity: Entity) -> SQLQuery? {
        guard let counted = ReportRollup.counts.first(where: { $0.entity == entity }) else { return nil }
        let counts = countedColumns.map { "\(literal: $0 == counted.column ? 1 : 0) AS \(ident: $0)" as SQLQuery }
        let charged: SQLQuery = entity == .recordings ? "s.credit_charged::integer" : "0"
        let at = MergeTarget.inserted(counted.time, "s.\(ident: counted.time)")
        return """
            SELECT s.email, date_trunc('month', timezone('UTC', \(at)))::date AS month, \(SQLQuery.joined(counts, separator: ", ")),
                   \(charged) AS charged
            FROM \(SQLName.deduplicated(entity)) s
            """
    }
}
