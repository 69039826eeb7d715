import CRMSchema
import PipelineCore
import PostgresClient

/// How ``IdentityChanges`` moves the stats, the credit accounts and the staged rows, and copies rows aside.
extension IdentityChanges {
    /// Copies the rows of `table` whose email `emails` lists into the temporary table `copy` (made afresh).
    func copyRows(of table: SQLName, into copy: SQLName, emails: SQLQuery) throws {
        try connection.dropTableIfPresent(copy)
        try connection.query("CREATE TEMP TABLE \(copy) ON COMMIT DROP AS SELECT * FROM \(table) WHERE email IN (\(emails))")
        try connection.query("ANALYZE \(copy)")
    }

    /// The stats and the credit accounts: each target's totals and balance are its own plus its movers'. A target
    /// without an account takes its first mover's (its email, the target's account where no other has it); the
    /// other movers' credits go to the target's account, theirs left at 0.
    func moveBalances() throws {
        let moves = SQLName.identityMoves, stats = SQLName.dashboardStats, profiles = SQLName.profiles
        try copyRows(of: stats, into: SQLName.identityRows, emails: "SELECT from_email FROM \(moves)")
        try connection.query("""
            UPDATE \(stats) s SET total_applications = s.total_applications + d.applications, total_recordings = s.total_recordings + d.recordings,
                total_resumes = s.total_resumes + d.resumes, credits = s.credits + d.credits, updated_at = now()
            FROM (SELECT m.to_email, sum(x.total_applications)::integer AS applications, sum(x.total_recordings)::integer AS recordings,
                         sum(x.total_resumes)::integer AS resumes, sum(x.credits)::integer AS credits
                  FROM \(moves) m JOIN \(SQLName.identityRows) x ON x.email = m.from_email GROUP BY m.to_email) d
            WHERE s.email = d.to_email
            """)
        try connection.query("DELETE FROM \(stats) WHERE email IN (SELECT from_email FROM \(moves))")
        // The accounts of movers and targets, and what each becomes.
        try copyRows(of: profiles, into: SQLName.identityRows, emails: "SELECT from_email FROM \(moves) UNION SELECT to_email FROM \(moves)")
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityTaken) ON COMMIT DROP AS
            SELECT q.id, q.user_id FROM \(profiles) q WHERE q.user_id IN (SELECT account FROM \(SQLName.identityTargets) WHERE account IS NOT NULL)
            """)
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.identityProfileChanges) ON COMMIT DROP AS
            WITH taking AS (
                SELECT DISTINCT ON (m.to_email) m.to_email, m.from_email, t.account
                FROM \(moves) m JOIN \(SQLName.identityRows) f ON f.email = m.from_email JOIN \(SQLName.identityTargets) t ON t.to_email = m.to_email
                WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.identityRows) x WHERE x.email = m.to_email)
                ORDER BY m.to_email, m.from_email)
            SELECT p.id, coalesce(k.to_email, p.email) AS email,
                   CASE WHEN k.to_email IS NULL THEN p.user_id WHEN q.id IS NULL THEN k.account END AS user_id,
                   CASE WHEN k.to_email IS NOT NULL THEN p.credits + coalesce(o.credits, 0)
                        WHEN mover.from_email IS NOT NULL THEN 0
                        ELSE p.credits + coalesce(o.credits, 0) END AS credits
            FROM \(SQLName.identityRows) p
            LEFT JOIN taking k ON k.from_email = p.email
            LEFT JOIN \(SQLName.identityTaken) q ON q.user_id = k.account AND q.id <> p.id
            LEFT JOIN (SELECT DISTINCT from_email FROM \(moves)) mover ON mover.from_email = p.email
            LEFT JOIN (SELECT m.to_email, sum(f.credits)::integer AS credits FROM \(moves) m JOIN \(SQLName.identityRows) f ON f.email = m.from_email
                       WHERE NOT EXISTS (SELECT 1 FROM taking t WHERE t.from_email = f.email) GROUP BY m.to_email) o
              ON o.to_email = coalesce(k.to_email, p.email)
            """)
        // Back as a parameter: Citus writes its reference table profiles from no local table.
        let changes = try connection.query("SELECT coalesce(jsonb_agg(c), '[]') FROM \(SQLName.identityProfileChanges) c").scalar(String.self)
        try connection.query("""
            UPDATE \(profiles) p SET email = c.email, user_id = c.user_id, credits = c.credits, updated_at = now()
            FROM jsonb_populate_recordset(NULL::\(profiles), \(bind: changes)::jsonb) c
            WHERE p.id = c.id AND (p.email, p.user_id, p.credits) IS DISTINCT FROM (c.email, c.user_id, c.credits)
            """)
        try connection.query("DROP TABLE \(SQLName.identityProfileChanges)")
        try connection.query("DROP TABLE \(SQLName.identityTaken)")
    }

    /// This import's rows of a user merged away are the target's (a row of the target's own with the same key wins).
    func moveStagedRows() throws {
        for entity in Entity.crmRecords where entity != .users {
            let staged = SQLName.deduplicated(entity)
            try connection.query("UPDATE \(staged) s SET email = m.to_email FROM \(SQLName.identityMoves) m WHERE s.email = m.from_email")
            try connection.query("""
                DELETE FROM \(staged) a USING \(staged) b WHERE a.email = b.email AND a.external_id = b.external_id AND a.seq < b.seq
                """)
        }
    }
}
