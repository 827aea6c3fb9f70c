-- The funnel report: each hold's stage changes in order (from, to, when), read from the index
-- alone. Built without blocking writes: this migration is only this statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS follow_ups_claim_stage_idx ON follow_ups (claim_id, created_at, id) INCLUDE (stage_from, stage_to) WHERE stage_to IS NOT NULL;
