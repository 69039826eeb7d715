-- A backfill's chunks are ranges of emails (issue 27), no longer hashes of them: a chunk's statements then
-- read the CRM tables' indexes for its range only, so the last chunk costs what the first does. The bounds
-- are kept with the staging, so that a resumed run cuts the same chunks; a state recorded before this
-- migration has none, and its backfill stages again.
ALTER TABLE crm_private.crm_backfill_state ADD COLUMN bounds text[] NOT NULL DEFAULT '{}';
