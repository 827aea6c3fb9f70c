-- The funnel report's stage changes of a period (follow-ups that moved a hold's stage), read from
-- the index alone. Built without blocking writes: this migration is only this statement.
CREATE INDEX CONCURRENTLY IF NOT EXISTS follow_ups_stage_changes_idx ON follow_ups (created_at) INCLUDE (claim_id, lead_id, stage_from, stage_to) WHERE stage_to IS NOT NULL;
