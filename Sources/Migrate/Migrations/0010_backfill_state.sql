-- The progress of a backfill, so that a re-run after a crash resumes: which input it is (a key over the
-- files' sha256 and the options), how many chunks its staged rows were split into, and which are done.

CREATE TABLE crm_backfill_state (
    run_key   text PRIMARY KEY,
    run_id    bigint NOT NULL REFERENCES crm_import_runs (id) ON DELETE CASCADE,
    chunks    integer NOT NULL CHECK (chunks > 0),
    -- Rows in the UNLOGGED staging: after a server crash it is empty, and the backfill stages again.
    staged_rows bigint NOT NULL,
    done      integer[] NOT NULL DEFAULT '{}',
    staged_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE crm_backfill_state ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON crm_backfill_state FROM anon, authenticated;
GRANT ALL ON crm_backfill_state TO service_role;
