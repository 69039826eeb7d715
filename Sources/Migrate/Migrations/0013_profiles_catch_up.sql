-- profiles and sign-ups on Citus (issue 8). A trigger on a shard may only touch rows of its own email
-- on its own node: it cannot write the reference table profiles, and a trigger on the reference table
-- auth.users cannot reach a CRM shard on another node. Found on a cluster whose shards are spread
-- over two nodes: the app's own insert of a CRM user failed (its trigger opened the account in
-- profiles), and so did a sign-up with a CRM user's email (its trigger linked the profile, and reached
-- the CRM shard only when it happened to be on the same node).
-- So every row trigger's work is split into what stays with the email and what writes profiles:
--   * a new CRM user: crm_users_open_accounts opens the co-located balance and ledger (reading an
--     existing profile's credits is allowed: every node has a copy); crm_users_open_profile opens
--     the profile;
--   * a CRM user linked to an account: crm_users_link_accounts links the user's rows, one statement
--     per table and email; crm_users_link_profile links the profile.
-- On plain PostgreSQL all of them run, in the same statement as before. On Citus `migrate --citus`
-- drops the triggers that write profiles or start from auth.users, and crm_profiles_catch_up() does
-- their work set-based from the coordinator: every import runs it first, `verify --fix` runs it, and
-- an operator can run it as often as the app needs (README "Scaling out").

-- The co-located half of 0005's crm_on_user_inserted: an existing account (the email was a CRM user
-- before, or its profile was opened otherwise) brings its credits; otherwise the 4 initial credits.
CREATE OR REPLACE FUNCTION crm_on_user_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    opening integer;
BEGIN
    SELECT credits INTO opening FROM profiles WHERE email = NEW.email;
    INSERT INTO crm_dashboard_stats (email, credits) VALUES (NEW.email, coalesce(opening, 4))
    ON CONFLICT (email) DO NOTHING;
    IF opening IS NULL THEN
        INSERT INTO crm_credit_ledger (email, delta, reason) VALUES (NEW.email, 4, 'initial');
    ELSIF opening <> 0 THEN
        INSERT INTO crm_credit_ledger (email, delta, reason, ref)
        VALUES (NEW.email, opening, 'adjustment', 'opening balance');
    END IF;
    RETURN NULL;
END
$$;

-- The profile of a new CRM user, with the balance just opened; linked unless another profile has the
-- account (a profile that outlived an earlier CRM row of this email is linked now if it was not).
-- Plain PostgreSQL only (`migrate --citus` drops its trigger).
CREATE FUNCTION crm_on_user_inserted_profile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    INSERT INTO profiles AS p (email, user_id, credits)
    SELECT NEW.email, CASE WHEN taken.id IS NULL THEN NEW.user_id END, s.credits
    FROM crm_dashboard_stats s LEFT JOIN profiles taken ON taken.user_id = NEW.user_id
    WHERE s.email = NEW.email
    ON CONFLICT (email) DO UPDATE SET user_id = EXCLUDED.user_id, updated_at = EXCLUDED.updated_at
        WHERE p.user_id IS NULL AND EXCLUDED.user_id IS NOT NULL;
    RETURN NULL;
END
$$;

-- Trigger names fire in order: "open_accounts" before "open_profile".
CREATE TRIGGER crm_users_open_profile
    AFTER INSERT ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_user_inserted_profile();

-- crm_users_open_accounts now opens the balance itself.
DROP TRIGGER crm_users_set_balance ON "digital_resume_by_CRM";
DROP FUNCTION crm_on_account_opened();

