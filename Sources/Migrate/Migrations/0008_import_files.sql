-- The input files of each import, with their sha256: a later run skips a file already imported.

CREATE TABLE crm_import_files (
    run_id  bigint NOT NULL REFERENCES crm_import_runs (id) ON DELETE CASCADE,
    path    text NOT NULL,
    sha256  text NOT NULL,
    bytes   bigint NOT NULL,
    skipped boolean NOT NULL DEFAULT false,
    PRIMARY KEY (run_id, path)
);
CREATE INDEX crm_import_files_sha256_idx ON crm_import_files (sha256);

ALTER TABLE crm_import_files ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON crm_import_files FROM anon, authenticated;
GRANT ALL ON crm_import_files TO service_role;
