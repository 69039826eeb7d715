-- One schema for plain PostgreSQL and Citus (issue 8). Citus refuses two things of 0003 and 0006 when
-- the CRM tables are distributed:
--   * policies with subqueries ("Subqueries are not supported in policies on distributed tables"):
--     `(SELECT auth.uid())` becomes `auth.uid()`, and "the CRM user of this email is mine" becomes a
--     call of crm_owns_email(email), a SECURITY DEFINER function that answers only that question;
--   * `ON DELETE SET NULL (job_request_id)` on a key that includes the distribution column: the
--     foreign key becomes plain (NO ACTION), and a BEFORE DELETE trigger on crm_job_requests clears the
--     link on the same user's recordings first (a single-user statement, which Citus runs on the shard).
-- The behaviour is the same as before; the RLS matrix and the reference tests prove it on both.

CREATE FUNCTION public.crm_owns_email(owner_email text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ''
    AS $$
        SELECT EXISTS (SELECT 1 FROM public."digital_resume_by_CRM" u
                       WHERE u.email = owner_email AND u.user_id = auth.uid())
    $$;
COMMENT ON FUNCTION public.crm_owns_email(text) IS
    'Whether the signed-in user owns the CRM user of this email: the policies'' test, without a subquery (Citus).';
REVOKE EXECUTE ON FUNCTION public.crm_owns_email(text) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION public.crm_owns_email(text) TO authenticated, service_role;

DROP POLICY crm_users_read_own ON "digital_resume_by_CRM";
CREATE POLICY crm_users_read_own ON "digital_resume_by_CRM"
    FOR SELECT TO authenticated USING (user_id = auth.uid());
DROP POLICY profiles_read_own ON profiles;
CREATE POLICY profiles_read_own ON profiles
    FOR SELECT TO authenticated USING (user_id = auth.uid());

DROP POLICY crm_dashboard_stats_read_own ON crm_dashboard_stats;
CREATE POLICY crm_dashboard_stats_read_own ON crm_dashboard_stats
    FOR SELECT TO authenticated USING (public.crm_owns_email(email));
DROP POLICY crm_credit_ledger_read_own ON crm_credit_ledger;
CREATE POLICY crm_credit_ledger_read_own ON crm_credit_ledger
    FOR SELECT TO authenticated USING (public.crm_owns_email(email));
DROP POLICY crm_payments_read_own ON crm_payments;
CREATE POLICY crm_payments_read_own ON crm_payments
    FOR SELECT TO authenticated USING (public.crm_owns_email(email));

DO $policies$
DECLARE
    table_name text;
    own_row constant text := 'user_id = auth.uid()';
    own_email constant text := 'public.crm_owns_email(email)';
BEGIN
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes'] LOOP
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_read_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_insert_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_update_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_delete_own', table_name);
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

ALTER TABLE crm_recordings DROP CONSTRAINT crm_recordings_job_request_fkey;
ALTER TABLE crm_recordings ADD CONSTRAINT crm_recordings_job_request_fkey FOREIGN KEY (email, job_request_id)
    REFERENCES crm_job_requests (email, id);

CREATE FUNCTION public.crm_unlink_recordings() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
    AS $$
BEGIN
    UPDATE public.crm_recordings SET job_request_id = NULL
    WHERE email = OLD.email AND job_request_id = OLD.id;
    RETURN OLD;
END
$$;
REVOKE EXECUTE ON FUNCTION public.crm_unlink_recordings() FROM PUBLIC, anon, authenticated;

CREATE TRIGGER crm_job_requests_unlink_recordings
    BEFORE DELETE ON crm_job_requests
    FOR EACH ROW EXECUTE FUNCTION public.crm_unlink_recordings();
