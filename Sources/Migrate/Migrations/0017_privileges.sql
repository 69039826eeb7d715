-- An explicit privilege model (issue 14), independent of default privileges: Supabase's give anon,
-- authenticated and service_role ALL on every table and function created in public, TRUNCATE (which
-- ignores RLS and skips the row triggers) and REFERENCES and TRIGGER included. Everything is revoked
-- from the API roles, then exactly SPEC §2 is granted. docs/data-model.md "Privileges" shows the whole matrix, and
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
    policy record;
BEGIN
    FOR policy IN
        WITH wanted (table_name, policy_name, using_clause, check_clause) AS (
            VALUES ('digital_resume_by_CRM', 'crm_users_read_own', own, NULL), ('profiles', 'profiles_read_own', own, NULL)
            UNION ALL
            SELECT t, t || '_read_own', own, NULL FROM unnest(ARRAY['crm_dashboard_stats', 'crm_credit_ledger', 'crm_payments']) t
            UNION ALL
            SELECT t, t || '_' || kind, CASE WHEN kind <> 'insert_own' THEN own END,
                   CASE kind WHEN 'insert_own' THEN own
                                 -- A recording the app inserts is always charged: nobody records for free.
                                 || CASE t WHEN 'crm_recordings' THEN ' AND credit_charged' ELSE '' END
                             WHEN 'update_own' THEN own END
            FROM unnest(ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes']) t,
                 unnest(ARRAY['read_own', 'insert_own', 'update_own', 'delete_own']) kind)
        SELECT w.* FROM wanted w
        JOIN pg_policy p ON p.polrelid = format('public.%I', w.table_name)::regclass AND p.polname = w.policy_name
        -- Only what has the other form: a distributed table keeps the per-row one (and Citus 13 cannot
        -- propagate an ALTER POLICY on a table with a mixed-case name).
        WHERE (coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''))
              ~* 'SELECT' IS DISTINCT FROM p_evaluate_once
    LOOP
        EXECUTE format('ALTER POLICY %I ON public.%I', policy.policy_name, policy.table_name)
             || coalesce(' USING (' || policy.using_clause || ')', '') || coalesce(' WITH CHECK (' || policy.check_clause || ')', '');
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
