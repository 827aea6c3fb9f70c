DROP INDEX follow_ups_report_user_idx;
DROP INDEX claims_report_user_idx;
DROP INDEX leads_never_claimed_idx;
DROP INDEX leads_converted_idx;
DROP INDEX leads_report_created_idx;
DROP INDEX follow_ups_report_idx;
DROP INDEX claims_report_ended_idx;
DROP INDEX claims_report_started_idx;
