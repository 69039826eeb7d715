-- The domain's rules, each written once (issue 26): every statement after this migration, the import
-- and the reports call these instead of spelling the numbers.
--   * A new account opens with crm_opening_credits() credits; a payment adds crm_credits_per_payment();
--     a charged recording takes crm_credits_per_recording().
--   * crm_import_lock_key() is the advisory lock an import holds (CRMSchema's AdvisoryLockKey.importer).
-- IMMUTABLE without arguments: the planner folds each call into its constant before a query runs, so they
-- cost nothing per row (a SET clause keeps them from being inlined, not from being folded).
CREATE FUNCTION crm_private.crm_opening_credits() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$ SELECT 4 $$;
CREATE FUNCTION crm_private.crm_credits_per_payment() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$ SELECT 3 $$;
CREATE FUNCTION crm_private.crm_credits_per_recording() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$ SELECT 1 $$;
CREATE FUNCTION crm_private.crm_import_lock_key() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$ SELECT 4851024820278480980::bigint $$;  -- "CRM_IMPT"
REVOKE ALL ON FUNCTION crm_private.crm_opening_credits(), crm_private.crm_credits_per_payment(),
    crm_private.crm_credits_per_recording(), crm_private.crm_import_lock_key() FROM PUBLIC, anon, authenticated, service_role;

-- 0015's functions, the numbers replaced by the rule.
CREATE OR REPLACE FUNCTION crm_private.crm_on_credit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
DECLARE
    -- The trigger's one argument is the ledger's reason, which decides the movement.
    delta constant integer := CASE TG_ARGV[0] WHEN 'payment' THEN crm_credits_per_payment()
                                              WHEN 'recording' THEN -crm_credits_per_recording() END;
    switch constant text := coalesce(current_setting('crm.bulk_load', true), '');
    balance integer;
BEGIN
    PERFORM set_config('crm.bulk_load', 'off', true);
    UPDATE crm_dashboard_stats SET credits = credits + delta, updated_at = now()
    WHERE email = NEW.email AND credits + delta >= 0;
    IF NOT FOUND THEN
        SELECT credits INTO balance FROM crm_dashboard_stats WHERE email = NEW.email;
        PERFORM crm_refuse_credit_movement(NEW.email, balance, delta);
    END IF;
    INSERT INTO crm_credit_ledger (email, delta, reason, ref)
    VALUES (NEW.email, delta, TG_ARGV[0], coalesce(NEW.external_id, NEW.id::text));
    PERFORM set_config('crm.bulk_load', switch, true);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION crm_private.crm_on_user_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
DECLARE
    switch constant text := coalesce(current_setting('crm.bulk_load', true), '');
    opening integer;
BEGIN
    PERFORM set_config('crm.bulk_load', 'off', true);
    SELECT credits INTO opening FROM profiles WHERE email = NEW.email;
    INSERT INTO crm_dashboard_stats (email, credits) VALUES (NEW.email, coalesce(opening, crm_opening_credits()))
    ON CONFLICT (email) DO NOTHING;
    IF opening IS NULL THEN
        INSERT INTO crm_credit_ledger (email, delta, reason) VALUES (NEW.email, crm_opening_credits(), 'initial');
    ELSIF opening <> 0 THEN
        INSERT INTO crm_credit_ledger (email, delta, reason, ref)
        VALUES (NEW.email, opening, 'adjustment', 'opening balance');
    END IF;
    PERFORM set_config('crm.bulk_load', switch, true);
    RETURN NULL;
END
$$;

-- 0005's set-based opening of the users an import created.
CREATE OR REPLACE FUNCTION crm_private.crm_users_created(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
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
        SELECT u.email, CASE WHEN u.first_of_account AND taken.id IS NULL THEN u.user_id END, crm_opening_credits()
        FROM (SELECT u.email, u.user_id,
                     row_number() OVER (PARTITION BY u.user_id ORDER BY u.email) = 1 AS first_of_account
              FROM "digital_resume_by_CRM" u
              JOIN (SELECT DISTINCT email FROM unnest(p_emails) AS e(email)) e ON e.email = u.email) u
        LEFT JOIN profiles taken ON taken.user_id = u.user_id
        ON CONFLICT (email) DO NOTHING
        RETURNING email)
    INSERT INTO crm_credit_ledger (email, delta, reason)
    SELECT email, crm_opening_credits(), 'initial' FROM opened;
END
$$;

-- 0016's catch-up, its lock named by crm_import_lock_key().
CREATE OR REPLACE FUNCTION crm_private.crm_profiles_catch_up(p_emails text[] DEFAULT NULL) RETURNS TABLE (user_email text, change text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
DECLARE
    signed_up_emails text[];
    signed_up_ids uuid[];
    behind_emails text[];
    balances integer[];
    changes text[];
BEGIN
    IF p_emails IS NULL AND NOT pg_try_advisory_xact_lock(crm_import_lock_key()) THEN
        RETURN;
    END IF;

    SELECT array_agg(signed_up.email ORDER BY signed_up.email), array_agg(signed_up.id ORDER BY signed_up.email)
    INTO signed_up_emails, signed_up_ids
    FROM (SELECT DISTINCT ON (u.email) u.email, a.id
          FROM "digital_resume_by_CRM" u JOIN auth.users a ON a.email = u.email AND NOT a.is_sso_user
          WHERE u.user_id IS NULL AND (p_emails IS NULL OR u.email = ANY (p_emails))
          ORDER BY u.email, a.id) signed_up;
    IF signed_up_emails IS NOT NULL THEN
        UPDATE "digital_resume_by_CRM" u SET user_id = s.id
        FROM unnest(signed_up_emails, signed_up_ids) AS s(email, id)
        WHERE u.email = s.email AND u.user_id IS NULL;
        PERFORM crm_link_accounts(signed_up_emails);
        RETURN QUERY SELECT s.email, 'linked to its sign-up (account ' || s.id || ')'
                     FROM unnest(signed_up_emails, signed_up_ids) AS s(email, id);
    END IF;

    SELECT array_agg(behind.email ORDER BY behind.email), array_agg(behind.credits ORDER BY behind.email),
           array_agg(behind.change ORDER BY behind.email)
    INTO behind_emails, balances, changes
    FROM (SELECT u.email, s.credits,
                 CASE WHEN p.id IS NULL THEN 'profile opened with ' || s.credits || ' credit(s), the balance'
                      ELSE concat_ws(' and ',
                               CASE WHEN p.credits <> s.credits
                                    THEN 'profile credits ' || p.credits || ' -> ' || s.credits || ', the balance' END,
                               CASE WHEN p.user_id IS NULL AND u.user_id IS NOT NULL AND taken.id IS NULL
                                    THEN 'profile linked to the account' END) END AS change
          FROM "digital_resume_by_CRM" u
          JOIN crm_dashboard_stats s ON s.email = u.email
          LEFT JOIN profiles p ON p.email = u.email
          LEFT JOIN profiles taken ON taken.user_id = u.user_id
          WHERE (p_emails IS NULL OR u.email = ANY (p_emails))
            AND (p.id IS NULL OR p.credits <> s.credits
                 OR (p.user_id IS NULL AND u.user_id IS NOT NULL AND taken.id IS NULL))) behind;
    IF behind_emails IS NOT NULL THEN
        INSERT INTO profiles (email, credits)
        SELECT b.email, b.credits FROM unnest(behind_emails, balances) AS b(email, credits)
        ON CONFLICT (email) DO NOTHING;
        PERFORM crm_profiles_follow_balances(behind_emails);
        PERFORM crm_link_profiles(behind_emails);
        RETURN QUERY SELECT b.email, b.change FROM unnest(behind_emails, changes) AS b(email, change);
    END IF;
END
$$;

-- The credit triggers name only the reason (their WHEN clauses kept as they are); Citus runs the same
-- statements on the shards of a table already distributed.
SET LOCAL citus.enable_unsafe_triggers = on;
DO $reason$
DECLARE
    credit_trigger record;
BEGIN
    FOR credit_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS on_table, pg_get_triggerdef(t.oid) AS definition
        FROM pg_trigger t
        WHERE t.tgrelid IN ('public.crm_recordings'::regclass, 'public.crm_payments'::regclass)
          AND NOT t.tgisinternal AND pg_get_triggerdef(t.oid) ~ 'crm_on_credit_event\('
        ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE format('DROP TRIGGER %I ON %s', credit_trigger.tgname, credit_trigger.on_table);
        EXECUTE regexp_replace(credit_trigger.definition, 'crm_on_credit_event\(''[-0-9]+'', ', 'crm_on_credit_event(');
    END LOOP;
END
$reason$;
