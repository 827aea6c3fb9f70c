ALTER TABLE lead_touches DROP COLUMN intake_source_id;
DROP TABLE intake_quarantine;
DROP TABLE idempotency_keys;
DROP TABLE intake_rate_windows;
DROP TABLE intake_sources;
