-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/lifecycle/follow_ups.rs    add_follow_up (the transaction, then the answer)
--   src/service/lifecycle/follow_ups.rs   follow_up
--   src/service/lifecycle/mod.rs          lead_for_update, recycle_changes
--   src/repo/leads.rs                     find_for_update, insert_event
--   src/service/claims/mod.rs             pool_rules (src/repo/pools.rs rules)
--   src/repo/claims.rs                    open_for_lead
--   src/repo/lifecycle.rs                 insert_follow_up, update_hold
--   src/routes/leads/response.rs          lead_response (the answer's custom fields)
--   src/service/lead_fields.rs            FieldDefsCache::get, active_defs
-- Out of step: since 522537c the answer's field definitions come from FieldDefsCache (read only
-- when not remembered); this script still reads lead_fields on every follow-up.
--
-- pgbench: the SQL of one follow-up (POST /leads/{id}/follow-ups by the lead's owner: a call with
-- a next follow-up in 3 days), as the service runs it (bench/claims): the lead locked, the pool's
-- rules, the open claim, the follow-up, its timeline entry and the lead's new clocks; then the
-- active custom fields for the answer (a second transaction). Variables: owned (rows of
-- bench_owned, the owned leads both sides pick from).
\set k random(1, :owned)
SELECT lead_id AS lid, user_id AS uid, pool_id AS pool FROM bench_owned WHERE n = :k \gset
BEGIN;
SELECT id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
       wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
       source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
       last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at
  FROM leads WHERE id = ':lid' LIMIT 1 FOR UPDATE;
SELECT rules, rules_version FROM pools WHERE id = ':pool' LIMIT 1;
SELECT id AS cid, lead_id, pool_id, user_id, started_at, started_day, started_how, started_by, quota_override,
       decision_id, ended_at, end_reason, ended_by
  FROM claims WHERE lead_id = ':lid' AND ended_at IS NULL LIMIT 1 \gset
INSERT INTO follow_ups (id, lead_id, claim_id, user_id, type, content, next_follow_up_at, created_at)
  VALUES (bench_uuid7(), ':lid', ':cid', ':uid', 'call', '电话沟通，客户有兴趣，约了下周演示', now() + interval '3 days', now())
  RETURNING id AS fid \gset
INSERT INTO lead_events (id, lead_id, kind, actor_id, details, created_at)
  VALUES (bench_uuid7(), ':lid', 'follow_up', ':uid', json_build_object('type', 'call', 'stage_to', NULL, 'stage_from', NULL,
          'corrects_id', NULL, 'follow_up_id', ':fid'), now());
UPDATE leads SET last_follow_up_at = now(), follow_ups_since_progress = follow_ups_since_progress + 1,
       next_follow_up_at = now() + interval '3 days', recycle_at = now() + interval '3 days',
       recycle_reason = 'recycled_no_contact', recycle_warned_at = NULL, updated_at = now()
 WHERE id = ':lid'
 RETURNING id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
       wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
       source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
       last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at;
COMMIT;
BEGIN;
SELECT key, label, field_type, options, required, searchable, position, deleted_at, created_at, updated_at
  FROM lead_fields WHERE deleted_at IS NULL ORDER BY position, key;
COMMIT;
