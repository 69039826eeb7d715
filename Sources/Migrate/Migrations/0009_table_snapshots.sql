-- One row per CRM table each time `crm-pipeline report tables` runs: the growth it reports is measured
-- against the previous snapshot.

CREATE TABLE crm_table_snapshots (
    taken_at    timestamptz NOT NULL DEFAULT now(),
    table_name  text NOT NULL,
    rows        bigint NOT NULL,
    total_bytes bigint NOT NULL,
    PRIMARY KEY (table_name, taken_at)
);

ALTER TABLE crm_table_snapshots ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON crm_table_snapshots FROM anon, authenticated;
GRANT ALL ON crm_table_snapshots TO service_role;
