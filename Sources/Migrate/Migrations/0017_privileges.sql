-- An explicit privilege model (issue 14), independent of default privileges: Supabase's give anon,
-- authenticated and service_role ALL on every table and function created in public, TRUNCATE (which
-- ignores RLS and skips the row triggers) and REFERENCES and TRIGGER included. Everything is revoked
-- from the API roles, then exactly SPEC §2 is granted. README "Privileges" shows the whole matrix, and
-- PrivilegeTests checks it from the catalog, so a later migration that forgets a grant or a revoke fails.
--
--   table (public)           anon  authenticated                   service_role
--   digital_resume_by_CRM    -     SELECT (own rows, RLS)          SELECT INSERT UPDATE DELETE
--   crm_job_requests         -     SELECT INSERT UPDATE DELETE     SELECT INSERT UPDATE DELETE
--   crm_recordings           -     SELECT INSERT UPDATE DELETE     SELECT INSERT UPDATE DELETE
--   crm_resumes              -     SELECT INSERT UPDATE DELETE     SELECT INSERT UPDATE DELETE
--   crm_dashboard_stats      -     SELECT                          SELECT INSERT UPDATE DELETE
--   profiles                 -     SELECT                          SELECT INSERT UPDATE DELETE
--   crm_credit_ledger        -     SELECT                          SELECT INSERT UPDATE DELETE
--   crm_payments             -     SELECT                          SELECT INSERT UPDATE DELETE
--   schema crm_private, its tables, sequences and functions: the owner only.
-- authenticator (PostgREST's login role) holds nothing itself: it becomes one of the three.


-- The policies' form. `auth.uid()` in a policy is inlined and evaluated for every row (measured on the
-- Supabase-shaped database: a count(*) over 500,000 rows as authenticated took 409 ms, against 25 ms with
-- `(SELECT auth.uid())`, which PostgreSQL evaluates once per statement as an InitPlan); Supabase's linter
-- flags it (auth_rls_initplan). Citus refuses subqueries in policies on distributed tables, so
-- `migrate --citus` sets the per-row form before it distributes, and this one applies only where the
-- tables are not distributed.
CREATE FUNCTION crm_private.crm_set_policies(p_evaluate_once boolean) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    own constant text := 'user_id = ' || CASE WHEN p_evaluate_once THEN '(SELECT auth.uid())' ELSE 'auth.uid()' END;
    table_name text;
BEGIN
    EXECUTE format('ALTER POLICY crm_users_read_own ON public.%I USING (%s)', 'digital_resume_by_CRM', own);
    EXECUTE format('ALTER POLICY profiles_read_own ON public.profiles USING (%s)', own);
    FOREACH table_name IN ARRAY ARRAY['crm_dashboard_stats', 'crm_credit_ledger', 'crm_payments'] LOOP
        EXECUTE format('ALTER POLICY %I ON public.%I USING (%s)', table_name || '_read_own', table_name, own);
    END LOOP;
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes'] LOOP
        EXECUTE format('ALTER POLICY %I ON public.%I USING (%s)', table_name || '_read_own', table_name, own);
        -- A recording the app inserts is always charged: nobody records for free.
        EXECUTE format('ALTER POLICY %I ON public.%I WITH CHECK (%s%s)', table_name || '_insert_own', table_name, own,
                       CASE table_name WHEN 'crm_recordings' THEN ' AND credit_charged' ELSE '' END);
        EXECUTE format('ALTER POLICY %I ON public.%I USING (%s) WITH CHECK (%s)', table_name || '_update_own', table_name,
                       own, own);
        EXECUTE format('ALTER POLICY %I ON public.%I USING (%s)', table_name || '_delete_own', table_name, own);
    END LOOP;
END
$$;

SELECT crm_private.crm_set_policies(true) WHERE NOT crm_private.crm_is_distributed();

DO $privileges$
DECLARE
    api_roles text := 'PUBLIC, anon, authenticated, service_role';
    app_tables constant text := 'public."digital_resume_by_CRM", public.crm_job_requests, public.crm_recordings, '
        'public.crm_resumes, public.crm_dashboard_stats, public.profiles, public.crm_credit_ledger, public.crm_payments';
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
        api_roles := api_roles || ', authenticator';
    END IF;
    EXECUTE format('REVOKE ALL ON TABLE %s FROM %s', app_tables, api_roles);
    EXECUTE format('REVOKE ALL ON SCHEMA crm_private FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA crm_private FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA crm_private FROM %s', api_roles);
    EXECUTE format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA crm_private FROM %s', api_roles);
    EXECUTE format('GRANT SELECT ON TABLE %s TO authenticated', app_tables);
    GRANT INSERT, UPDATE, DELETE ON TABLE public.crm_job_requests, public.crm_recordings, public.crm_resumes TO authenticated;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %s TO service_role', app_tables);
END
$privileges$;
