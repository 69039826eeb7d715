-- An import finds renamed users by their CRM id (issue 25's renames and merges): without an index that lookup
-- read every CRM user, 307 ms at 1.4M users for a delta of 14,000 (issue 27). Partial: the app's own users
-- have no CRM id. Built in the migration's transaction, so CRM user writes wait for it once (about a second
-- per million users).
CREATE INDEX crm_users_crm_user_id_idx ON public."digital_resume_by_CRM" (crm_user_id) WHERE crm_user_id IS NOT NULL;
