import PostgresClient

extension PostgresConnection {
    /// Every broken invariant of SPEC §2 (stats = real counts, credits = ledger sum, the co-located balance = the profile's) and
    /// the report rollup that differs from the tables' counts (migration 0024), one line each; empty when the data is consistent.
    public func invariantViolations() throws -> [String] {
        try query("""
            SELECT u.email || ': stats ' || coalesce(s.total_applications || '/' || s.total_recordings || '/' || s.total_resumes, 'missing')
                   || ' rows ' || (SELECT count(*) FROM crm_job_requests j WHERE j.email = u.email)
                   || '/' || (SELECT count(*) FROM crm_recordings r WHERE r.email = u.email)
                   || '/' || (SELECT count(*) FROM crm_resumes x WHERE x.email = u.email)
            FROM "digital_resume_by_CRM" u LEFT JOIN crm_dashboard_stats s USING (email)
            WHERE (s.total_applications, s.total_recordings, s.total_resumes) IS DISTINCT FROM (
                (SELECT count(*)::int FROM crm_job_requests j WHERE j.email = u.email),
                (SELECT count(*)::int FROM crm_recordings r WHERE r.email = u.email),
                (SELECT count(*)::int FROM crm_resumes x WHERE x.email = u.email))
            UNION ALL
            SELECT u.email || ': credits ' || coalesce(p.credits::text, 'no profile') || ' ledger '
                   || coalesce((SELECT sum(delta) FROM crm_credit_ledger l WHERE l.email = u.email)::text, '0')
            FROM "digital_resume_by_CRM" u LEFT JOIN profiles p USING (email)
            WHERE p.credits IS DISTINCT FROM (SELECT coalesce(sum(delta), 0)::int FROM crm_credit_ledger l WHERE l.email = u.email)
            UNION ALL
            SELECT s.email || ': balance ' || s.credits || ' profile ' || coalesce(p.credits::text, 'none')
            FROM crm_dashboard_stats s LEFT JOIN profiles p USING (email)
            WHERE s.credits IS DISTINCT FROM p.credits
            UNION ALL
            SELECT coalesce(d.email, 'all users') || ': report rollup ' || d.month || ' ' || d.found || ' counted ' || d.expected
            FROM crm_private.crm_activity_drift() d
            WHERE (SELECT in_use FROM crm_private.crm_activity_rollup_state)
            """).textRows.compactMap { $0.first ?? nil }
    }
}
