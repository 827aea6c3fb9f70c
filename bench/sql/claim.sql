-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/claims/claim.rs            claim_lead (attempt count, claim, the answer's fields)
--   src/service/claims/mod.rs             count_claim_attempt, start
--   src/service/claims/claim.rs           claim, take_for
--   src/repo/holds.rs                     claim_view, start_hold (START_HOLD)
--   src/service/lead_fields.rs            FieldDefsCache::get, active_defs
-- Out of step: written in df93bd2, before the per-minute attempt count (d00b4a8:
-- count_claim_attempt), the two-statement claim (6be0138: claim_view, then START_HOLD, with no
-- transaction when no quota counts) and the remembered field definitions (522537c:
-- FieldDefsCache). Kept as it is so that the figures stay comparable with earlier runs; bring it
-- in step in a change of its own.
--
-- pgbench: the SQL of one named claim (POST /leads/{id}/claim) in a first-come pool without
-- quota limits, as the service runs it (bench/claims). Variables: pool, users, hot, offset.
\set u random(1, :users)
\set l :offset + random(1, :hot)
SELECT id AS uid FROM bench_users WHERE n = :u \gset
SELECT id AS lid FROM bench_leads WHERE n = :l \gset
BEGIN;
SELECT id, pool_id, state, grade, (state = 'pooled')::int AS pooled FROM leads WHERE id = ':lid' \gset
SELECT pool_id FROM pool_member_users WHERE user_id = ':uid'
  UNION SELECT pool_id FROM pool_member_teams WHERE team_id IN (SELECT team_id FROM users WHERE id = ':uid');
SELECT rules, rules_version FROM pools WHERE id = ':pool';
SELECT * FROM users WHERE id = ':uid' FOR NO KEY UPDATE;
SELECT max(ended_at) FROM claims WHERE lead_id = ':lid' AND user_id = ':uid';
\if :pooled
INSERT INTO claim_decisions (id, kind, pool_id, lead_id, actor_id, outcome, chosen_user_id, code, candidates, created_at)
  VALUES (bench_uuid7(), 'claim', ':pool', ':lid', ':uid', 'assigned', ':uid', NULL,
          json_build_array(json_build_object('user_id', ':uid', 'eligible', true, 'reasons', '[]'::json, 'tier', NULL,
            'owned', 0, 'max_owned', NULL, 'claimed_today', 0, 'max_claims_per_day', NULL)), now())
  RETURNING id AS did \gset
WITH t AS (UPDATE leads SET state = 'owned', owner_id = ':uid', stage = 'new', updated_at = now(),
           claimed_at = now(), claimed_from_pool = true, last_follow_up_at = NULL, follow_ups_since_progress = 0,
           next_follow_up_at = NULL, recycle_at = now() + interval '24 hours', recycle_reason = 'recycled_no_first_follow_up', recycle_warned_at = NULL
           WHERE id = ':lid' AND state = 'pooled' AND pool_id = ':pool' RETURNING *)
SELECT count(*) AS won FROM t \gset
\if :won
INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, started_by, quota_override, decision_id)
  VALUES (bench_uuid7(), ':lid', ':pool', ':uid', now(), current_date, 'self_claim', ':uid', false, ':did') RETURNING id AS cid \gset
INSERT INTO lead_events (id, lead_id, kind, actor_id, details, created_at)
  VALUES (bench_uuid7(), ':lid', 'claimed', ':uid', json_build_object('claim_id', ':cid', 'user_id', ':uid', 'how', 'self_claim',
          'pool_id', ':pool', 'quota_override', false, 'decision_id', ':did'), now());
INSERT INTO audit_log (id, actor_id, action, object_type, object_id, lead_id, before, after, created_at)
  VALUES (bench_uuid7(), ':uid', 'lead.claimed', 'claim', ':cid', ':lid',
          json_build_object('state', 'pooled', 'owner_id', NULL, 'pool_id', ':pool'),
          json_build_object('state', 'owned', 'owner_id', ':uid', 'how', 'self_claim'), now());
\else
DELETE FROM claim_decisions WHERE id = ':did';
INSERT INTO claim_decisions (id, kind, pool_id, lead_id, actor_id, outcome, chosen_user_id, code, candidates, created_at)
  VALUES (bench_uuid7(), 'claim', ':pool', ':lid', ':uid', 'refused', NULL, 'lead_already_claimed',
          json_build_array(json_build_object('user_id', ':uid', 'eligible', false, 'reasons', json_build_array('already_claimed'))), now());
\endif
\else
INSERT INTO claim_decisions (id, kind, pool_id, lead_id, actor_id, outcome, chosen_user_id, code, candidates, created_at)
  VALUES (bench_uuid7(), 'claim', ':pool', ':lid', ':uid', 'refused', NULL, 'lead_already_claimed',
          json_build_array(json_build_object('user_id', ':uid', 'eligible', false, 'reasons', json_build_array('already_claimed'))), now());
\endif
COMMIT;
-- The answer carries the lead with the active custom fields (a second, read-only transaction).
SELECT key, label, field_type, options, required, searchable, position FROM lead_fields WHERE deleted_at IS NULL ORDER BY position, key;
