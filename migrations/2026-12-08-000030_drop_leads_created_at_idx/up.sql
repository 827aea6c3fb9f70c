-- Ranges of created_at (the lead list's created_from/created_to, the reports) use
-- leads_report_created_idx (created_at) INCLUDE (...); nothing orders by (created_at, id). Dropped
-- without blocking writers: this migration is only this statement.
DROP INDEX CONCURRENTLY IF EXISTS leads_created_at_idx;
