import CRMSchema
import PipelineCore
import PostgresClient

/// The users an import removes (issue 25): the contacts its export marks deleted (a tombstone: `deleted`
/// true). Each goes with every row of theirs — job requests, recordings, resumes, payments, ledger, stats,
/// the CRM row — in the import's transaction; their profile stays (it is the app's account, SPEC §2).
struct UserRemoval {
    let connection: PostgresConnection

    /// The users to remove (`email`), where the export says so (`file`, `line`), and why (`why`).
    static let removed = SQLName("removed_users")

    static let createTable: SQLQuery = """
        CREATE TEMP TABLE \(removed) (email text PRIMARY KEY, file integer, line integer, why text NOT NULL) ON COMMIT DROP
        """

    /// Takes the tombstones out of the staged users (they are not merged), into ``removed``.
    func collectTombstones() throws {
        try connection.query("""
            WITH tombstones AS (
                DELETE FROM \(SQLName.deduplicated(.users)) WHERE deleted AND merged_into IS NULL RETURNING email, file, line)
            INSERT INTO \(Self.removed) (email, file, line, why) SELECT email, file, line, 'deleted in the export' FROM tombstones
            """)
    }

    /// How many stored users the staged users `table` (not yet deduplicated: a backfill's staging) mark deleted,
    /// each by its latest row that says.
    func countTombstones(in table: SQLName) throws -> Int {
        try connection.query("""
            SELECT count(*) AS n FROM (
                SELECT DISTINCT ON (email) email, deleted, merged_into FROM \(table) WHERE deleted IS NOT NULL ORDER BY email, seq DESC) latest
            WHERE latest.deleted AND latest.merged_into IS NULL
              AND EXISTS (SELECT 1 FROM \(SQLName.crmUsers) u WHERE u.email = latest.email)
            """).scalar(Int.self)
    }

    /// How many stored users would go.
    func count() throws -> Int {
        try connection.query("""
            SELECT count(*) AS n FROM \(Self.removed) r WHERE EXISTS (SELECT 1 FROM \(SQLName.crmUsers) u WHERE u.email = r.email)
            """).scalar(Int.self)
    }

    /// Locks the stored CRM rows of the users to remove in email order with a delete's lock (`FOR UPDATE`):
    /// from then on the app's new rows for them wait, and fail once they are gone.
    static let lock: SQLQuery = """
        SELECT count(*) AS n FROM (
            SELECT 1 FROM \(SQLName.crmUsers) u WHERE u.email IN (SELECT email FROM \(removed)) ORDER BY u.email FOR UPDATE) locked
        """

    /// The tables a user's rows are removed from, in the order the app's own deletes take them (a job
    /// request before the recordings its delete unlinks), the CRM row last.
    static let tables: [SQLName] = [.jobRequests, .recordings, .resumes, .payments, .creditLedger, .dashboardStats, .crmUsers]

    /// Removes every row of the users in ``removed``; returns the rows removed per table. Explicit deletes
    /// rather than the foreign keys' cascades: those do not run while the FK triggers stand aside.
    func remove() throws -> [SQLName: Int] {
        var removed: [SQLName: Int] = [:]
        for table in Self.tables {
            removed[table] = try connection.query("""
                WITH gone AS (DELETE FROM \(table) t USING \(Self.removed) r WHERE t.email = r.email RETURNING 1)
                SELECT count(*) AS n FROM gone
                """).scalar(Int.self)
        }
        return removed
    }
}
