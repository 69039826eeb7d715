-- An import's final writes lock the balances they are about to move before they decide which imported
-- charges fit (issue 24): the app spends credits while an import runs, and the balance that decides must
-- be the one the import writes to. Plain PostgreSQL locks them with SELECT … FOR NO KEY UPDATE; Citus runs
-- no multi-shard SELECT … FOR UPDATE, so there an update that changes nothing takes the same row locks
-- (the lock an UPDATE takes), and returns the balances it locked.
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

REVOKE ALL ON FUNCTION crm_private.crm_lock_balances(text[]) FROM PUBLIC, anon, authenticated;