-- 0011's crm_link_accounts in its two halves: the CRM user's rows (co-located), then the profile.
CREATE FUNCTION crm_link_rows(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    table_name text;
BEGIN
    FOREACH table_name IN ARRAY ARRAY['crm_job_requests', 'crm_recordings', 'crm_resumes', 'crm_dashboard_stats',
                                      'crm_credit_ledger', 'crm_payments'] LOOP
        EXECUTE format('UPDATE %I t SET user_id = u.user_id
                        FROM "digital_resume_by_CRM" u JOIN unnest($1) AS e(email) ON e.email = u.email
                        WHERE t.email = u.email AND t.user_id IS DISTINCT FROM u.user_id', table_name)
        USING p_emails;
    END LOOP;
END
$$;

-- Through arrays: Citus cannot update a reference table (profiles) joined with a distributed one. One
-- profile per account: two CRM users can share one (an account whose email changed), and the first
-- email takes it, as crm_users_created decides.
CREATE FUNCTION crm_link_profiles(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    linked_emails text[];
    linked_ids uuid[];
BEGIN
    SELECT array_agg(first.email), array_agg(first.user_id) INTO linked_emails, linked_ids
    FROM (SELECT DISTINCT ON (u.user_id) u.email, u.user_id
          FROM "digital_resume_by_CRM" u LEFT JOIN profiles p ON p.email = u.email
          WHERE u.email = ANY (p_emails) AND u.user_id IS NOT NULL AND p.user_id IS NULL
          ORDER BY u.user_id, u.email) first;
    UPDATE profiles p SET user_id = l.user_id, updated_at = now()
    FROM unnest(linked_emails, linked_ids) AS l(email, user_id)
    LEFT JOIN profiles taken ON taken.user_id = l.user_id
    WHERE p.email = l.email AND p.user_id IS NULL AND taken.id IS NULL;
END
$$;

CREATE OR REPLACE FUNCTION crm_link_accounts(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    PERFORM crm_link_rows(p_emails);
    PERFORM crm_link_profiles(p_emails);
END
$$;

-- The row form of crm_link_rows: static single-email statements (the row path's rule, see 0005),
-- which Citus runs on the shard; a statement over an array of emails could need other nodes' shards.
CREATE OR REPLACE FUNCTION crm_on_user_account_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE crm_job_requests SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    UPDATE crm_recordings SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    UPDATE crm_resumes SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    UPDATE crm_dashboard_stats SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    UPDATE crm_credit_ledger SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    UPDATE crm_payments SET user_id = NEW.user_id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.user_id;
    RETURN NULL;
END
$$;

-- The profile's half, plain PostgreSQL only (`migrate --citus` drops its trigger).
CREATE FUNCTION crm_on_user_linked_profile() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE profiles p SET user_id = NEW.user_id, updated_at = now()
    WHERE p.email = NEW.email AND p.user_id IS NULL
      AND NOT EXISTS (SELECT FROM profiles taken WHERE taken.user_id = NEW.user_id);
    RETURN NULL;
END
$$;

CREATE TRIGGER crm_users_link_profile
    AFTER UPDATE OF user_id ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id AND NEW.user_id IS NOT NULL AND crm_upkeep_applies())
    EXECUTE FUNCTION crm_on_user_linked_profile();

-- Whether `migrate --citus` has distributed the CRM tables (Citus's catalog is read only where it
-- exists): the one test for "the profiles triggers are not there, the catch-up does their work".
CREATE FUNCTION crm_is_distributed() RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp
AS $$
DECLARE
    distributed boolean := false;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition
                                WHERE logicalrelid = ''public."digital_resume_by_CRM"''::regclass)' INTO distributed;
    END IF;
    RETURN distributed;
END
$$;

-- Everything the triggers above do to profiles, and the sign-up link, set-based, for the CRM users of
-- p_emails (an import's, inside its transaction) or, with NULL, for every CRM user. Where those
-- triggers run (plain PostgreSQL) it finds nothing to do.
--   1. CRM users whose email has signed up but who are not linked: linked (as crm_fill_user_id and the
--      sign-up trigger would have, by lower(btrim(email))), and their rows with them;
--   2. CRM users without a profile: opened with their balance;
--   3. profiles behind their balance, or not linked: brought up to date.
-- Returns one row per change. The whole-database form skips (returns nothing) while an import holds
-- its lock: the import catches up its own users, and a catch-up from cron then neither waits for it
-- nor deadlocks with it. Rows are locked in email order. Set-based, through arrays (Citus: see 0011).
CREATE FUNCTION crm_profiles_catch_up(p_emails text[] DEFAULT NULL) RETURNS TABLE (user_email text, change text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    import_lock constant bigint := 4851024820278480980;  -- Importer.lockKey ("CRM_IMPT")
    signed_up_emails text[];
    signed_up_ids uuid[];
    behind_emails text[];
    balances integer[];
    changes text[];
BEGIN
    IF p_emails IS NULL AND NOT pg_try_advisory_xact_lock(import_lock) THEN
        RETURN;
    END IF;

    SELECT array_agg(signed_up.email ORDER BY signed_up.email), array_agg(signed_up.id ORDER BY signed_up.email)
    INTO signed_up_emails, signed_up_ids
    FROM (SELECT DISTINCT ON (u.email) u.email, a.id
          FROM "digital_resume_by_CRM" u JOIN auth.users a ON lower(btrim(a.email)) = u.email
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

REVOKE ALL ON FUNCTION crm_on_user_inserted_profile(), crm_link_rows(text[]), crm_link_profiles(text[]),
    crm_on_user_linked_profile(), crm_profiles_catch_up(text[]) FROM PUBLIC, anon, authenticated;
-- Only reads the catalog.
GRANT EXECUTE ON FUNCTION crm_is_distributed() TO PUBLIC;
