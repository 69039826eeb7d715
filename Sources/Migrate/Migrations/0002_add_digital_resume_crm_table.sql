-- One row per CRM user, keyed by the normalized email (trimmed, lower-case).

CREATE TABLE "digital_resume_by_CRM" (
    email       text PRIMARY KEY
                CONSTRAINT crm_user_email_normalized CHECK (email <> '' AND email = lower(btrim(email))),
    user_id     uuid,
    crm_user_id text,
    first_name  text,
    last_name   text,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Row Level Security reads by user_id; most CRM users have no app account yet.
CREATE INDEX crm_users_user_id_idx ON "digital_resume_by_CRM" (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX crm_users_created_at_idx ON "digital_resume_by_CRM" (created_at);
