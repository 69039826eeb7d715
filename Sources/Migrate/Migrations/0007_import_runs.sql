-- One row per import: what was read, what happened, and why it failed if it did.

CREATE TABLE crm_import_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running'
                CONSTRAINT crm_import_runs_status CHECK (status IN ('running', 'succeeded', 'failed', 'dry_run')),
    mode        text NOT NULL CONSTRAINT crm_import_runs_mode CHECK (mode IN ('nightly', 'backfill')),
    -- {"users": {"read": …, "inserted": …, "updated": …, "unchanged": …, "rejected": …, "duplicates": …}, …}
    counts      jsonb NOT NULL DEFAULT '{}',
    -- {"invalid_email": …, …}
    rejects     jsonb NOT NULL DEFAULT '{}',
    error       text
);
CREATE INDEX crm_import_runs_started_at_idx ON crm_import_runs (started_at);

-- Operational data: the service role and the loader only.
ALTER TABLE crm_import_runs ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON crm_import_runs FROM anon, authenticated;
GRANT ALL ON crm_import_runs TO service_role;
