-- The credit balance kept beside the user's rows (issue 8). On Citus a trigger runs on the shard and
-- cannot write the reference table profiles, so the row triggers (the app's charged recordings and
-- payments) now move crm_dashboard_stats.credits, which is co-located by email; profiles.credits, the
-- column the app reads, follows it:
--   * on plain PostgreSQL at once, through a trigger on crm_dashboard_stats;
--   * on Citus (where `migrate --citus` drops that trigger) when an import touches the user, on
--     `verify --fix`, or when the operator runs crm_profiles_follow_balances.
-- The importer's set-based upkeep (crm_users_created, crm_book_credits) still works on profiles on
-- the coordinator: where profiles lags (Citus) it is brought up to date first; afterwards the
-- balances of existing users move by the import's deltas, and new users' take their new account's.

ALTER TABLE crm_dashboard_stats ADD COLUMN credits integer NOT NULL DEFAULT 0
    CONSTRAINT crm_dashboard_stats_credits_not_negative CHECK (credits >= 0);

-- profiles.credits := the co-located balance, for these emails. Through arrays: Citus cannot update a
-- reference table joined with a distributed one.
CREATE FUNCTION crm_profiles_follow_balances(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    balance_emails text[];
    balances integer[];
BEGIN
    SELECT array_agg(s.email), array_agg(s.credits) INTO balance_emails, balances
    FROM crm_dashboard_stats s WHERE s.email = ANY (p_emails);
    UPDATE profiles p SET credits = b.credits, updated_at = now()
    FROM unnest(balance_emails, balances) AS b(email, credits)
    WHERE p.email = b.email AND p.credits IS DISTINCT FROM b.credits;
END
$$;

-- The co-located balance := profiles.credits, for these emails (after the set-based upkeep).
CREATE FUNCTION crm_balances_follow_profiles(p_emails text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    profile_emails text[];
    balances integer[];
BEGIN
    SELECT array_agg(p.email), array_agg(p.credits) INTO profile_emails, balances
    FROM profiles p WHERE p.email = ANY (p_emails);
    UPDATE crm_dashboard_stats s SET credits = b.credits
    FROM unnest(profile_emails, balances) AS b(email, credits)
    WHERE s.email = b.email AND s.credits IS DISTINCT FROM b.credits;
END
$$;

SELECT crm_balances_follow_profiles(ARRAY(SELECT email FROM crm_dashboard_stats));

-- Moves each co-located balance by the given deltas, set-based: the import's credit movements on the
-- balances of users that existed before it. A delta, not a copy, so that a concurrent charge by the
-- app (a row lock on the same row) is never overwritten.
CREATE FUNCTION crm_move_balances(p_emails text[], p_deltas integer[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE crm_dashboard_stats s SET credits = s.credits + d.delta
    FROM unnest(p_emails, p_deltas) AS d(email, delta)
    WHERE s.email = d.email AND d.delta <> 0;
END
$$;

-- The row form of a credit movement: the co-located balance, then the ledger (both on the shard).
CREATE OR REPLACE FUNCTION crm_on_credit_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    delta constant integer := TG_ARGV[0]::integer;
    balance integer;
BEGIN
    UPDATE crm_dashboard_stats SET credits = credits + delta, updated_at = now()
    WHERE email = NEW.email AND credits + delta >= 0;
    IF NOT FOUND THEN
        SELECT credits INTO balance FROM crm_dashboard_stats WHERE email = NEW.email;
        PERFORM crm_refuse_credit_movement(NEW.email, balance, delta);
    END IF;
    INSERT INTO crm_credit_ledger (email, delta, reason, ref)
    VALUES (NEW.email, delta, TG_ARGV[1], coalesce(NEW.external_id, NEW.id::text));
    RETURN NULL;
END
$$;

-- The single-row forms, with static statements: calling the set-based functions above with
-- one-element arrays costs several times more per row (see 0005 and docs/DESIGN.md).
CREATE FUNCTION crm_on_balance_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE profiles SET credits = NEW.credits, updated_at = now()
    WHERE email = NEW.email AND credits IS DISTINCT FROM NEW.credits;
    RETURN NULL;
END
$$;

CREATE FUNCTION crm_on_account_opened() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
    UPDATE crm_dashboard_stats s SET credits = p.credits
    FROM profiles p
    WHERE s.email = NEW.email AND p.email = NEW.email AND s.credits IS DISTINCT FROM p.credits;
    RETURN NULL;
END
$$;

-- profiles.credits follows the balance (plain PostgreSQL only: `migrate --citus` drops this trigger).
CREATE TRIGGER crm_dashboard_stats_profiles_follow
    AFTER UPDATE OF credits ON crm_dashboard_stats
    FOR EACH ROW WHEN (OLD.credits IS DISTINCT FROM NEW.credits AND crm_upkeep_applies())
    EXECUTE FUNCTION crm_on_balance_changed();
-- A new CRM user's balance is the account's that crm_users_open_accounts opened or found (trigger
-- names fire in order: "open" before "set").
CREATE TRIGGER crm_users_set_balance
    AFTER INSERT ON "digital_resume_by_CRM"
    FOR EACH ROW WHEN (crm_upkeep_applies()) EXECUTE FUNCTION crm_on_account_opened();

REVOKE ALL ON FUNCTION crm_profiles_follow_balances(text[]), crm_balances_follow_profiles(text[]), crm_move_balances(text[], integer[]),
    crm_on_balance_changed(), crm_on_account_opened() FROM PUBLIC, anon, authenticated;
