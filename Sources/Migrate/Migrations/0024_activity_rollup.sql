-- The monthly rollup the reports read (issue 27): per month and user, the rows each of the five activity
-- tables holds, so that `report summary` and `report users` for whole months read the rollup instead of
-- every row of the window.
--   * crm_activity_deltas: what each write changed, appended by statement-level triggers with transition
--     tables, one row per (user, month) a statement touched. Appending takes no row lock, so the app's writes
--     never wait for one another or for an import's on the rollup, and an import's writes are counted
--     set-based. The triggers are ENABLE ALWAYS: they also fire while an import lets the other triggers
--     stand aside (crm.bulk_load, session_replication_role), so every path (the app's writes, the import's
--     merges, removals, renames, merges, erasures, foreign-key cascades) keeps the rollup without code of
--     its own, and the rollup is exact at every commit.
--   * crm_activity_months (per user) and crm_activity_totals (all users): the deltas folded by
--     crm_activity_fold(), which every import calls after it commits and `verify --fix` calls too. Only the
--     folding writes them, so the app never waits on their rows either.
-- A report reads the folded rows plus the deltas not folded yet. `verify` recounts the rollup from the tables.
-- Until the rollup is filled (crm_activity_fill(), which `migrate` calls), and on Citus (no transition tables
-- on distributed tables, so no such triggers), the reports read the tables: crm_activity_rollup_state.in_use
-- says which.
CREATE TABLE crm_private.crm_activity_deltas (
    email text NOT NULL,
    month date NOT NULL,
    applications integer NOT NULL DEFAULT 0,
    recordings integer NOT NULL DEFAULT 0,
    resumes integer NOT NULL DEFAULT 0,
    sign_ups integer NOT NULL DEFAULT 0,
    payments integer NOT NULL DEFAULT 0,
    charged integer NOT NULL DEFAULT 0
);

CREATE TABLE crm_private.crm_activity_months (
    month date NOT NULL,
    email text NOT NULL,
    applications integer NOT NULL,
    recordings integer NOT NULL,
    resumes integer NOT NULL,
    sign_ups integer NOT NULL,
    payments integer NOT NULL,
    charged integer NOT NULL,
    PRIMARY KEY (month, email)
);

CREATE TABLE crm_private.crm_activity_totals (
    month date PRIMARY KEY,
    applications bigint NOT NULL,
    recordings bigint NOT NULL,
    resumes bigint NOT NULL,
    sign_ups bigint NOT NULL,
    payments bigint NOT NULL,
    charged bigint NOT NULL
);

CREATE TABLE crm_private.crm_activity_rollup_state (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    in_use boolean NOT NULL
);

REVOKE ALL ON crm_private.crm_activity_deltas, crm_private.crm_activity_months, crm_private.crm_activity_totals,
    crm_private.crm_activity_rollup_state FROM PUBLIC, anon, authenticated, service_role;

