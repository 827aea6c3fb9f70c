-- A hold's stage changes in order: when it entered the stage a change moves it out of (the
-- funnel's time in stage). Built without blocking writes: this migration is only this statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS follow_ups_claim_stage_idx ON follow_ups (claim_id, created_at, id) WHERE stage_to IS NOT NULL;
