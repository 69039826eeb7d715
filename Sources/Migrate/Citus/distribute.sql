-- `crm-pipeline migrate --citus`: spreads the CRM tables over a Citus cluster. Idempotent: a table that
-- is already distributed is left alone, so it runs after every `migrate`. Its statements commit one by
-- one (Citus refuses some of them after the others in one transaction); each is idempotent, so a run
-- cut short is finished by the next.
--   * "digital_resume_by_CRM" is distributed by email; every other CRM table is co-located with it
--     (same email → same shard → same node), so a user's rows, stats, ledger and the triggers that
--     keep them stay on one node and every foreign key is checked there.
--   * profiles and auth.users are reference tables (a copy on every node): their keys do not include
--     the email, and the triggers on the shards read them.
--   * citus.enable_unsafe_triggers lets tables with triggers be distributed: the triggers then run
--     on the shards, which is safe here because they only touch rows of the same email.
SET citus.enable_unsafe_triggers = on;

-- A trigger on a shard cannot write the reference table profiles, and one on the reference table
-- auth.users cannot reach a CRM shard on another node: the triggers that would are dropped, and
-- crm_profiles_catch_up() does their work from the coordinator (every import runs it first, so does
-- `verify --fix`; see docs/scaling-out.md for running it more often). The balance of record,
-- crm_dashboard_stats.credits, and the CRM user's own rows are still kept by the triggers on the shards.
DROP TRIGGER IF EXISTS crm_dashboard_stats_profiles_follow ON public.crm_dashboard_stats;
DROP TRIGGER IF EXISTS crm_users_open_profile ON public."digital_resume_by_CRM";
DROP TRIGGER IF EXISTS crm_users_link_profile ON public."digital_resume_by_CRM";
DROP TRIGGER IF EXISTS crm_link_crm_user ON auth.users;

-- The report rollup's statement triggers (migration 0024) have transition tables, which Citus has not on
-- distributed tables: they are dropped, the rollup emptied and marked out of use, and the reports read the
-- tables' shards, grouped there.
DO $rollup$
DECLARE
    kept record;
BEGIN
    FOR kept IN SELECT tgname, tgrelid::regclass AS table_name FROM pg_trigger WHERE tgname ~ '_rollup_(inserts|deletes|updates)$'
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', kept.tgname, kept.table_name);
    END LOOP;
    UPDATE crm_private.crm_activity_rollup_state SET in_use = false WHERE in_use;
    DELETE FROM crm_private.crm_activity_deltas;
    DELETE FROM crm_private.crm_activity_months;
    DELETE FROM crm_private.crm_activity_totals;
END
$rollup$;

-- The catch-up updates CRM users and then their rows, joined with them, in one transaction: in Citus's
-- parallel mode the second statement can need placements that the first modified over different
-- connections, which Citus refuses ("cannot perform query with placements that were modified over
-- multiple connections"). One connection per node for it, then.
ALTER FUNCTION crm_private.crm_profiles_catch_up(text[]) SET citus.multi_shard_modify_mode = 'sequential';

-- The `tables` report's sizes: a Citus table's coordinator copy is an empty shell, so its shards are
-- added up (sizes by Citus; dead rows asked of every shard).
CREATE OR REPLACE FUNCTION crm_private.crm_table_sizes(p_table regclass, OUT heap_bytes bigint, OUT index_bytes bigint,
                                                       OUT total_bytes bigint, OUT dead_rows bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT citus_relation_size(p_table), citus_total_relation_size(p_table) - citus_table_size(p_table),
           citus_total_relation_size(p_table),
           (SELECT coalesce(sum(nullif(result, '')::bigint), 0)
            FROM run_command_on_shards(p_table, $cmd$SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = '%s'::regclass$cmd$)
            WHERE success)
    FROM pg_dist_partition WHERE logicalrelid = p_table
    UNION ALL
    SELECT pg_relation_size(p_table), pg_indexes_size(p_table), pg_total_relation_size(p_table),
           coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = p_table), 0)
    WHERE NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = p_table)
$$;

-- Citus refuses subqueries in policies on distributed tables: the per-row form of auth.uid() (0017).
SELECT crm_private.crm_set_policies(false);

-- The reference tables first, committed on their own: the CRM tables' triggers name profiles in their
-- WHEN clause (0015), which the workers resolve when they make the shards.
DO $reference$
BEGIN
    -- Two of these at once would both try to distribute the same table.
    PERFORM pg_advisory_xact_lock(hashtext('crm-pipeline migrate --citus'));
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'public.profiles'::regclass) THEN
        PERFORM create_reference_table('public.profiles');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'auth.users'::regclass) THEN
        PERFORM create_reference_table('auth.users');
    END IF;
END
$reference$;

DO $distribute$
DECLARE
    child text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('crm-pipeline migrate --citus'));
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
