-- One schema for plain PostgreSQL and Citus (issue 8). Citus refuses or cannot run three things of
-- 0003, 0005 and 0006 once the CRM tables are distributed:
--   * policies with subqueries ("Subqueries are not supported in policies on distributed tables"), and
--     a policy that calls a function reading another table cannot run on a shard either. So every
--     policy compares the row's own user_id with auth.uid(): crm_dashboard_stats, crm_credit_ledger
--     and crm_payments get a user_id (kept by crm_link_accounts), and "the CRM user of this email is
--     mine", which the insert and update policies checked with a subquery, is enforced by a BEFORE
--     trigger on the shard instead (crm_check_owner, on all six child tables: a row's user_id is
--     always its CRM user's);
--   * `ON DELETE SET NULL (job_request_id)` on a key that includes the distribution column: the
--     foreign key becomes plain (NO ACTION), and a BEFORE DELETE trigger on crm_job_requests clears the
--     link on the same user's recordings first (a single-user statement, which Citus runs on the shard).
-- The behaviour is the same as before; the RLS matrix and the reference tests prove it on both.

ALTER TABLE crm_dashboard_stats ADD COLUMN user_id uuid;
ALTER TABLE crm_credit_ledger ADD COLUMN user_id uuid;
ALTER TABLE crm_payments ADD COLUMN user_id uuid;

-- Every child row belongs to the account of its CRM user: user_id is filled from it when missing,
-- and a user_id of another account is refused (what the policies checked with a subquery). It
-- replaces crm_fill_child_user_id, which only filled.
CREATE FUNCTION crm_check_owner() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    owner uuid;
BEGIN
    SELECT u.user_id INTO owner FROM "digital_resume_by_CRM" u WHERE u.email = NEW.email;
    IF NEW.user_id IS NULL THEN
        NEW.user_id := owner;
    ELSIF NEW.user_id IS DISTINCT FROM owner THEN
        RAISE EXCEPTION 'this row''s user_id is not the account of its CRM user'
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave user_id empty: it is taken from the CRM user of the email.';
    END IF;
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION crm_check_owner() FROM PUBLIC, anon, authenticated;

DO $owner$
DECLARE
    table_name text;
BEGIN
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes'] LOOP
        EXECUTE format('DROP TRIGGER %I ON %I', table_name || '_fill_user_id', table_name);
    END LOOP;
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes', 'crm_dashboard_stats',
                                      'crm_credit_ledger', 'crm_payments'] LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE INSERT OR UPDATE OF user_id ON %I FOR EACH ROW'
                       ' WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_check_owner()',
                       table_name || '_check_owner', table_name);
    END LOOP;
END
$owner$;
DROP FUNCTION crm_fill_child_user_id();

-- As in 0005, and now also for the three tables above.
CREATE OR REPLACE FUNCTION crm_link_accounts(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    table_name text;
    linked_emails text[];
    linked_ids uuid[];
BEGIN
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes', 'crm_dashboard_stats',
                                      'crm_credit_ledger', 'crm_payments'] LOOP
        EXECUTE format('UPDATE %I t SET user_id = u.user_id
                        FROM "digital_resume_by_CRM" u JOIN unnest($1) AS e(email) ON e.email = u.email
                        WHERE t.email = u.email AND t.user_id IS DISTINCT FROM u.user_id', table_name)
        USING p_emails;
    END LOOP;

    -- Through arrays: Citus cannot update a reference table (profiles) joined with a distributed one.
    SELECT array_agg(u.email), array_agg(u.user_id) INTO linked_emails, linked_ids
    FROM "digital_resume_by_CRM" u WHERE u.email = ANY (p_emails) AND u.user_id IS NOT NULL;
    UPDATE profiles p SET user_id = l.user_id, updated_at = now()
    FROM unnest(linked_emails, linked_ids) AS l(email, user_id)
    LEFT JOIN profiles taken ON taken.user_id = l.user_id
    WHERE p.email = l.email AND p.user_id IS NULL AND taken.id IS NULL;
END
$$;

-- The new columns, filled for the users already linked.
SELECT crm_link_accounts(ARRAY(SELECT email FROM "digital_resume_by_CRM" WHERE user_id IS NOT NULL));

DO $policies$
DECLARE
    table_name text;
    own_row constant text := 'user_id = auth.uid()';
BEGIN
    DROP POLICY crm_users_read_own ON "digital_resume_by_CRM";
    CREATE POLICY crm_users_read_own ON "digital_resume_by_CRM" FOR SELECT TO authenticated USING (user_id = auth.uid());
    DROP POLICY profiles_read_own ON profiles;
    CREATE POLICY profiles_read_own ON profiles FOR SELECT TO authenticated USING (user_id = auth.uid());
    FOREACH table_name IN ARRAY ARRAY['crm_dashboard_stats', 'crm_credit_ledger', 'crm_payments'] LOOP
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_read_own', table_name);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO authenticated USING (%s)',
                       table_name || '_read_own', table_name, own_row);
    END LOOP;
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes'] LOOP
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_read_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_insert_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_update_own', table_name);
        EXECUTE format('DROP POLICY %I ON %I', table_name || '_delete_own', table_name);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO authenticated USING (%s)',
                       table_name || '_read_own', table_name, own_row);
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT TO authenticated WITH CHECK (%s%s)',
                       table_name || '_insert_own', table_name, own_row,
                       -- A recording the app inserts is always charged: nobody records for free.
                       CASE table_name WHEN 'crm_recordings' THEN ' AND credit_charged' ELSE '' END);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE TO authenticated USING (%s) WITH CHECK (%s)',
                       table_name || '_update_own', table_name, own_row, own_row);
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
