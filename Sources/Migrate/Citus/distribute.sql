-- `crm-pipeline migrate --citus`: spreads the CRM tables over a Citus cluster. Idempotent: a table that
-- is already distributed is left alone, so it runs after every `migrate`.
--   * "digital_resume_by_CRM" is distributed by email; every other CRM table is co-located with it
--     (same email → same shard → same node), so a user's rows, stats, ledger and the triggers that
--     keep them stay on one node and every foreign key is checked there.
--   * profiles and auth.users are reference tables (a copy on every node): their keys do not include
--     the email, and the triggers on the shards read them.
--   * citus.enable_unsafe_triggers lets tables with triggers be distributed: the triggers then run
--     on the shards, which is safe here because they only touch rows of the same email.
SET citus.enable_unsafe_triggers = on;

-- profiles.credits cannot follow the co-located balance by trigger on Citus (a trigger on a shard
-- cannot write a reference table): imports, `verify --fix` and crm_profiles_follow_balances bring it
-- up to date instead. The balance of record is crm_dashboard_stats.credits.
DROP TRIGGER IF EXISTS crm_dashboard_stats_profiles_follow ON public.crm_dashboard_stats;

DO $distribute$
DECLARE
    child text;
BEGIN
    -- Two of these at once would both try to distribute the same table.
    PERFORM pg_advisory_xact_lock(hashtext('crm-pipeline migrate --citus'));
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'public.profiles'::regclass) THEN
        PERFORM create_reference_table('public.profiles');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'auth.users'::regclass) THEN
        PERFORM create_reference_table('auth.users');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'public."digital_resume_by_CRM"'::regclass) THEN
        PERFORM create_distributed_table('public."digital_resume_by_CRM"', 'email');
    END IF;
    -- Parents before children: crm_recordings refers to crm_job_requests.
    FOREACH child IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes', 'crm_dashboard_stats',
                                 'crm_payments', 'crm_credit_ledger'] LOOP
        IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = ('public.' || child)::regclass) THEN
            PERFORM create_distributed_table('public.' || child, 'email', colocate_with => 'public."digital_resume_by_CRM"');
        END IF;
    END LOOP;
    -- SET LOCAL (the importer's stand-aside switch, the app's JWT claims) must reach the shards'
    -- connections too, or the triggers and policies there would not see it.
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = %L', current_database(), 'local');
END
$distribute$;
