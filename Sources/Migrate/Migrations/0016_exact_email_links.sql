-- Account links by an exact match of the email (issue 14). CRM emails are stored normalized (trimmed,
-- lower-case) and GoTrue stores auth.users.email lower-cased, so both sides are already equal when they
-- match; `lower(a.email) = …` found them too, but no index of Supabase's serves it (and postgres may not
-- create one on auth.users), so every CRM user looked through all of auth.users: 1,500 users against
-- 20,000 accounts took 16.8 s. GoTrue's unique index users_email_partial_key (email) WHERE NOT
-- is_sso_user serves the exact match. SSO accounts are left out: their emails need not be unique, so the
-- account of an email is the one that is not SSO.

-- The shim's auth.users (plain PostgreSQL) gets the column and an index of the same shape; a Supabase
-- project has both already.
DO $shape$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = 'auth.users'::regclass AND attname = 'is_sso_user' AND NOT attisdropped) THEN
        ALTER TABLE auth.users ADD COLUMN is_sso_user boolean NOT NULL DEFAULT false;
        CREATE INDEX users_email_not_sso_idx ON auth.users (email) WHERE NOT is_sso_user;
    END IF;
END
$shape$;

CREATE OR REPLACE FUNCTION crm_private.crm_fill_user_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
BEGIN
    SELECT a.id INTO NEW.user_id FROM auth.users a WHERE a.email = NEW.email AND NOT a.is_sso_user ORDER BY a.id LIMIT 1;
    RETURN NEW;
END
$$;

-- The app's sign-up (and an email change) links the CRM user of the same email; like the other trigger
-- functions that write (0015), with the stand-aside switch off while it does.
CREATE OR REPLACE FUNCTION crm_private.crm_on_auth_user_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
DECLARE
    switch constant text := coalesce(current_setting('crm.bulk_load', true), '');
BEGIN
    IF NOT NEW.is_sso_user THEN
        PERFORM set_config('crm.bulk_load', 'off', true);
        UPDATE "digital_resume_by_CRM" SET user_id = NEW.id WHERE email = NEW.email AND user_id IS DISTINCT FROM NEW.id;
        PERFORM set_config('crm.bulk_load', switch, true);
    END IF;
    RETURN NULL;
END
$$;

-- 0013's catch-up, with the sign-ups found by the exact match.
CREATE OR REPLACE FUNCTION crm_private.crm_profiles_catch_up(p_emails text[] DEFAULT NULL) RETURNS TABLE (user_email text, change text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
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
