-- The month's active users kept in the rollup (issue 27): `report summary` counted them by reading every user's
-- row of the month (292k rows at 9.8M rows, most of its time). A user is active in a month when they applied,
-- recorded or made a resume in it (`applications + recordings + resumes > 0`, the reports' "activity").
-- crm_activity_totals.active_users counts the folded rows that are active; crm_activity_active_users(month) adds
-- what the deltas not folded yet change, for the reports and `verify`. crm_activity_add(counted) adds a table of
-- counts per month and user to the folded rows, keeping that count: the fold adds its grouped deltas with it (and
-- from 0026 a nightly its own counted rows).
-- The folding's lock first, before the table's: a fold takes them in that order (no folding meanwhile).
SELECT pg_advisory_xact_lock(crm_private.crm_rollup_lock_key());
ALTER TABLE crm_private.crm_activity_totals ADD COLUMN active_users bigint NOT NULL DEFAULT 0;

-- The month's active users: the folded count, plus the users whose unfolded deltas make them active, minus those
-- they make inactive (a few rows: the deltas of one month). Read in the caller's snapshot. PARALLEL SAFE (it only
-- reads): a call of an unsafe function kept the whole report statement from a parallel plan.
CREATE FUNCTION crm_private.crm_activity_active_users(of_month date) RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = crm_private, pg_temp
AS $$
    SELECT coalesce((SELECT active_users FROM crm_activity_totals WHERE month = of_month), 0)
         + coalesce((SELECT sum((folded + added > 0)::integer - (folded > 0)::integer)
                     FROM (SELECT d.email, sum(d.applications + d.recordings + d.resumes) AS added,
                                  coalesce((SELECT m.applications + m.recordings + m.resumes FROM crm_activity_months m
                                            WHERE m.month = of_month AND m.email = d.email), 0) AS folded
                           FROM crm_activity_deltas d WHERE d.month = of_month GROUP BY d.email) unfolded), 0)
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_active_users(date) FROM PUBLIC, anon, authenticated, service_role;

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

-- As in 0024, the grouped deltas added by crm_activity_add().
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

-- As in 0024, with the active users.
CREATE OR REPLACE FUNCTION crm_private.crm_activity_rebuild() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, pg_temp
AS $$
BEGIN
    DELETE FROM crm_activity_deltas;
    DELETE FROM crm_activity_months;
    DELETE FROM crm_activity_totals;
    INSERT INTO crm_activity_months SELECT * FROM crm_activity_recount() ORDER BY month, email;  -- a month's rows together
    INSERT INTO crm_activity_totals
    SELECT month, sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged),
           count(*) FILTER (WHERE applications + recordings + resumes > 0)
    FROM crm_activity_months GROUP BY month;
END
$$;

-- As in 0024; the all-user rows compare the active users too, as a seventh figure: the users active in the tables
-- against crm_activity_active_users().
CREATE OR REPLACE FUNCTION crm_private.crm_activity_drift()
RETURNS TABLE (month date, email text, expected text, found text)
LANGUAGE sql STABLE
SET search_path = crm_private, pg_temp
AS $$
    WITH real AS MATERIALIZED (SELECT * FROM crm_activity_recount()),
         -- Each side's rows, per user (email) and for all users (email NULL).
         sides AS (
            SELECT 'real' AS side, month, email, applications, recordings, resumes, sign_ups, payments, charged, 0 AS active FROM real
            UNION ALL
            SELECT 'real', month, NULL, applications, recordings, resumes, sign_ups, payments, charged,
                   (applications + recordings + resumes > 0)::integer FROM real
            UNION ALL
            SELECT 'kept', month, email, applications, recordings, resumes, sign_ups, payments, charged, 0 FROM crm_activity_months
            UNION ALL
            SELECT 'kept', month, NULL, applications, recordings, resumes, sign_ups, payments, charged, 0 FROM crm_activity_totals
            UNION ALL
            SELECT 'kept', month, e.email, applications, recordings, resumes, sign_ups, payments, charged, 0
            FROM crm_activity_deltas, LATERAL (VALUES (email), (NULL)) AS e(email)
            UNION ALL
            SELECT 'kept', month, NULL, 0, 0, 0, 0, 0, 0, crm_activity_active_users(month)
            FROM (SELECT month FROM crm_activity_totals UNION SELECT month FROM crm_activity_deltas) kept_months),
         summed AS (
            SELECT month, email, side,
                   concat_ws('/', sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged),
                             CASE WHEN email IS NULL THEN sum(active) END) AS counts
            FROM sides GROUP BY month, email, side),
         compared AS (
            SELECT month, email,
                   coalesce(max(counts) FILTER (WHERE side = 'real'), CASE WHEN email IS NULL THEN '0/0/0/0/0/0/0' ELSE '0/0/0/0/0/0' END) AS expected,
                   coalesce(max(counts) FILTER (WHERE side = 'kept'), CASE WHEN email IS NULL THEN '0/0/0/0/0/0/0' ELSE '0/0/0/0/0/0' END) AS found
            FROM summed GROUP BY month, email)
    SELECT month, email, expected, found FROM compared WHERE expected <> found ORDER BY email NULLS LAST, month
$$;

-- The count for the rows folded before this migration, under the folding's lock taken above; the deltas are not
-- folded here. Empty when the rollup was never filled.
UPDATE crm_private.crm_activity_totals t
SET active_users = (SELECT count(*) FROM crm_private.crm_activity_months m
                    WHERE m.month = t.month AND m.applications + m.recordings + m.resumes > 0);
