DROP INDEX CONCURRENTLY IF EXISTS claims_user_started_ffu_idx;
