DROP INDEX claims_report_user_idx;
CREATE INDEX claims_report_user_idx ON claims (user_id, started_at) INCLUDE (lead_id, end_reason);
DROP TRIGGER claims_lead_created_at ON claims;
DROP FUNCTION claims_lead_created_at();
ALTER TABLE claims DROP COLUMN lead_created_at;
