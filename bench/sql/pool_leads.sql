-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/claims/pool_view.rs        pool_leads (one transaction)
--   src/service/pools.rs                  pooled_leads, get, may_see, view
--   src/repo/pools.rs                     is_member (ids_for_member), find, member_team_ids,
--                                         member_user_ids
--   src/service/leads/read.rs             list (LeadScope::PooledIn)
--   src/service/lead_fields.rs            active_defs (src/repo/lead_fields.rs list)
--   src/domain/page.rs                    fetch_page (limit + 1 rows)
--   src/repo/leads.rs                     list
--
-- pgbench: the SQL of one page of a pool's lead listing at depth (GET /pools/{id}/leads?grade=A
-- &limit=50&cursor=..., as a member), as the service runs it (bench/claims): the membership
-- check, the pool and its members, the active custom fields and one keyset page (newest first,
-- limit + 1 rows). Variables: uid (the salesperson), pool, after (the id the cursor encodes).
BEGIN;
SELECT pool_id FROM pool_member_users WHERE user_id = ':uid'
  UNION SELECT pool_id FROM pool_member_teams WHERE team_id = ANY(SELECT team_id FROM users WHERE id = ':uid');
SELECT id, name, description, is_default, routing_priority, routing, created_at, updated_at, rules, rules_version
  FROM pools WHERE id = ':pool' LIMIT 1;
SELECT team_id FROM pool_member_teams WHERE pool_id = ':pool' ORDER BY team_id;
SELECT user_id FROM pool_member_users WHERE pool_id = ':pool' ORDER BY user_id;
SELECT key, label, field_type, options, required, searchable, position, deleted_at, created_at, updated_at
  FROM lead_fields WHERE deleted_at IS NULL ORDER BY position, key;
SELECT id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
       wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
       source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
       last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at
  FROM leads WHERE state = 'pooled' AND pool_id = ':pool' AND grade = 'A' AND id < ':after' ORDER BY id DESC LIMIT 51;
COMMIT;
