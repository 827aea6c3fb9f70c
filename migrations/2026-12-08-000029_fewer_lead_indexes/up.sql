-- Two indexes of `leads` that another index already serves. Every claim, release and recycle
-- changes indexed columns (state, owner), so each of its new row versions is added to every
-- index whose predicate it meets: an index fewer is less work for every write.
--
-- The oldest-first queue of next-lead now orders by the id itself (a UUIDv7: time order), which
-- leads_pooled_idx (pool_id, id) WHERE state = 'pooled' serves exactly as the queue index did.
DROP INDEX IF EXISTS leads_pool_queue_idx;
-- Ranges of created_at (the list's created_from/created_to, the reports) use
-- leads_report_created_idx (created_at) INCLUDE (...); nothing orders by (created_at, id).
DROP INDEX IF EXISTS leads_created_at_idx;
