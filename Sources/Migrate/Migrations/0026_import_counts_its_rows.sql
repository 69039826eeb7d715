-- A nightly import counts the rows it inserts into the report rollup itself (issue 27). Through the statement
-- triggers, its five inserts appended 620k deltas at 979k rows (a grouping per statement over a transition table
-- of every row), which the fold after its commit deleted, grouped again and wrote as 282k per-user month rows:
-- ~3 s of a 20 s nightly. Now it groups its staged rows once and adds them to the folded rows before its commit
-- with crm_activity_add() (0025), under the folding's lock. The rollup's insert triggers stand aside while
-- `crm.rollup_counted` is on, as the upkeep triggers do with `crm.bulk_load` (0015): only for a role to whom RLS
-- does not apply, so that the app's writes are always counted. The import turns it on around a plain insert of
-- staged rows only, and counts those rows itself.

-- The insert triggers again, with the condition under which they stand aside (not on Citus, where
-- `migrate --citus` dropped them). Replaced in place (ShareRowExclusiveLock, as 0024 created them: the app's reads
-- and foreign-key checks go on, its writes to the table wait until the commit), CRM users first, in the order the
-- app's cascades take the tables; a replaced trigger fires on origin only, hence ENABLE ALWAYS again.
DO $rollup$
DECLARE
    source record;
BEGIN
    FOR source IN
        SELECT t.tgrelid::regclass AS table_name, t.tgname, p.proname
        FROM unnest(ARRAY['digital_resume_by_CRM', 'crm_job_requests', 'crm_recordings', 'crm_resumes', 'crm_payments'])
             WITH ORDINALITY AS o(table_name, position)
        JOIN pg_trigger t ON t.tgrelid = to_regclass('public.' || quote_ident(o.table_name))
                         AND t.tgname = o.table_name || '_rollup_inserts'
        JOIN pg_proc p ON p.oid = t.tgfoid
        ORDER BY o.position
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'WHEN (COALESCE(pg_catalog.current_setting(''crm.rollup_counted'', true), '''') <> ''on'' '
                       'OR pg_catalog.row_security_active(''public.profiles'')) '
                       'EXECUTE FUNCTION crm_private.%I()', source.tgname, source.table_name, source.proname);
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', source.table_name, source.tgname);
    END LOOP;
END
$rollup$;
