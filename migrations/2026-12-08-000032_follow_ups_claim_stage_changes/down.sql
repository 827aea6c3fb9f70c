DROP INDEX CONCURRENTLY IF EXISTS follow_ups_claim_stage_idx;
