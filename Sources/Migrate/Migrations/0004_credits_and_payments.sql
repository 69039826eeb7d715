-- The app's credit accounts, every credit movement, and the payments that grant credits.

-- On a Supabase project the app may already have a profiles table: add only what is missing.
CREATE TABLE IF NOT EXISTS profiles (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      text,
    user_id    uuid,
    credits    integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS email text;
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS user_id uuid;
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS credits integer NOT NULL DEFAULT 0;
ALTER TABLE profiles ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX IF NOT EXISTS profiles_email_key ON profiles (email);
CREATE UNIQUE INDEX IF NOT EXISTS profiles_user_id_key ON profiles (user_id);
DO $profiles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'profiles_credits_not_negative'
                   AND conrelid = 'profiles'::regclass) THEN
        ALTER TABLE profiles ADD CONSTRAINT profiles_credits_not_negative CHECK (credits >= 0);
    END IF;
END
$profiles$;

-- For every email with a CRM row, profiles.credits equals the sum of its ledger.
CREATE TABLE crm_credit_ledger (
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    email      text NOT NULL REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    delta      integer NOT NULL CONSTRAINT crm_credit_ledger_delta_not_zero CHECK (delta <> 0),
    reason     text NOT NULL
               CONSTRAINT crm_credit_ledger_reason CHECK (reason IN ('initial', 'payment', 'recording', 'adjustment')),
    ref        text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, id)
);
CREATE INDEX crm_credit_ledger_email_created_at_idx ON crm_credit_ledger (email, created_at);

CREATE TABLE crm_payments (
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    email        text NOT NULL REFERENCES "digital_resume_by_CRM" (email) ON DELETE CASCADE,
    external_id  text,
    amount_cents bigint NOT NULL CONSTRAINT crm_payments_amount_positive CHECK (amount_cents > 0),
    currency     text NOT NULL DEFAULT 'USD' CONSTRAINT crm_payments_currency_code CHECK (currency ~ '^[A-Z]{3}$'),
    paid_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, id),
    CONSTRAINT crm_payments_external_id_key UNIQUE (email, external_id)
);
CREATE INDEX crm_payments_email_paid_at_idx ON crm_payments (email, paid_at);
