CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_pool_queue_idx ON leads (pool_id, uuid_send(id)) WHERE state = 'pooled';
