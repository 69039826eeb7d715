-- The merge strategy an import used (issue 18): which path loaded the rows, and so whether the foreign
-- keys were checked by their triggers or set-based with the parents locked. NULL for runs that failed
-- before choosing one, and for runs before this migration.
ALTER TABLE crm_private.crm_import_runs ADD COLUMN strategy text;
