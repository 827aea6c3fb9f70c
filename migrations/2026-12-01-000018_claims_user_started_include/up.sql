-- A person's holds of a period with their first follow-ups (the median first-follow-up latency
-- of a manager's or salesperson's people), read from the index alone. Built without blocking
-- writes: this migration is only this statement (CONCURRENTLY cannot run in a transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_user_started_ffu_idx ON claims (user_id, started_at) INCLUDE (first_follow_up_at);
