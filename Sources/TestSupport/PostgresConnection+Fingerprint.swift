import PostgresClient

extension PostgresConnection {
    /// A checksum of what the CRM tables hold — every row's business content, stats, balances and the
    /// ledger summed per user and reason — leaving out generated ids, and the ledger's per-run refs and
    /// times. Two databases with the same fingerprint hold the same data. With `accounts`, the account
    /// every row is linked to (`user_id`, by its email: ids differ between databases) counts too.
    public func contentFingerprint(accounts: Bool = false) throws -> String {
        let linked: SQLQuery = accounts ? """
            UNION ALL SELECT 'a:' || t || ':' || rows.email || ':' || coalesce(a.email, '-') || ':' || count(*) FROM (
                SELECT 'u', email, user_id FROM "digital_resume_by_CRM" UNION ALL SELECT 'j', email, user_id FROM crm_job_requests
                UNION ALL SELECT 'r', email, user_id FROM crm_recordings UNION ALL SELECT 'x', email, user_id FROM crm_resumes
                UNION ALL SELECT 'p', email, user_id FROM crm_payments UNION ALL SELECT 's', email, user_id FROM crm_dashboard_stats
                UNION ALL SELECT 'c', email, user_id FROM profiles UNION ALL SELECT 'l', email, user_id FROM crm_credit_ledger
            ) rows(t, email, user_id) LEFT JOIN auth.users a ON a.id = rows.user_id GROUP BY t, rows.email, a.email
            """ : ""
        return try query("""
            SELECT md5(coalesce(string_agg(x, '|' ORDER BY x), '')) FROM (
                SELECT 'u:' || email || coalesce(crm_user_id, '') || coalesce(first_name, '') || coalesce(last_name, '')
                       || coalesce(phone, '') || created_at || updated_at FROM "digital_resume_by_CRM"
                UNION ALL SELECT 'j:' || email || external_id || job_title || coalesce(company_name, '') || coalesce(status, '')
                       || created_at FROM crm_job_requests
                UNION ALL SELECT 'r:' || r.email || r.external_id || coalesce(j.external_id, '-') || r.video_url
                       || coalesce(r.duration_seconds::text, '') || r.credit_charged || r.created_at
                       FROM crm_recordings r LEFT JOIN crm_job_requests j ON j.email = r.email AND j.id = r.job_request_id
                UNION ALL SELECT 'x:' || email || external_id || file_url || coalesce(file_name, '') || created_at FROM crm_resumes
                UNION ALL SELECT 'p:' || email || external_id || amount_cents || currency || paid_at FROM crm_payments
                UNION ALL SELECT 's:' || email || total_applications || '/' || total_recordings || '/' || total_resumes
                       || '/' || credits FROM crm_dashboard_stats
                UNION ALL SELECT 'c:' || email || credits FROM profiles
                UNION ALL SELECT 'l:' || email || reason || sum(delta) FROM crm_credit_ledger GROUP BY email, reason
                \(linked)
            ) t(x)
            """).textScalar ?? ""
    }
}
