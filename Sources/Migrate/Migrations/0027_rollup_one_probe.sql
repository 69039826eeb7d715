-- crm_activity_add() (0025) probed the folded rows twice for each counted (month, user): once to update it,
-- again to insert it where none was (NOT EXISTS). Under the folding's lock nothing else writes the folded rows, and
-- every counted row with a change is either updated (a folded row exists) or inserted (none does), so the rows to
-- insert are the counted ones the update did not return: an anti-join against the update's few rows instead of an
-- index probe each. A nightly of 14,000 new users into 9.8M rows counts 28,165 (month, user) rows: the second probe
-- was 58 ms of its 3.2 s (auto_explain), and every fold of the app's deltas pays it too.
-- The folding's lock first, as 0025 took it: no fold runs while the function is replaced.
SELECT pg_advisory_xact_lock(crm_private.crm_rollup_lock_key());

CREATE OR REPLACE FUNCTION crm_private.crm_activity_add(counted regclass) RETURNS void
LANGUAGE plpgsql
SET search_path = crm_private, pg_temp
SET work_mem = '64MB'
AS $$
DECLARE
    emptied_months date[];
    emptied_emails text[];
BEGIN
    PERFORM pg_advisory_xact_lock(crm_rollup_lock_key());
    -- Existing rows are updated and the others inserted in (month, email) order, twice as fast as an
    -- INSERT … ON CONFLICT of the same rows; the rows to insert are those the update did not find (one probe of the
    -- folded rows per counted row). The active users change where a row becomes active or stops being so.
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
            WHERE NOT EXISTS (SELECT FROM updated u WHERE u.month = g.month AND u.email = g.email)
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
