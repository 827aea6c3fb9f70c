-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/claims/next.rs             next_lead (the attempt count, then one transaction)
--   src/service/claims/next_lead.rs       next_lead, rotation_of, save_rotation
--   src/service/claims/mod.rs             count_claim_attempt, pool_rules, start
--   src/repo/pools.rs                     is_member (ids_for_member), member_users
--   src/repo/claims.rs                    lock_rotation, rotation_slots, next_pooled, save_rotation
--   src/repo/users.rs                     lock_for_claims
--   src/repo/holds.rs                     start_hold (START_HOLD)
-- Out of step: written in df93bd2, before the per-minute attempt count (d00b4a8:
-- count_claim_attempt), the take in one statement (6be0138: START_HOLD takes the lead and writes
-- its decision, claim, timeline and audit entries) and the remembered field definitions
-- (522537c: FieldDefsCache). Kept as it is so that the figures stay comparable with earlier
-- runs; bring it in step in a change of its own.
--
-- pgbench: the SQL of one next-lead (POST /pools/{id}/next-lead) in a round-robin pool without
-- quota limits, as the service runs it (bench/claims). Variables: pool, users.
\set u random(1, :users)
SELECT id AS uid FROM bench_users WHERE n = :u \gset
BEGIN;
SELECT pool_id FROM pool_member_users WHERE user_id = ':uid'
  UNION SELECT pool_id FROM pool_member_teams WHERE team_id IN (SELECT team_id FROM users WHERE id = ':uid');
SELECT rules, rules_version FROM pools WHERE id = ':pool';
INSERT INTO rotation_pools (pool_id) VALUES (':pool') ON CONFLICT DO NOTHING;
SELECT vtime FROM rotation_pools WHERE pool_id = ':pool' FOR UPDATE;
SELECT * FROM users
 WHERE (id IN (SELECT user_id FROM pool_member_users WHERE pool_id = ':pool')
        OR team_id IN (SELECT team_id FROM pool_member_teams WHERE pool_id = ':pool'))
   AND role IN ('sales', 'manager') ORDER BY id;
SELECT * FROM users WHERE id = ':uid' FOR NO KEY UPDATE;
SELECT user_id, pass, was_eligible FROM rotation_members WHERE pool_id = ':pool';
SELECT id AS lid FROM leads WHERE pool_id = ':pool' AND state = 'pooled' ORDER BY id ASC LIMIT 1 FOR UPDATE SKIP LOCKED \gset
INSERT INTO claim_decisions (id, kind, pool_id, lead_id, actor_id, outcome, chosen_user_id, code, candidates, created_at)
  VALUES (bench_uuid7(), 'next_lead', ':pool', ':lid', ':uid', 'assigned', ':uid', NULL,
          json_build_array(json_build_object('user_id', ':uid', 'eligible', true, 'reasons', '[]'::json, 'tier', NULL,
            'owned', 0, 'max_owned', NULL, 'claimed_today', 0, 'max_claims_per_day', NULL, 'weight', 1, 'pass', 0)), now())
  RETURNING id AS did \gset
UPDATE leads SET state = 'owned', owner_id = ':uid', stage = 'new', updated_at = now(),
           claimed_at = now(), claimed_from_pool = true, last_follow_up_at = NULL, follow_ups_since_progress = 0,
           next_follow_up_at = NULL, recycle_at = now() + interval '24 hours', recycle_reason = 'recycled_no_first_follow_up', recycle_warned_at = NULL
 WHERE id = ':lid' AND state = 'pooled' AND pool_id = ':pool' RETURNING *;
INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, started_by, quota_override, decision_id)
  VALUES (bench_uuid7(), ':lid', ':pool', ':uid', now(), current_date, 'round_robin', ':uid', false, ':did') RETURNING id AS cid \gset
INSERT INTO lead_events (id, lead_id, kind, actor_id, details, created_at)
  VALUES (bench_uuid7(), ':lid', 'claimed', ':uid', json_build_object('claim_id', ':cid', 'user_id', ':uid', 'how', 'round_robin',
          'pool_id', ':pool', 'quota_override', false, 'decision_id', ':did'), now());
INSERT INTO audit_log (id, actor_id, action, object_type, object_id, lead_id, before, after, created_at)
  VALUES (bench_uuid7(), ':uid', 'lead.claimed', 'claim', ':cid', ':lid',
          json_build_object('state', 'pooled', 'owner_id', NULL, 'pool_id', ':pool'),
          json_build_object('state', 'owned', 'owner_id', ':uid', 'how', 'round_robin'), now());
UPDATE rotation_pools SET vtime = vtime WHERE pool_id = ':pool';
INSERT INTO rotation_members (pool_id, user_id, pass, was_eligible, served) VALUES (':pool', ':uid', 1000000, true, 1)
  ON CONFLICT (pool_id, user_id) DO UPDATE SET pass = rotation_members.pass + 1000000, was_eligible = true,
     served = rotation_members.served + excluded.served;
COMMIT;
SELECT key, label, field_type, options, required, searchable, position FROM lead_fields WHERE deleted_at IS NULL ORDER BY position, key;
