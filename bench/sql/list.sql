-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/leads/list.rs              list_leads (db::read_only: a read-only transaction)
--   src/service/leads/read.rs             list, scope_of
--   src/service/lead_fields.rs            active_defs (src/repo/lead_fields.rs list)
--   src/domain/page.rs                    fetch_page (limit + 1 rows)
--   src/repo/leads.rs                     list
--
-- pgbench: the SQL of one page of the lead list at depth (GET /leads?state=pooled&grade=A&limit=50
-- &cursor=..., as an admin), as the service runs it (bench/run): one read-only transaction with the
-- active custom fields and one keyset page (newest first, limit + 1 rows). Variables: after (the
-- id the cursor encodes).
BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY;
SELECT key, label, field_type, options, required, searchable, position, deleted_at, created_at, updated_at
  FROM lead_fields WHERE deleted_at IS NULL ORDER BY position, key;
SELECT id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
       wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
       source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
       last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at
  FROM leads WHERE state = 'pooled' AND grade = 'A' AND id < ':after' ORDER BY id DESC LIMIT 51;
COMMIT;
