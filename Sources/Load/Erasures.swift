import CRMSchema
import PipelineCore
import PostgresClient

/// Erasure requests (issue 25, GDPR art. 17, CCPA): `erasures*.csv` (`email`, `requested_at`, `reference`)
/// names people to erase. Each is removed from every table the pipeline writes — the CRM tables, the credit
/// account, a backfill's staging — and the erasure log (`crm_private.crm_erasures`) records that it happened
/// without the personal data: a keyed hash of the email, the reference, when, and the rows removed per table.
/// A later import or backfill that brings the person's rows from before the request refuses them (`erased`);
/// rows from after it (the person signed up again) load as any.
struct Erasures {
    let connection: PostgresConnection

    /// Refuses this import's rows of erased people that are older than the request (or undated), and takes this
    /// import's requests into the removals.
    ///
    /// - Returns: The rejects, in file and line order.
    func refuseErased(path: (Int) -> String) throws -> [Reject] {
        let requests = SQLName.deduplicated(.erasures)
        let logged = try connection.query("SELECT EXISTS (SELECT 1 FROM \(SQLName.erasures)) AS any").scalar(Bool.self)
        let stagedEmails = SQLQuery.joined(Entity.crmRecords.map { "SELECT email FROM \(SQLName.deduplicated($0))" }, separator: " UNION ")
        // The log knows people by the hash of their email: the staged emails are hashed once each, when it holds any.
        let fromLog: SQLQuery = logged ? """
            UNION ALL
            SELECT h.email, e.requested_at
            FROM (SELECT email, \(SQLName.emailHash)(email) AS hash FROM (\(stagedEmails)) staged) h
            JOIN \(SQLName.erasures) e ON e.email_hash = h.hash
            """ : ""
        try connection.query("""
            CREATE TEMP TABLE \(SQLName.erasureBoundaries) ON COMMIT DROP AS
            SELECT email, max(requested_at) AS requested_at FROM (
                SELECT email, coalesce(requested_at, now()) AS requested_at FROM \(requests)
                \(fromLog)) requests
            GROUP BY email
            """)
        var rejects: [Reject] = []
        for entity in Entity.crmRecords {
            let date = entity.dateField
            for row in try connection.query("""
                DELETE FROM \(SQLName.deduplicated(entity)) s USING \(SQLName.erasureBoundaries) b
                WHERE s.email = b.email AND (s.\(ident: date.name) IS NULL OR s.\(ident: date.name) < b.requested_at)
                RETURNING s.file, s.line, s.email, to_char(b.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS asked,
                          s.\(ident: date.name) IS NULL AS undated
                """).rows {
                let asked = try row.decode(String.self, "asked")
                rejects.append(Reject(
                    location: try StagedPlace(row: row).location(path),
                    entity: entity, field: .email, value: try row.decode(String.self, "email"), reason: .erased,
                    message: try row.decode(Bool.self, "undated")
                        ? "the person asked to be erased on \(asked), and this row has no \(date.name) to show it is newer"
                        : "the person asked to be erased on \(asked), and this row is from before"))
            }
        }
        // A users row refused so: its newer rows have no user in this import either.
        try connection.query("""
            INSERT INTO \(SQLName.rejectedUsers) (email) SELECT email FROM \(SQLName.erasureBoundaries)
            WHERE NOT EXISTS (SELECT 1 FROM \(SQLName.deduplicated(.users)) u WHERE u.email = \(SQLName.erasureBoundaries).email)
            ON CONFLICT DO NOTHING
            """)
        try connection.query("""
            INSERT INTO \(SQLName.removedUsers) (email, file, line, why, erase, requested_at, reference)
            SELECT email, file, line, 'erased on request', true, coalesce(requested_at, now()), reference FROM \(requests)
            ON CONFLICT (email) DO UPDATE SET why = EXCLUDED.why, erase = true, requested_at = EXCLUDED.requested_at,
                                              reference = EXCLUDED.reference, file = EXCLUDED.file, line = EXCLUDED.line
            """)
        return rejects.sorted { ($0.location.file, $0.location.line) < ($1.location.file, $1.location.line) }
    }

    /// After the removals: one log row per erasure request of this run, with the rows removed per table.
    func log(runID: Int64) throws {
        try connection.query("""
            INSERT INTO \(SQLName.erasures) (email_hash, reference, requested_at, run_id, rows_removed)
            SELECT \(SQLName.emailHash)(r.email), r.reference, r.requested_at, \(bind: runID), coalesce(x.tables, '{}')
            FROM \(SQLName.removedUsers) r
            LEFT JOIN (SELECT email, jsonb_object_agg(table_name, n) AS tables FROM \(SQLName.removedRows) GROUP BY email) x ON x.email = r.email
            WHERE r.erase
            """)
    }
}
