DROP INDEX CONCURRENTLY IF EXISTS follow_ups_stage_changes_idx;
