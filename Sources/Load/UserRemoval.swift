import CRMSchema
import PipelineCore
import PostgresClient

/// The users an import removes (issue 25): the contacts its export marks deleted (a tombstone: `deleted`
/// true), with `--users-snapshot` the stored users of its source that its users no longer name, and the people
/// an erasure request names. Each goes with every row of theirs — job requests, recordings, resumes, payments,
/// ledger, stats, the CRM row — in the import's transaction. A deleted user's profile stays (it is the app's
/// account, SPEC §2); an erased person's goes too, with their rows in a backfill's staging.
struct UserRemoval {
    let connection: PostgresConnection

    static let createTables: [SQLQuery] = [
        """
        CREATE TEMP TABLE \(SQLName.removedUsers) (email text PRIMARY KEY, file integer, line integer, why text NOT NULL,
                                     erase boolean NOT NULL DEFAULT false, requested_at timestamptz, reference text) ON COMMIT DROP
        """,
        "CREATE TEMP TABLE \(SQLName.removedRows) (email text NOT NULL, table_name text NOT NULL, n bigint NOT NULL) ON COMMIT DROP",
    ]

    /// Takes the tombstones out of the staged users (they are not merged), into ``SQLName/removedUsers``.
    func collectTombstones() throws {
        try connection.query("""
            WITH tombstones AS (
                DELETE FROM \(SQLName.deduplicated(.users)) WHERE deleted AND merged_into IS NULL RETURNING email, file, line)
            INSERT INTO \(SQLName.removedUsers) (email, file, line, why) SELECT email, file, line, 'deleted in the export' FROM tombstones
            """)
    }

    /// The users of `source` that a snapshot does not name — `present` lists the emails its users rows name —
    /// within `scope` (a condition over `c.email`: a backfill chunk's), into ``SQLName/absentUsers``; those no other source
    /// has are to be removed. (A user several sources have stays until the last one drops it.)
    func collectAbsent(source: String, present: SQLQuery, scope: SQLQuery = "true") throws {
        try connection.query("CREATE TEMP TABLE \(SQLName.absentUsers) ON COMMIT DROP AS \(Self.absent(of: source, present: present, scope: scope))")
        try connection.query("""
            INSERT INTO \(SQLName.removedUsers) (email, why)
            SELECT a.email, \(bind: "absent from the snapshot of source \(source)") FROM \(SQLName.absentUsers) a
            WHERE \(Self.onlyOf(source))
            ON CONFLICT (email) DO NOTHING
            """)
    }

    /// The emails of `source`'s users (`c`) that `present` does not name, within `scope`.
    private static func absent(of source: String, present: SQLQuery, scope: SQLQuery) -> SQLQuery {
        """
        SELECT c.email FROM \(SQLName.userSources) c
        WHERE c.source = \(bind: source) AND \(scope) AND NOT EXISTS (SELECT 1 FROM (\(present)) p WHERE p.email = c.email)
        """
    }

    /// That no other source than `source` has the user `a`.
    private static func onlyOf(_ source: String) -> SQLQuery {
        "NOT EXISTS (SELECT 1 FROM \(SQLName.userSources) o WHERE o.email = a.email AND o.source <> \(bind: source))"
    }

    /// How many stored users of `source` that `present` does not name no other source has (what a snapshot removes).
    func countAbsent(source: String, present: SQLQuery) throws -> Int {
        try connection.query("""
            SELECT count(*) AS n FROM \(SQLName.crmUsers) u
            WHERE u.email IN (SELECT a.email FROM (\(Self.absent(of: source, present: present, scope: "true"))) a WHERE \(Self.onlyOf(source)))
            """).scalar(Int.self)
    }

    /// Records this import's users as `source`'s, and drops the snapshot's absent users from it.
    /// An anti-join, in email order, not `ON CONFLICT`: only imports write the table, one at a time (a backfill's chunks
    /// have users of their own), and 140k new users took 0.43 s so against 0.80 s. A backfill's chunk (`scope`) reads
    /// the table's rows in its range only: every chunk read and sorted all of them (132k at the 10th chunk of 979k rows).
    func recordSource(_ source: String, snapshot: Bool, scope: BackfillChunk) throws {
        try connection.query("""
            INSERT INTO \(SQLName.userSources) (email, source) SELECT d.email, \(bind: source) FROM \(SQLName.deduplicated(.users)) d
            WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.userSources) c
                              WHERE c.email = d.email AND c.source = \(bind: source) AND \(scope.contains("c.email")))
            ORDER BY d.email
            """)
        guard snapshot else { return }
        try connection.query("""
            DELETE FROM \(SQLName.userSources) WHERE source = \(bind: source) AND email IN (SELECT email FROM \(SQLName.absentUsers))
            """)
    }

