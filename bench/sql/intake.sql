-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/intake/submit.rs           intake_leads
--   src/service/intake.rs                 authenticate, submit_item
--   src/repo/intake.rs                    source_by_token, count_request
--   src/service/leads/submit.rs           submit
--   src/repo/leads.rs                     insert_if_new, insert_event
--
-- pgbench: the database work of one intake request, as plain SQL (the same statements the
-- service issues: find the source by token hash, count the request in its rate window, insert
-- the lead unless a duplicate exists, record the timeline event).
\set n random(1, 2000000000)
BEGIN;
SELECT id FROM intake_sources WHERE token_hash = ':token_hash'::bytea AND deleted_at IS NULL;
INSERT INTO intake_rate_windows (source_id, window_start, count) VALUES (':source_id', date_trunc('minute', now()), 1)
  ON CONFLICT (source_id, window_start) DO UPDATE SET count = intake_rate_windows.count + 1;
INSERT INTO leads (id, pool_id, state, name, company, phone_enc, phone_bidx, identity_bidx, city, source_channel, tags, custom, created_at, updated_at)
  VALUES (gen_random_uuid(), ':pool_id', 'pooled', 'bench ' || :n, 'bench co ' || :n,
          decode(md5('enc' || :n) || md5('enc2' || :n), 'hex'), decode(md5('p' || :n), 'hex'), decode(md5('i' || :n), 'hex'),
          '上海', 'website', '{}', '{}', now(), now())
  ON CONFLICT DO NOTHING;
INSERT INTO lead_events (id, lead_id, kind, details, created_at)
  SELECT gen_random_uuid(), id, 'created', '{}', now() FROM leads WHERE phone_bidx = decode(md5('p' || :n), 'hex') LIMIT 1;
COMMIT;
