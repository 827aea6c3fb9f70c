-- Replaced by claims_user_started_ffu_idx (the same keys, and the first follow-up).
DROP INDEX CONCURRENTLY IF EXISTS claims_user_started_idx;
