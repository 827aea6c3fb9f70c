-- An index of `leads` that another one already serves. Every claim, release and recycle changes
-- indexed columns (state, owner), so each of its new row versions is added to every index whose
-- predicate it meets: an index fewer is less work for every write.
--
-- The oldest-first queue of next-lead now orders by the id itself (a UUIDv7: time order), which
-- leads_pooled_idx (pool_id, id) WHERE state = 'pooled' serves exactly as this index did. Dropped
-- without blocking writers: this migration is only this statement.
DROP INDEX CONCURRENTLY IF EXISTS leads_pool_queue_idx;
