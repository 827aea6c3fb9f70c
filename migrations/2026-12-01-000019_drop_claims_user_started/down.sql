CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_user_started_idx ON claims (user_id, started_at);
