-- Row Level Security, as the app uses it.
--   anon           reads and writes nothing.
--   authenticated  reads the rows of their own CRM user (auth.uid() = user_id), and inserts, updates
--                  and deletes only their own job requests, recordings and resumes.
--   service_role   full access (it has BYPASSRLS).
-- `(SELECT auth.uid())` is evaluated once per statement instead of once per row.

ALTER TABLE "digital_resume_by_CRM" ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_job_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_recordings ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_resumes ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_dashboard_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_credit_ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_payments ENABLE ROW LEVEL SECURITY;

REVOKE ALL ON "digital_resume_by_CRM", crm_job_requests, crm_recordings, crm_resumes, crm_dashboard_stats,
    profiles, crm_credit_ledger, crm_payments FROM anon;
GRANT SELECT ON "digital_resume_by_CRM", crm_job_requests, crm_recordings, crm_resumes, crm_dashboard_stats,
    profiles, crm_credit_ledger, crm_payments TO authenticated;
GRANT INSERT, UPDATE, DELETE ON crm_job_requests, crm_recordings, crm_resumes TO authenticated;
GRANT ALL ON "digital_resume_by_CRM", crm_job_requests, crm_recordings, crm_resumes, crm_dashboard_stats,
    profiles, crm_credit_ledger, crm_payments TO service_role;

-- Rows that carry user_id: readable by their owner.
CREATE POLICY crm_users_read_own ON "digital_resume_by_CRM"
    FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));
CREATE POLICY profiles_read_own ON profiles
    FOR SELECT TO authenticated USING (user_id = (SELECT auth.uid()));

-- Rows keyed by email only: readable when the CRM user of that email is theirs.
CREATE POLICY crm_dashboard_stats_read_own ON crm_dashboard_stats
    FOR SELECT TO authenticated
    USING (EXISTS (SELECT 1 FROM "digital_resume_by_CRM" u
                   WHERE u.email = crm_dashboard_stats.email AND u.user_id = (SELECT auth.uid())));
CREATE POLICY crm_credit_ledger_read_own ON crm_credit_ledger
    FOR SELECT TO authenticated
    USING (EXISTS (SELECT 1 FROM "digital_resume_by_CRM" u
                   WHERE u.email = crm_credit_ledger.email AND u.user_id = (SELECT auth.uid())));
CREATE POLICY crm_payments_read_own ON crm_payments
    FOR SELECT TO authenticated
    USING (EXISTS (SELECT 1 FROM "digital_resume_by_CRM" u
                   WHERE u.email = crm_payments.email AND u.user_id = (SELECT auth.uid())));

-- The three tables the app writes itself: its own rows, under the email of its own CRM user.
DO $policies$
DECLARE
    table_name text;
    own_row constant text := 'user_id = (SELECT auth.uid())';
    own_email text;
BEGIN
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes'] LOOP
        own_email := format(
            'EXISTS (SELECT 1 FROM "digital_resume_by_CRM" u WHERE u.email = %I.email AND u.user_id = (SELECT auth.uid()))',
            table_name);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO authenticated USING (%s)',
                       table_name || '_read_own', table_name, own_row);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT TO authenticated WITH CHECK (%s AND %s%s)',
                       table_name || '_insert_own', table_name, own_row, own_email,
                       -- A recording the app inserts is always charged: nobody records for free.
                       CASE table_name WHEN 'crm_recordings' THEN ' AND credit_charged' ELSE '' END);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE TO authenticated USING (%s) WITH CHECK (%s AND %s)',
                       table_name || '_update_own', table_name, own_row, own_row, own_email);
        EXECUTE format('CREATE POLICY %I ON %I FOR DELETE TO authenticated USING (%s)',
                       table_name || '_delete_own', table_name, own_row);
    END LOOP;
END
$policies$;
