-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/jobs/sweep.rs                     drain (the warnings loop), start_requested (sweep.run)
--   src/service/lifecycle/sweep.rs        warn
--   src/repo/pools.rs                     all, rules
--   src/repo/lifecycle.rs                 mark_warned, insert_notifications
--   src/repo/leads.rs                     insert_events
--   src/service/audit.rs                  Audit (the sweep.run entry)
-- Out of step: since 1d380f3 the service warns in batches of LEADPOOL_SWEEP_BATCH a pool (ids
-- locked with SKIP LOCKED, then updated), a transaction each until fewer come back; this script
-- marks every pool's leads in one UPDATE, in one transaction.
--
-- pgbench: the end of a sweep, as the service runs it after the last batch (bench/sweep): every
-- pool's owned leads due back within 24 h (the default warn_before_recycle_hours) whose owners were
-- not warned yet are marked, with a notification and a timeline entry each (one transaction; the
-- service reads the marked rows back and inserts in bulk, here one statement per pool does all
-- three); then the sweep's own audit entry. Variables: held, open (the two pools of bench/sweep).
BEGIN;
SELECT id, name, description, is_default, routing_priority, routing, created_at, updated_at, rules, rules_version
  FROM pools ORDER BY id;
SELECT rules, rules_version FROM pools WHERE id = ':held' LIMIT 1;
WITH w AS (
  UPDATE leads SET recycle_warned_at = now()
   WHERE pool_id = ':held' AND state = 'owned' AND recycle_at <= now() + interval '24 hours' AND recycle_warned_at IS NULL
  RETURNING *
), n AS (
  INSERT INTO notifications (id, user_id, kind, lead_id, message, created_at)
  SELECT bench_uuid7(), owner_id, 'recycle_warning', id,
         'The lead ' || coalesce(name, company, '') || ' goes back to the pool at ' || recycle_at || ' (' || coalesce(recycle_reason, '') || ') unless you follow up', now()
    FROM w WHERE owner_id IS NOT NULL AND recycle_at IS NOT NULL
), e AS (
  INSERT INTO lead_events (id, lead_id, kind, details, created_at)
  SELECT bench_uuid7(), id, 'recycle_warning', json_build_object('recycle_at', recycle_at, 'reason', recycle_reason), now()
    FROM w WHERE owner_id IS NOT NULL AND recycle_at IS NOT NULL
)
SELECT * FROM w;
SELECT rules, rules_version FROM pools WHERE id = ':open' LIMIT 1;
WITH w AS (
  UPDATE leads SET recycle_warned_at = now()
   WHERE pool_id = ':open' AND state = 'owned' AND recycle_at <= now() + interval '24 hours' AND recycle_warned_at IS NULL
  RETURNING *
), n AS (
  INSERT INTO notifications (id, user_id, kind, lead_id, message, created_at)
  SELECT bench_uuid7(), owner_id, 'recycle_warning', id,
         'The lead ' || coalesce(name, company, '') || ' goes back to the pool at ' || recycle_at || ' (' || coalesce(recycle_reason, '') || ') unless you follow up', now()
    FROM w WHERE owner_id IS NOT NULL AND recycle_at IS NOT NULL
), e AS (
  INSERT INTO lead_events (id, lead_id, kind, details, created_at)
  SELECT bench_uuid7(), id, 'recycle_warning', json_build_object('recycle_at', recycle_at, 'reason', recycle_reason), now()
    FROM w WHERE owner_id IS NOT NULL AND recycle_at IS NOT NULL
)
SELECT * FROM w;
COMMIT;
BEGIN;
INSERT INTO audit_log (id, action, object_type, after, created_at)
  VALUES (bench_uuid7(), 'sweep.run', 'sweep', json_build_object('warned', 0, 'recycled', 0), now());
COMMIT;