    /// How many stored users the staged users `table` (not yet deduplicated: a backfill's staging) mark deleted,
    /// each by its latest row that says.
    func countTombstones(in table: SQLName) throws -> Int {
        try connection.query("""
            SELECT count(*) AS n FROM (
                SELECT DISTINCT ON (email) email, deleted, merged_into FROM \(table) WHERE deleted IS NOT NULL ORDER BY email, seq DESC) latest
            WHERE latest.deleted AND latest.merged_into IS NULL
              AND latest.email IN (SELECT u.email FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(table)))
            """).scalar(Int.self)
    }

    /// How many stored users would go (erased people aside: the guard is not for them).
    func count(erased: Bool = false) throws -> Int {
        // (The stored users looked up by email, which Citus plans beside a temporary table.)
        try connection.query("""
            SELECT count(*) AS n FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(SQLName.removedUsers) WHERE erase = \(bind: erased))
            """).scalar(Int.self)
    }

    /// Whether anyone is to be removed or erased.
    func isEmpty() throws -> Bool {
        try !connection.query("SELECT EXISTS (SELECT 1 FROM \(SQLName.removedUsers)) AS any").scalar(Bool.self)
    }

    /// Locks the stored CRM rows of the users to remove in email order with a delete's lock (`FOR UPDATE`):
    /// from then on the app's new rows for them wait, and fail once they are gone.
    static let lock: SQLQuery = """
        SELECT count(*) AS n FROM (
            SELECT 1 FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(SQLName.removedUsers)) ORDER BY u.email FOR UPDATE) locked
        """

    /// The tables a user's rows are removed from, in the order the app's own deletes take them (a job
    /// request before the recordings its delete unlinks), the CRM row last.
    static let tables: [SQLName] = [.jobRequests, .recordings, .resumes, .payments, .creditLedger, .dashboardStats, .crmUsers]

    /// Removes every row of the users in ``SQLName/removedUsers`` (and the erased people's profiles and backfill staging rows),
    /// recording what went in ``removedRows``; returns the rows removed per table, deleted and erased. Explicit
    /// deletes rather than the foreign keys' cascades: those do not run while the FK triggers stand aside.
    func remove() throws -> [SQLName: (deleted: Int, erased: Int)] {
        let erased: [SQLName] = [.profiles] + Entity.allCases.map(SQLName.backfillStaging)
        for table in Self.tables + erased {
            if erased.contains(table), try connection.query("SELECT to_regclass(\(bind: table.sql)) IS NULL AS gone").scalar(Bool.self) {
                continue
            }
            try connection.query("""
                WITH gone AS (DELETE FROM \(table) t
                              WHERE t.email IN (SELECT email FROM \(SQLName.removedUsers) \(erased.contains(table) ? "WHERE erase" : "")) RETURNING t.email)
                INSERT INTO \(SQLName.removedRows) (email, table_name, n) SELECT email, \(bind: table.name), count(*) FROM gone GROUP BY email
                """)
        }
        try connection.query("DELETE FROM \(SQLName.userSources) c USING \(SQLName.removedUsers) r WHERE c.email = r.email")
        var counts: [SQLName: (deleted: Int, erased: Int)] = [:]
        for row in try connection.query("""
            SELECT x.table_name, sum(x.n) FILTER (WHERE NOT r.erase) AS deleted, sum(x.n) FILTER (WHERE r.erase) AS erased
            FROM \(SQLName.removedRows) x JOIN \(SQLName.removedUsers) r ON r.email = x.email GROUP BY x.table_name
            """).rows {
            let name = try row.decode(String.self, "table_name")
            guard let table = Self.tables.first(where: { $0.name == name }) else { continue }
            counts[table] = (try row.decode(Int?.self, "deleted") ?? 0, try row.decode(Int?.self, "erased") ?? 0)
        }
        return counts
    }

    /// The stored users to remove and why, in email order (what a dry run lists; the erased people aside).
    func listed() throws -> [(email: String, why: String, location: (file: Int, line: Int)?)] {
        let stored = Set(try connection.query("""
            SELECT u.email FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(SQLName.removedUsers) WHERE NOT erase)
            """).rows.map { try $0.decode(String.self, "email") })
        return try connection.query("""
            SELECT r.email, r.why, r.file, r.line FROM \(SQLName.removedUsers) r WHERE NOT r.erase ORDER BY r.email
            """).rows.filter { stored.contains(try $0.decode(String.self, "email")) }.map { row in
            let file = try row.decode(Int?.self, "file"), line = try row.decode(Int?.self, "line")
            return (try row.decode(String.self, "email"), try row.decode(String.self, "why"), file.flatMap { file in line.map { (file, $0) } })
        }
    }
}