-- The advisory lock a folding holds (CRMSchema's AdvisoryLockKey.activityRollup), and `verify --fix` while it
-- rebuilds the rollup in one snapshot.
CREATE FUNCTION crm_private.crm_rollup_lock_key() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$ SELECT 4851024820429605964::bigint $$;  -- "CRM_ROLL"
REVOKE ALL ON FUNCTION crm_private.crm_rollup_lock_key() FROM PUBLIC, anon, authenticated, service_role;

-- Folds the deltas into the per-user and all-user rows, and drops the per-user rows that fell to zero (a
-- removed user's). Safe beside the app's writes (it only deletes deltas, which nobody else updates); one
-- folding at a time (crm_rollup_lock_key()). Returns the deltas folded.
CREATE FUNCTION crm_private.crm_activity_fold() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, pg_temp
SET work_mem = '64MB'
AS $$
DECLARE
    folded bigint;
    emptied_months date[];
    emptied_emails text[];
BEGIN
    PERFORM pg_advisory_xact_lock(crm_rollup_lock_key());
    -- Only a folding writes the folded rows, one at a time: existing rows are updated and new ones inserted
    -- in (month, email) order, twice as fast as an INSERT … ON CONFLICT of the same rows.
    WITH moved AS (DELETE FROM crm_activity_deltas RETURNING *),
         grouped AS MATERIALIZED (
            SELECT month, email, sum(applications)::integer AS applications, sum(recordings)::integer AS recordings,
                   sum(resumes)::integer AS resumes, sum(sign_ups)::integer AS sign_ups, sum(payments)::integer AS payments,
                   sum(charged)::integer AS charged
            FROM moved GROUP BY month, email),
         updated AS (
            UPDATE crm_activity_months m
            SET applications = m.applications + g.applications, recordings = m.recordings + g.recordings,
                resumes = m.resumes + g.resumes, sign_ups = m.sign_ups + g.sign_ups, payments = m.payments + g.payments,
                charged = m.charged + g.charged
            FROM grouped g
            WHERE m.month = g.month AND m.email = g.email
              AND (g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged) <> (0, 0, 0, 0, 0, 0)
            RETURNING m.month, m.email, (m.applications, m.recordings, m.resumes, m.sign_ups, m.payments, m.charged) = (0, 0, 0, 0, 0, 0) AS empty),
         inserted AS (
            INSERT INTO crm_activity_months
            SELECT g.* FROM grouped g
            WHERE NOT EXISTS (SELECT FROM crm_activity_months m WHERE m.month = g.month AND m.email = g.email)
              AND (g.applications, g.recordings, g.resumes, g.sign_ups, g.payments, g.charged) <> (0, 0, 0, 0, 0, 0)
            ORDER BY g.month, g.email),
         all_users AS (
            INSERT INTO crm_activity_totals AS t (month, applications, recordings, resumes, sign_ups, payments, charged)
            SELECT month, sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged)
            FROM grouped GROUP BY month
            ON CONFLICT (month) DO UPDATE
            SET applications = t.applications + excluded.applications, recordings = t.recordings + excluded.recordings,
                resumes = t.resumes + excluded.resumes, sign_ups = t.sign_ups + excluded.sign_ups,
                payments = t.payments + excluded.payments, charged = t.charged + excluded.charged)
    SELECT (SELECT count(*) FROM moved), array_agg(month) FILTER (WHERE empty), array_agg(email) FILTER (WHERE empty)
    INTO folded, emptied_months, emptied_emails
    FROM updated;

    DELETE FROM crm_activity_months m
    USING unnest(emptied_months, emptied_emails) AS e(month, email)
    WHERE m.month = e.month AND m.email = e.email;
    RETURN folded;
END
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_fold() FROM PUBLIC, anon, authenticated, service_role;

-- The rollup counted again from the tables, as the folded rows: what `verify` compares with and the fill
-- and `verify --fix` write.
CREATE FUNCTION crm_private.crm_activity_recount()
RETURNS TABLE (month date, email text, applications integer, recordings integer, resumes integer, sign_ups integer,
               payments integer, charged integer)
LANGUAGE sql STABLE
SET search_path = crm_private, public, pg_temp
AS $$
    -- A row counts in the month (its first day, UTC) of its time, as in the triggers below.
    SELECT date_trunc('month', timezone('UTC', at))::date AS month, email, count(*) FILTER (WHERE kind = 1)::integer,
           count(*) FILTER (WHERE kind = 2)::integer, count(*) FILTER (WHERE kind = 3)::integer,
           count(*) FILTER (WHERE kind = 4)::integer, count(*) FILTER (WHERE kind = 5)::integer,
           count(*) FILTER (WHERE charged)::integer
    FROM (SELECT email, created_at AS at, 1 AS kind, false AS charged FROM crm_job_requests
          UNION ALL SELECT email, created_at, 2, credit_charged FROM crm_recordings
          UNION ALL SELECT email, created_at, 3, false FROM crm_resumes
          UNION ALL SELECT email, created_at, 4, false FROM "digital_resume_by_CRM"
          UNION ALL SELECT email, paid_at, 5, false FROM crm_payments) counted
    GROUP BY 1, 2
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_recount() FROM PUBLIC, anon, authenticated, service_role;

-- Where the rollup (folded rows plus deltas) differs from the tables' counts: per user and month (`email` set),
-- then per month for all users (`email` NULL); `expected` and `found` as
-- applications/recordings/resumes/sign_ups/payments/charged. Empty when the rollup is exact. `verify` and the
-- tests' invariants read it.
CREATE FUNCTION crm_private.crm_activity_drift()
RETURNS TABLE (month date, email text, expected text, found text)
LANGUAGE sql STABLE
SET search_path = crm_private, pg_temp
AS $$
    WITH real AS MATERIALIZED (SELECT * FROM crm_activity_recount()),
         -- Each side's rows, per user (email) and for all users (email NULL).
         sides AS (
            SELECT 'real' AS side, month, email, applications, recordings, resumes, sign_ups, payments, charged FROM real
            UNION ALL
            SELECT 'real', month, NULL, applications, recordings, resumes, sign_ups, payments, charged FROM real
            UNION ALL
            SELECT 'kept', month, email, applications, recordings, resumes, sign_ups, payments, charged FROM crm_activity_months
            UNION ALL
            SELECT 'kept', month, NULL, applications, recordings, resumes, sign_ups, payments, charged FROM crm_activity_totals
            UNION ALL
            SELECT 'kept', month, e.email, applications, recordings, resumes, sign_ups, payments, charged
            FROM crm_activity_deltas, LATERAL (VALUES (email), (NULL)) AS e(email)),
         summed AS (
            SELECT month, email, side,
                   concat_ws('/', sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged)) AS counts
            FROM sides GROUP BY month, email, side),
         compared AS (
            SELECT month, email, coalesce(max(counts) FILTER (WHERE side = 'real'), '0/0/0/0/0/0') AS expected,
                   coalesce(max(counts) FILTER (WHERE side = 'kept'), '0/0/0/0/0/0') AS found
            FROM summed GROUP BY month, email)
    SELECT month, email, expected, found FROM compared WHERE expected <> found ORDER BY email NULLS LAST, month
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_drift() FROM PUBLIC, anon, authenticated, service_role;

