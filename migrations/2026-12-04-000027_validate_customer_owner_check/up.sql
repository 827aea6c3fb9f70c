-- Validates the owner/state check 000026 added NOT VALID: a scan of leads under a SHARE UPDATE
-- EXCLUSIVE lock only, so claims, follow-ups and intake go on meanwhile.
ALTER TABLE leads VALIDATE CONSTRAINT leads_owner_matches_state;
