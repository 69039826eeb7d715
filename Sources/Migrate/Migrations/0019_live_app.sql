-- Imports beside a live app (issue 24).
--
-- An import's final writes lock the balances they are about to move before they decide which imported
-- charges fit: the app spends credits while an import runs, and the balance that decides must be the one
-- the import writes to. Plain PostgreSQL locks them with SELECT … FOR NO KEY UPDATE; Citus runs no
-- multi-shard SELECT … FOR UPDATE, so there an update that changes nothing takes the same row locks (the
-- lock an UPDATE takes) and returns the balances it locked.
CREATE FUNCTION crm_private.crm_lock_balances(p_emails text[]) RETURNS TABLE (email text, credits integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    UPDATE crm_dashboard_stats s SET credits = s.credits
    FROM unnest(p_emails) AS e(email)
    WHERE s.email = e.email
    RETURNING s.email, s.credits;
END
$$;

REVOKE ALL ON FUNCTION crm_private.crm_lock_balances(text[]) FROM PUBLIC, anon, authenticated, service_role;

-- A CRM user's account, found without a plan that depends on statistics: `ORDER BY a.id LIMIT 1` let
-- PostgreSQL walk auth.users in id order until the email matched when auth.users had just been filled in
-- bulk and not analyzed yet (it expected many matches, there is one), for every CRM user inserted. The
-- aggregate reads the matches alone, through the index on email.
CREATE OR REPLACE FUNCTION crm_private.crm_fill_user_id() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = crm_private, public, pg_temp
AS $$
BEGIN
    NEW.user_id := (SELECT (array_agg(a.id ORDER BY a.id))[1] FROM auth.users a WHERE a.email = NEW.email AND NOT a.is_sso_user);
    RETURN NEW;
END
$$;