-- The rollup set to the tables' counts, the deltas the caller's snapshot sees dropped (crm_activity_fill()).
CREATE FUNCTION crm_private.crm_activity_rebuild() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, pg_temp
AS $$
BEGIN
    DELETE FROM crm_activity_deltas;
    DELETE FROM crm_activity_months;
    DELETE FROM crm_activity_totals;
    INSERT INTO crm_activity_months SELECT * FROM crm_activity_recount() ORDER BY month, email;  -- a month's rows together
    INSERT INTO crm_activity_totals
    SELECT month, sum(applications), sum(recordings), sum(resumes), sum(sign_ups), sum(payments), sum(charged)
    FROM crm_activity_months GROUP BY month;
END
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_rebuild() FROM PUBLIC, anon, authenticated, service_role;

-- One trigger function per table, made from one template, and its three triggers: the statement's rows
-- (new_rows, old_rows) counted per user and month, inserted as +1 and deleted as -1; an update appends only
-- where a row's month or charge changed (the others net to zero and append nothing). ENABLE ALWAYS: they
-- fire for an import too. Not on Citus, whose distributed tables have no transition tables; there the
-- rollup stays out of use. The rollup starts out of use and empty: crm_activity_fill() below fills it after
-- this transaction, in a snapshot, so that the app's writes do not wait for the recount (30 s at 10M rows).
DO $rollup$
DECLARE
    source record;
    distributed constant boolean := crm_private.crm_is_distributed();
    -- One statement appending what a source of signed rows (email, month, charged, sign) changed.
    append constant text := $append$
        INSERT INTO crm_activity_deltas (email, month, %1$I, charged)
        SELECT email, month, sum(sign), coalesce(sum(sign) FILTER (WHERE charged), 0)
        FROM (%2$s) changed
        GROUP BY email, month
        HAVING sum(sign) <> 0 OR sum(sign) FILTER (WHERE charged) <> 0;$append$;
    signed constant text := 'SELECT email, date_trunc(''month'', timezone(''UTC'', %1$I))::date AS month, %2$s AS charged, '
                            '%3$s AS sign FROM %4$I';
    inserted text;
    deleted text;
