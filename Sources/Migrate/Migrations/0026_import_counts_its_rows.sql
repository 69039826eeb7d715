-- A nightly import counts the rows it inserts into the report rollup itself (issue 27). Through the statement
-- triggers, its five inserts appended 620k deltas at 979k rows (a grouping per statement over a transition table
-- of every row), which the fold after its commit deleted, grouped again and wrote as 282k per-user month rows:
-- ~3 s of a 20 s nightly. Now it groups its staged rows once and adds them to the folded rows before its commit,
-- under the folding's lock.
--   * The rollup's insert triggers stand aside while `crm.rollup_counted` is on, as the upkeep triggers do with
--     `crm.bulk_load` (0015): only for a role to whom RLS does not apply, so that the app's writes are always
--     counted. The import turns it on around a plain insert of staged rows only, and counts those rows itself.
--   * crm_activity_add(counted): adds a table of counts per (month, email) to the folded rows; the fold (its
--     grouped deltas) and the import (its grouped rows) both call it.

-- Adds `counted` (month, email, applications, recordings, resumes, sign_ups, payments, charged; one row per month
-- and user) to the per-user and all-user rows, and drops the per-user rows that fell to zero (a removed user's).
-- Holds the folding's lock to the caller's commit: only one writer of the folded rows at a time. Runs as its
-- caller (SECURITY INVOKER), who may read the temporary table it made; the fold calls it as the fold's owner.
CREATE FUNCTION crm_private.crm_activity_add(counted regclass) RETURNS void
LANGUAGE plpgsql
SET search_path = crm_private, pg_temp
SET work_mem = '64MB'
AS $$
DECLARE
    emptied_months date[];
    emptied_emails text[];
BEGIN
    PERFORM pg_advisory_xact_lock(crm_rollup_lock_key());
    -- Existing rows are updated and new ones inserted in (month, email) order, twice as fast as an
    -- INSERT … ON CONFLICT of the same rows. The active users change where a row becomes active or stops being so.
    EXECUTE format($fold$
        WITH updated AS (
            UPDATE crm_activity_months m
            SET applications = m.applications + g.applications, recordings = m.recordings + g.recordings,
                resumes = m.resumes + g.resumes, sign_ups = m.sign_ups + g.sign_ups, payments = m.payments + g.payments,
                charged = m.charged + g.charged
            FROM %1$s g
            WHERE m.month = g.month AND m.email = g.email
              AND (g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged) <> (0, 0, 0, 0, 0, 0)
            RETURNING m.month, m.email, (m.applications, m.recordings, m.resumes, m.sign_ups, m.payments, m.charged) = (0, 0, 0, 0, 0, 0) AS empty,
                      (m.applications + m.recordings + m.resumes > 0)::integer
                      - (m.applications + m.recordings + m.resumes - g.applications - g.recordings - g.resumes > 0)::integer AS became_active),
         inserted AS (
            INSERT INTO crm_activity_months (month, email, applications, recordings, resumes, sign_ups, payments, charged)
            SELECT g.month, g.email, g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged FROM %1$s g
            WHERE NOT EXISTS (SELECT FROM crm_activity_months m WHERE m.month = g.month AND m.email = g.email)
              AND (g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged) <> (0, 0, 0, 0, 0, 0)
            ORDER BY g.month, g.email
            RETURNING month, (applications + recordings + resumes > 0)::integer AS became_active),
         active AS (
            SELECT month, sum(became_active) AS became_active
            FROM (SELECT month, became_active FROM updated UNION ALL SELECT month, became_active FROM inserted) changed
            GROUP BY month),
         all_users AS (
            INSERT INTO crm_activity_totals AS t (month, applications, recordings, resumes, sign_ups, payments, charged, active_users)
            SELECT g.month, g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged, coalesce(a.became_active, 0)
            FROM (SELECT month, sum(applications) AS applications, sum(recordings) AS recordings, sum(resumes) AS resumes,
                         sum(sign_ups) AS sign_ups, sum(payments) AS payments, sum(charged) AS charged
                  FROM %1$s GROUP BY month) g
            LEFT JOIN active a ON a.month = g.month
            ON CONFLICT (month) DO UPDATE
            SET applications = t.applications + excluded.applications, recordings = t.recordings + excluded.recordings,
                resumes = t.resumes + excluded.resumes, sign_ups = t.sign_ups + excluded.sign_ups,
                payments = t.payments + excluded.payments, charged = t.charged + excluded.charged,
                active_users = t.active_users + excluded.active_users)
        SELECT array_agg(month) FILTER (WHERE empty), array_agg(email) FILTER (WHERE empty) FROM updated
        $fold$, counted)
    INTO emptied_months, emptied_emails;

    DELETE FROM crm_activity_months m
    USING unnest(emptied_months, emptied_emails) AS e(month, email)
    WHERE m.month = e.month AND m.email = e.email;
END
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_add(regclass) FROM PUBLIC, anon, authenticated, service_role;

-- As in 0025: the deltas, grouped, added by crm_activity_add().
CREATE OR REPLACE FUNCTION crm_private.crm_activity_fold() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, pg_temp
SET work_mem = '64MB'
AS $$
DECLARE
    folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(crm_rollup_lock_key());
    CREATE TEMPORARY TABLE crm_activity_folding (
        month date NOT NULL, email text NOT NULL, applications integer NOT NULL, recordings integer NOT NULL,
        resumes integer NOT NULL, sign_ups integer NOT NULL, payments integer NOT NULL, charged integer NOT NULL);
    WITH moved AS (DELETE FROM crm_activity_deltas RETURNING *),
         grouped AS (
            INSERT INTO crm_activity_folding
            SELECT month, email, sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged)
            FROM moved GROUP BY month, email)
    SELECT count(*) INTO folded FROM moved;
    PERFORM crm_activity_add('pg_temp.crm_activity_folding');
    DROP TABLE pg_temp.crm_activity_folding;
    RETURN folded;
END
$$;

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
