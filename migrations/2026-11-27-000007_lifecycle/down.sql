DROP TABLE approvals;
DROP TABLE follow_ups;
DROP FUNCTION follow_ups_append_only();
DROP INDEX leads_owner_next_follow_up_idx;
DROP INDEX leads_owner_recycle_idx;
DROP INDEX leads_recycle_due_idx;
ALTER TABLE leads
    DROP CONSTRAINT leads_recycle_pair,
    DROP COLUMN claimed_at, DROP COLUMN claimed_from_pool, DROP COLUMN last_follow_up_at,
    DROP COLUMN follow_ups_since_progress, DROP COLUMN next_follow_up_at, DROP COLUMN recycle_at,
    DROP COLUMN recycle_reason, DROP COLUMN recycle_warned_at;
