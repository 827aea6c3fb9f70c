CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_created_at_idx ON leads (created_at, id);
