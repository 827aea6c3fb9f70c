CREATE INDEX leads_created_at_idx ON leads (created_at, id);
CREATE INDEX leads_pool_queue_idx ON leads (pool_id, uuid_send(id)) WHERE state = 'pooled';