BEGIN
    FOR source IN
        SELECT * FROM (VALUES ('crm_job_requests', 'crm_activity_of_job_requests', 'applications', 'created_at', 'false'),
                              ('crm_recordings', 'crm_activity_of_recordings', 'recordings', 'created_at', 'credit_charged'),
                              ('crm_resumes', 'crm_activity_of_resumes', 'resumes', 'created_at', 'false'),
                              ('digital_resume_by_CRM', 'crm_activity_of_users', 'sign_ups', 'created_at', 'false'),
                              ('crm_payments', 'crm_activity_of_payments', 'payments', 'paid_at', 'false'))
            AS s(table_name, function_name, counted, at, charged)
    LOOP
        inserted := format(signed, source.at, source.charged, 1, 'new_rows');
        deleted := format(signed, source.at, source.charged, -1, 'old_rows');
        EXECUTE format($function$
            CREATE FUNCTION crm_private.%1$I() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = crm_private, pg_temp
            AS $body$
            BEGIN
                IF TG_OP = 'INSERT' THEN %2$s
                ELSIF TG_OP = 'DELETE' THEN %3$s
                ELSE %4$s
                END IF;
                RETURN NULL;
            END
            $body$$function$,
            source.function_name, format(append, source.counted, inserted), format(append, source.counted, deleted),
            format(append, source.counted, inserted || ' UNION ALL ' || deleted));
        EXECUTE format('REVOKE ALL ON FUNCTION crm_private.%I() FROM PUBLIC, anon, authenticated, service_role',
                       source.function_name);
        CONTINUE WHEN distributed;
        EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON public.%2$I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION crm_private.%3$I()',
                       source.table_name || '_rollup_inserts', source.table_name, source.function_name);
        EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON public.%2$I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION crm_private.%3$I()',
                       source.table_name || '_rollup_deletes', source.table_name, source.function_name);
        EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON public.%2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION crm_private.%3$I()',
                       source.table_name || '_rollup_updates', source.table_name, source.function_name);
        EXECUTE format('ALTER TABLE public.%1$I ENABLE ALWAYS TRIGGER %2$I, ENABLE ALWAYS TRIGGER %3$I, ENABLE ALWAYS TRIGGER %4$I',
                       source.table_name, source.table_name || '_rollup_inserts', source.table_name || '_rollup_deletes',
                       source.table_name || '_rollup_updates');
    END LOOP;
    INSERT INTO crm_private.crm_activity_rollup_state (in_use) VALUES (false);
END
$rollup$;

-- Fills the rollup from the tables and puts it in use (the reports read the tables until then). Called in a
-- REPEATABLE READ transaction, after the caller took crm_rollup_lock_key() (before the snapshot): the deltas
-- the snapshot sees are replaced by its recount, those committed later stay, so nothing is counted twice or
-- lost, and the app's writes never wait for it. `migrate` calls it after applying this migration, `verify
-- --fix` when the rollup differs from the tables or is not filled (after `migrate --print`). Not on Citus.
CREATE FUNCTION crm_private.crm_activity_fill() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, pg_temp
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'repeatable read' THEN
        RAISE EXCEPTION 'crm_activity_fill() needs one snapshot: call it in a REPEATABLE READ transaction';
    END IF;
    IF crm_is_distributed() THEN
        RETURN;
    END IF;
    PERFORM crm_activity_rebuild();
    UPDATE crm_activity_rollup_state SET in_use = true WHERE NOT in_use;
END
$$;
REVOKE ALL ON FUNCTION crm_private.crm_activity_fill() FROM PUBLIC, anon, authenticated, service_role;
