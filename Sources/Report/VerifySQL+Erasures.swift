import CRMSchema
import PostgresClient

extension VerifySQL {
    /// People the erasure log says were erased, back in the tables with rows from before their request (the
    /// tables read only when the log holds any). The emails are hashed after they are gathered: on Citus that
    /// is on the coordinator, which alone holds the key.
    static let erasedPresent: SQLQuery = """
        WITH present AS MATERIALIZED (
            SELECT u.email, \(bind: SQLName.crmUsers.name)::text AS source, count(*) AS n, min(u.created_at) AS first
            FROM \(SQLName.crmUsers) u WHERE EXISTS (SELECT 1 FROM \(SQLName.erasures)) GROUP BY u.email
            UNION ALL
            SELECT p.email, \(bind: SQLName.profiles.name)::text, count(*), min(p.created_at)
            FROM \(SQLName.profiles) p WHERE EXISTS (SELECT 1 FROM \(SQLName.erasures)) GROUP BY p.email)
        SELECT NULL AS email, 'a person erased on ' || to_char(e.requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
               || ' (reference ' || coalesce(e.reference, 'none') || ') in ' || x.source AS what,
               'no row from before the request' AS expected, x.n::text || ' row(s)' AS found
        FROM \(SQLName.erasures) e
        JOIN (SELECT \(SQLName.emailHash)(email) AS hash, source, n, first FROM present) x
          ON x.hash = e.email_hash AND x.first < e.requested_at
        ORDER BY 2
        """
}
