-- Covering indexes for the reports: each report reads its period's facts from one of these
-- (index-only scans) instead of visiting every row of the fact tables.
CREATE INDEX claims_report_started_idx ON claims (started_at)
    INCLUDE (user_id, pool_id, started_how, end_reason, first_follow_up_at, pooled_since);
CREATE INDEX claims_report_ended_idx ON claims (ended_at)
    INCLUDE (user_id, pool_id, end_reason) WHERE ended_at IS NOT NULL;
CREATE INDEX follow_ups_report_idx ON follow_ups (created_at)
    INCLUDE (user_id, type, stage_to, lead_id);
CREATE INDEX leads_report_created_idx ON leads (created_at)
    INCLUDE (source_channel, industry, company_size, pool_id, grade, first_claimed_at, converted_at,
             import_id, created_by);
CREATE INDEX leads_converted_idx ON leads (converted_at) WHERE converted_at IS NOT NULL;
CREATE INDEX leads_never_claimed_idx ON leads (pool_id, created_at)
    WHERE state = 'pooled' AND first_claimed_at IS NULL;
-- A manager's or salesperson's share: their holds (conversion cohorts) and follow-ups (timing).
CREATE INDEX claims_report_user_idx ON claims (user_id, started_at) INCLUDE (lead_id, end_reason);
CREATE INDEX follow_ups_report_user_idx ON follow_ups (user_id, created_at) INCLUDE (stage_to);
