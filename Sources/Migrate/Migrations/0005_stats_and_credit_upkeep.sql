-- Stats and credits upkeep.
--
-- Two granularities of the same rules. The row triggers keep stats and credits for the app's
-- single-row inserts with static single-row statements (row-level triggers with static SQL were
-- measured fastest; statement-level transition tables do not work on Citus, and dynamic SQL is
-- planned on every call). A bulk loader lets the triggers stand aside (crm.bulk_load) and calls the
-- set-based functions once per import with every touched email. BulkUpkeepTests checks that both
-- paths end in the same state.

-- Whether the triggers stand aside in this transaction: `SET LOCAL crm.bulk_load = 'on'` is honoured
-- only for a caller that bypasses RLS anyway (superuser, or BYPASSRLS such as service_role), never for
-- anon or authenticated. The caller is read from the role setting (what SET ROLE sets, as PostgREST
-- does) or, without one, from the session user.
CREATE FUNCTION crm_is_bulk_loader() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(current_setting('crm.bulk_load', true), '') = 'on'
       AND EXISTS (
           SELECT 1 FROM pg_roles
           WHERE rolname = CASE current_setting('role')
                               WHEN 'none' THEN session_user::text
                               ELSE current_setting('role') END
             AND (rolsuper OR rolbypassrls))
$$;

-- The condition in every upkeep trigger's WHEN clause. It is inlined there (no SET clause, every name
-- schema-qualified, so that no search_path can redirect it): with the switch off it costs one setting
-- read, and for a superuser loader with the switch on the trigger function is not even called.
-- is_superuser follows SET ROLE and cannot be set by users.
CREATE FUNCTION crm_upkeep_applies() RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT COALESCE(pg_catalog.current_setting('crm.bulk_load', true), '') OPERATOR(pg_catalog.<>) 'on'
        OR NOT (pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on'
                OR public.crm_is_bulk_loader())
$$;

