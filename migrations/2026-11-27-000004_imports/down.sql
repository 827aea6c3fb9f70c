ALTER TABLE lead_touches DROP COLUMN import_id;
ALTER TABLE leads DROP COLUMN import_id;
DROP TABLE import_rejects;
DROP TABLE import_chunks;
DROP TABLE imports;
