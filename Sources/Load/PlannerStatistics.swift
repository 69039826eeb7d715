import CRMSchema
import Logging
import PostgresClient

/// Keeps the planner's idea of the tables an import reads true inside its transaction: the CRM tables'
/// sizes (``refresh(_:)``), and the import's own temporary tables, which autovacuum never analyzes (``sample(_:on:)``).
///
/// A vacuum that runs while the transaction's rows fill a table (autovacuum, woken by the dead rows of an
/// earlier import that rolled back) counts none of those rows, which are still in progress, and stores
/// `reltuples = 0` beside the pages they fill. The planner then reads a density of zero rows per page, takes
/// the table for empty, and plans nested loops over it: 140,000 users' accounts took 41 s instead of 5 s.
/// Before each step, a table whose statistics count fewer rows than pages is analyzed in the transaction,
/// which counts its own rows; an analyzed table is locked against vacuums until the commit.
struct PlannerStatistics {
    let connection: PostgresConnection
    let logger: Logger
    /// The pages of each table this transaction analyzed (its size on disk: `relpages` changes only when analyzed), when it did: a table with fewer rows than pages after
    /// its analysis (one that deleted rows left mostly empty) is honest, and analyzed again only once it grew by
    /// more than a tenth (rows written since, which the analysis did not see: a table whose rolled-back rows fill
    /// its pages takes new rows in new pages).
    private var analyzedAtPages: [SQLName: Int] = [:]

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// The tables an import writes and reads again.
    static let written: [SQLName] = [
        .crmUsers, .jobRequests, .recordings, .resumes, .payments, .profiles, .creditLedger, .dashboardStats,
    ]

    /// Analyzes those of `tables` whose statistics say fewer rows than pages (and that this role may analyze); logs
    /// and returns them. A table another session is vacuuming or analyzing (a backfill's other chunk) is left as it
    /// is, never waited for, logged as such, and tried again at the next call.
    @discardableResult
    mutating func refresh(_ tables: [SQLName] = written) throws -> [SQLName] {
        var stale: [(table: SQLName, pages: Int)] = []
        for row in try connection.query("""
            SELECT t.position, pg_relation_size(c.oid) / current_setting('block_size')::int AS pages FROM unnest(\(bind: tables.map(\.sql))::regclass[]) WITH ORDINALITY AS t(oid, position)
            JOIN pg_class c ON c.oid = t.oid
            WHERE c.relpages > 0 AND c.reltuples < c.relpages AND pg_has_role(c.relowner, 'USAGE')
            ORDER BY t.position
            """).rows {
            let table = tables[try row.decode(Int.self, "position") - 1], pages = try row.decode(Int.self, "pages")
            if let analyzed = analyzedAtPages[table], pages <= analyzed + analyzed / 10 { continue }
            stale.append((table, pages))
        }
        // A table another session holds is not remembered: the next step tries it again.
        var analyzed: [SQLName] = [], held: [SQLName] = []
        for (table, pages) in stale {
            if try analyzeUnlessHeld(table) {
                analyzedAtPages[table] = pages
                analyzed.append(table)
            } else {
                held.append(table)
            }
        }
        if !analyzed.isEmpty {
            logger.info("analyzed tables whose statistics missed this import's rows",
                        metadata: ["tables": "\(analyzed.map(\.description).joined(separator: ", "))"])
        }
        if !held.isEmpty {
            logger.info("tables whose statistics missed this import's rows are held by another session: tried again at the next step",
                        metadata: ["tables": "\(held.map(\.description).joined(separator: ", "))"])
        }
        return stale.map(\.table)
    }

    /// Analyzes `table` unless another session holds a lock that an analysis waits for (a vacuum, an analysis, a
    /// backfill's other chunk): never waits. Returns whether it analyzed.
    private func analyzeUnlessHeld(_ table: SQLName) throws -> Bool {
        do {
            try connection.withSavepoint { try connection.query("LOCK TABLE \(table) IN SHARE UPDATE EXCLUSIVE MODE NOWAIT") }
        } catch let error as PostgresError where error.sqlState == .lockNotAvailable {
            return false
        }
        try connection.query("ANALYZE \(table)")
        return true
    }

    /// Analyzes the import's temporary `tables` on a small sample (`default_statistics_target` 10: 3,000 rows, 20 ms
    /// for 350,000 recordings). Unanalyzed, a table is sized from its pages and its columns have no distinct counts:
    /// a join on two of them (email and external id) is then estimated at a hundredth of its rows, and the planner
    /// sorts and loops where it should hash (a re-import's recordings were classified in 1.5 s instead of 0.6 s).
    static func sample(_ tables: [SQLName], on connection: PostgresConnection) throws {
        guard !tables.isEmpty else { return }
        let target = try connection.query("SELECT current_setting('default_statistics_target') AS target").scalar(String.self)
        try connection.setLocal("default_statistics_target", to: "10")
        for table in tables { try connection.query("ANALYZE \(table)") }
        try connection.setLocal("default_statistics_target", to: target)
    }
}