-- New CRM users get their stats row, and a credit account with 4 initial credits when their email
-- has none. An account that existed before its CRM row keeps its balance, booked as an opening
-- adjustment, so that credits always equal the ledger sum.
CREATE FUNCTION crm_users_created(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO crm_dashboard_stats (email)
    SELECT DISTINCT e.email FROM unnest(p_emails) AS e(email)
    ON CONFLICT (email) DO NOTHING;

    INSERT INTO crm_credit_ledger (email, delta, reason, ref)
    SELECT p.email, p.credits, 'adjustment', 'opening balance'
    FROM (SELECT DISTINCT email FROM unnest(p_emails) AS e(email)) e
    JOIN profiles p ON p.email = e.email
    LEFT JOIN crm_credit_ledger l ON l.email = e.email
    WHERE p.credits <> 0 AND l.email IS NULL;

    WITH opened AS (
        INSERT INTO profiles (email, user_id, credits)
        SELECT u.email, CASE WHEN u.first_of_account AND taken.id IS NULL THEN u.user_id END, 4
        FROM (SELECT u.email, u.user_id,
                     row_number() OVER (PARTITION BY u.user_id ORDER BY u.email) = 1 AS first_of_account
              FROM "digital_resume_by_CRM" u
              JOIN (SELECT DISTINCT email FROM unnest(p_emails) AS e(email)) e ON e.email = u.email) u
        LEFT JOIN profiles taken ON taken.user_id = u.user_id
        ON CONFLICT (email) DO NOTHING
        RETURNING email)
    INSERT INTO crm_credit_ledger (email, delta, reason)
    SELECT email, 4, 'initial' FROM opened;
END
$$;

-- Moves each user's stats by the given numbers of inserted (positive) or deleted (negative) rows.
CREATE FUNCTION crm_adjust_stats(
    p_emails text[], p_applications integer[], p_recordings integer[], p_resumes integer[]
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE crm_dashboard_stats s
    SET total_applications = s.total_applications + d.applications,
        total_recordings = s.total_recordings + d.recordings,
        total_resumes = s.total_resumes + d.resumes,
        updated_at = now()
    FROM (SELECT t.email, sum(t.a)::integer AS applications, sum(t.r)::integer AS recordings,
                 sum(t.x)::integer AS resumes
          FROM unnest(p_emails, p_applications, p_recordings, p_resumes) AS t(email, a, r, x)
          GROUP BY t.email) d
    WHERE s.email = d.email
      AND (d.applications, d.recordings, d.resumes) IS DISTINCT FROM (0, 0, 0);
END
$$;

-- Raises the error of a refused credit movement; the email goes to DETAIL only (it is personal data).
CREATE FUNCTION crm_refuse_credit_movement(p_email text, p_credits integer, p_delta integer) RETURNS void
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    IF p_credits IS NULL THEN
        RAISE EXCEPTION 'this CRM user has no credit account (no profiles row)'
            USING ERRCODE = 'foreign_key_violation', DETAIL = format('email: %s', p_email),
                  HINT = 'Run crm-pipeline verify --fix to open the missing accounts.';
    END IF;
    RAISE EXCEPTION 'insufficient credits: the user has % credit(s) and this needs %', p_credits, -p_delta
        USING ERRCODE = 'check_violation', DETAIL = format('email: %s', p_email),
              HINT = 'A payment grants 3 credits; a charged recording uses 1.';
END
$$;

-- Books ledger entries (one per array element) and moves each user's balance by their sum.
-- A balance that would go below zero refuses the whole call with a clear error (SQLSTATE 23514).
CREATE FUNCTION crm_book_credits(
    p_emails text[], p_deltas integer[], p_reasons text[], p_refs text[]
) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    short record;
BEGIN
    SELECT d.email, p.credits, d.delta
    INTO short
    FROM (SELECT t.email, sum(t.delta)::integer AS delta
          FROM unnest(p_emails, p_deltas) AS t(email, delta) GROUP BY t.email) d
    LEFT JOIN profiles p ON p.email = d.email
    WHERE p.email IS NULL OR p.credits + d.delta < 0
    LIMIT 1;
    IF FOUND THEN
        PERFORM crm_refuse_credit_movement(short.email, short.credits, short.delta);
    END IF;

    INSERT INTO crm_credit_ledger (email, delta, reason, ref)
    SELECT t.email, t.delta, t.reason, t.ref
    FROM unnest(p_emails, p_deltas, p_reasons, p_refs) AS t(email, delta, reason, ref)
    WHERE t.delta <> 0;

    UPDATE profiles p
    SET credits = p.credits + d.delta, updated_at = now()
    FROM (SELECT t.email, sum(t.delta)::integer AS delta
          FROM unnest(p_emails, p_deltas) AS t(email, delta) GROUP BY t.email) d
    WHERE p.email = d.email AND d.delta <> 0;
END
$$;

-- Copies each CRM user's user_id to their job requests, recordings and resumes, and to their credit
-- account when it has none (and no other account holds that user_id).
CREATE FUNCTION crm_link_accounts(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE crm_job_requests t SET user_id = u.user_id
    FROM "digital_resume_by_CRM" u JOIN unnest(p_emails) AS e(email) ON e.email = u.email
    WHERE t.email = u.email AND t.user_id IS DISTINCT FROM u.user_id;

    UPDATE crm_recordings t SET user_id = u.user_id
    FROM "digital_resume_by_CRM" u JOIN unnest(p_emails) AS e(email) ON e.email = u.email
    WHERE t.email = u.email AND t.user_id IS DISTINCT FROM u.user_id;

    UPDATE crm_resumes t SET user_id = u.user_id
    FROM "digital_resume_by_CRM" u JOIN unnest(p_emails) AS e(email) ON e.email = u.email
    WHERE t.email = u.email AND t.user_id IS DISTINCT FROM u.user_id;

    UPDATE profiles p SET user_id = u.user_id, updated_at = now()
    FROM "digital_resume_by_CRM" u
    JOIN unnest(p_emails) AS e(email) ON e.email = u.email
    LEFT JOIN profiles taken ON taken.user_id = u.user_id
    WHERE p.email = u.email AND p.user_id IS NULL AND u.user_id IS NOT NULL AND taken.id IS NULL;
END
$$;

-- Trigger functions: the single-row form of the upkeep. Their triggers carry
-- `WHEN (crm_upkeep_applies())`, so they do not run while a bulk loader has them stand aside.

CREATE FUNCTION crm_fill_user_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT a.id INTO NEW.user_id FROM auth.users a WHERE lower(a.email) = NEW.email ORDER BY a.id LIMIT 1;
    RETURN NEW;
END
$$;

-- A child row inserted without user_id (by a service or a script) belongs to its CRM user's account.
CREATE FUNCTION crm_fill_child_user_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    SELECT u.user_id INTO NEW.user_id FROM "digital_resume_by_CRM" u WHERE u.email = NEW.email;
    RETURN NEW;
END
$$;

-- The single-row form of crm_users_created: a new CRM row has no ledger rows yet.
CREATE FUNCTION crm_on_user_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    balance integer;
BEGIN
    INSERT INTO crm_dashboard_stats (email) VALUES (NEW.email) ON CONFLICT (email) DO NOTHING;
    INSERT INTO profiles (email, user_id, credits)
    SELECT NEW.email, CASE WHEN taken.id IS NULL THEN NEW.user_id END, 4
    FROM (VALUES (1)) AS one (n) LEFT JOIN profiles taken ON taken.user_id = NEW.user_id
    ON CONFLICT (email) DO NOTHING;
    IF FOUND THEN
        INSERT INTO crm_credit_ledger (email, delta, reason) VALUES (NEW.email, 4, 'initial');
    ELSE
        SELECT credits INTO balance FROM profiles WHERE email = NEW.email;
        IF balance <> 0 THEN
            INSERT INTO crm_credit_ledger (email, delta, reason, ref)
            VALUES (NEW.email, balance, 'adjustment', 'opening balance');
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_on_user_account_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM crm_link_accounts(ARRAY[NEW.email]);
    RETURN NULL;
END
$$;

-- TG_ARGV[0] names the stats column ('applications', 'recordings' or 'resumes'); TG_TABLE_NAME is
-- a shard's name on Citus, so it is not used. One static statement whatever the column.
CREATE FUNCTION crm_on_child_row_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    row_email text;
    delta integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        row_email := NEW.email;
        delta := 1;
    ELSE
        row_email := OLD.email;
        delta := -1;
    END IF;
    UPDATE crm_dashboard_stats
    SET total_applications = total_applications + CASE WHEN TG_ARGV[0] = 'applications' THEN delta ELSE 0 END,
        total_recordings = total_recordings + CASE WHEN TG_ARGV[0] = 'recordings' THEN delta ELSE 0 END,
        total_resumes = total_resumes + CASE WHEN TG_ARGV[0] = 'resumes' THEN delta ELSE 0 END,
        updated_at = now()
    WHERE email = row_email;
    RETURN NULL;
END
$$;

-- TG_ARGV[0] is the credit movement (-1 for a charged recording, 3 for a payment), TG_ARGV[1] its reason.
CREATE FUNCTION crm_on_credit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    delta constant integer := TG_ARGV[0]::integer;
    balance integer;
BEGIN
    UPDATE profiles SET credits = credits + delta, updated_at = now()
    WHERE email = NEW.email AND credits + delta >= 0;
    IF NOT FOUND THEN
        SELECT credits INTO balance FROM profiles WHERE email = NEW.email;
        PERFORM crm_refuse_credit_movement(NEW.email, balance, delta);
    END IF;
    INSERT INTO crm_credit_ledger (email, delta, reason, ref)
    VALUES (NEW.email, delta, TG_ARGV[1], coalesce(NEW.external_id, NEW.id::text));
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_forbid_email_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = public, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the email of a row in % cannot change', TG_ARGV[0]
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'Delete the row and insert it again under the new email.';
END
$$;

-- The app's sign-up (and an email change) links the CRM user with the same email, case-insensitively.
CREATE FUNCTION crm_on_auth_user_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE "digital_resume_by_CRM" SET user_id = NEW.id
    WHERE email = lower(btrim(NEW.email)) AND user_id IS DISTINCT FROM NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER crm_users_fill_user_id
    BEFORE INSERT ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (NEW.user_id IS NULL AND crm_upkeep_applies()) EXECUTE FUNCTION crm_fill_user_id();
CREATE TRIGGER crm_users_open_accounts
    AFTER INSERT ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_user_inserted();
CREATE TRIGGER crm_users_link_accounts
    AFTER UPDATE OF user_id ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id AND crm_upkeep_applies())
    EXECUTE FUNCTION crm_on_user_account_changed();

CREATE TRIGGER crm_job_requests_fill_user_id
    BEFORE INSERT ON crm_job_requests
    FOR EACH ROW WHEN (NEW.user_id IS NULL AND crm_upkeep_applies()) EXECUTE FUNCTION crm_fill_child_user_id();
CREATE TRIGGER crm_recordings_fill_user_id
    BEFORE INSERT ON crm_recordings
    FOR EACH ROW WHEN (NEW.user_id IS NULL AND crm_upkeep_applies()) EXECUTE FUNCTION crm_fill_child_user_id();
CREATE TRIGGER crm_resumes_fill_user_id
    BEFORE INSERT ON crm_resumes
    FOR EACH ROW WHEN (NEW.user_id IS NULL AND crm_upkeep_applies()) EXECUTE FUNCTION crm_fill_child_user_id();

CREATE TRIGGER crm_job_requests_count
    AFTER INSERT OR DELETE ON crm_job_requests
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_child_row_changed('applications');
CREATE TRIGGER crm_recordings_count
    AFTER INSERT OR DELETE ON crm_recordings
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_child_row_changed('recordings');
CREATE TRIGGER crm_resumes_count
    AFTER INSERT OR DELETE ON crm_resumes
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_child_row_changed('resumes');

-- An uncharged recording never calls the function: a WHEN clause is cheaper than an early return.
CREATE TRIGGER crm_recordings_charge_credit
    AFTER INSERT ON crm_recordings
    FOR EACH ROW WHEN (NEW.credit_charged AND crm_upkeep_applies()) EXECUTE FUNCTION crm_on_credit_event('-1', 'recording');
CREATE TRIGGER crm_recordings_charge_credit_later
    AFTER UPDATE OF credit_charged ON crm_recordings
    FOR EACH ROW WHEN (NEW.credit_charged AND NOT OLD.credit_charged AND crm_upkeep_applies())
    EXECUTE FUNCTION crm_on_credit_event('-1', 'recording');
CREATE TRIGGER crm_payments_grant_credits
    AFTER INSERT ON crm_payments
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_credit_event('3', 'payment');

DO $keep_email$
DECLARE
    table_name text;
BEGIN
    FOREACH table_name IN ARRAY ARRAY['digital_resume_by_CRM', 'crm_job_requests', 'crm_recordings',
                                      'crm_resumes', 'crm_dashboard_stats', 'crm_credit_ledger', 'crm_payments']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER crm_keep_email BEFORE UPDATE OF email ON %I FOR EACH ROW'
            ' WHEN (OLD.email IS DISTINCT FROM NEW.email) EXECUTE FUNCTION crm_forbid_email_change(%L)',
            table_name, table_name);
    END LOOP;
END
$keep_email$;

CREATE TRIGGER crm_link_crm_user
    AFTER INSERT OR UPDATE OF email ON auth.users
    FOR EACH ROW EXECUTE FUNCTION crm_on_auth_user_changed();

-- Nobody but the owner may call the upkeep directly: with Supabase's default privileges, anon and
-- authenticated would otherwise get EXECUTE (and PostgREST would expose them as RPCs).
REVOKE ALL ON FUNCTION
    crm_refuse_credit_movement(text, integer, integer), crm_users_created(text[]), crm_adjust_stats(text[], integer[], integer[], integer[]),
    crm_book_credits(text[], integer[], text[], text[]), crm_link_accounts(text[]),
    crm_fill_user_id(), crm_fill_child_user_id(), crm_on_user_inserted(), crm_on_user_account_changed(), crm_on_child_row_changed(),
    crm_on_credit_event(), crm_forbid_email_change(), crm_on_auth_user_changed()
FROM PUBLIC, anon, authenticated;

-- The stand-aside check runs as the inserting user (trigger WHEN clauses do): it only reads settings.
GRANT EXECUTE ON FUNCTION crm_is_bulk_loader(), crm_upkeep_applies() TO PUBLIC;
