-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/jobs/sweep.rs                     drain_batches (one transaction a batch)
--   src/service/lifecycle/sweep.rs        sweep_batch
--   src/repo/lifecycle.rs                 due_for_update, return_many, end_recycled_claims,
--                                         obsolete_pending_many, insert_notifications
--   src/repo/leads.rs                     insert_events
--   src/repo/audit.rs                     insert_many
-- Out of step: since 23ef1f3 an admin's sweep (POST /admin/sweep, as bench/sweep runs it) also
-- adds each batch to its run in the batch's transaction (src/repo/sweeps.rs progress, an UPDATE
-- of sweep_runs); not here.
--
-- pgbench: one batch of the recycle sweep (POST /admin/sweep, or the sweep job), as the service
-- runs it (bench/sweep): up to :batch due leads locked (SKIP LOCKED), returned to their pools in
-- one statement, their open claims ended in one statement, their pending requests made obsolete,
-- and the timeline entries, audit entries and owners' notifications inserted in bulk; with
-- asynchronous commit, like the service. The service keeps the locked rows in memory; here they
-- travel as arrays between the statements. Variables: batch.
BEGIN;
SET LOCAL synchronous_commit = off;
SELECT coalesce(array_agg(id ORDER BY recycle_at)::text, '{}') AS ids,
       coalesce(array_agg(recycle_reason ORDER BY recycle_at)::text, '{}') AS reasons,
       coalesce(array_agg(pool_id ORDER BY recycle_at)::text, '{}') AS pools,
       coalesce(array_agg(recycle_at ORDER BY recycle_at)::text, '{}') AS recycle_ats,
       coalesce(array_agg(coalesce(name, company, '') ORDER BY recycle_at)::text, '{}') AS names
  FROM (SELECT * FROM leads WHERE state = 'owned' AND recycle_at <= now()
         ORDER BY recycle_at ASC LIMIT :batch FOR UPDATE SKIP LOCKED) due \gset
UPDATE leads SET state = 'pooled', owner_id = NULL, stage = NULL, claimed_at = NULL, claimed_from_pool = false,
       last_follow_up_at = NULL, follow_ups_since_progress = 0, next_follow_up_at = NULL, recycle_at = NULL,
       recycle_reason = NULL, recycle_warned_at = NULL, updated_at = now()
 WHERE id = ANY(':ids'::uuid[]);
WITH ended AS (
  UPDATE claims c SET ended_at = now(), end_reason = d.reason
    FROM unnest(':ids'::uuid[], ':reasons'::text[]) AS d (lead_id, reason)
   WHERE c.lead_id = d.lead_id AND c.ended_at IS NULL
  RETURNING c.id AS claim_id, c.lead_id, c.user_id)
SELECT coalesce(array_agg(claim_id)::text, '{}') AS cids, coalesce(array_agg(lead_id)::text, '{}') AS clids,
       coalesce(array_agg(user_id)::text, '{}') AS cuids
  FROM ended \gset
UPDATE approvals SET status = 'obsolete', decided_at = now()
 WHERE lead_id = ANY(':ids'::uuid[]) AND status = 'pending'
 RETURNING id, kind, lead_id, claim_id, requester_id, status, reason_code, note, to_pool_id, to_user_id, decided_by,
           comment, decided_at, created_at;
INSERT INTO lead_events (id, lead_id, kind, details, created_at)
SELECT bench_uuid7(), d.lead_id, 'claim_ended',
       json_build_object('reason', d.reason, 'user_id', c.user_id, 'claim_id', c.claim_id, 'to_state', 'pooled',
                         'recycle_at', d.recycle_at, 'to_pool_id', d.pool_id), now()
  FROM unnest(':ids'::uuid[], ':reasons'::text[], ':pools'::uuid[], ':recycle_ats'::timestamptz[])
       AS d (lead_id, reason, pool_id, recycle_at)
  LEFT JOIN unnest(':clids'::uuid[], ':cids'::uuid[], ':cuids'::uuid[]) AS c (lead_id, claim_id, user_id)
       ON c.lead_id = d.lead_id;
INSERT INTO audit_log (id, action, object_type, object_id, lead_id, before, after, created_at)
SELECT bench_uuid7(), 'lead.' || d.reason, 'claim', coalesce(c.claim_id, d.lead_id), d.lead_id,
       json_build_object('state', 'owned', 'pool_id', d.pool_id, 'owner_id', c.user_id),
       json_build_object('state', 'pooled', 'pool_id', d.pool_id, 'owner_id', NULL), now()
  FROM unnest(':ids'::uuid[], ':reasons'::text[], ':pools'::uuid[]) AS d (lead_id, reason, pool_id)
  LEFT JOIN unnest(':clids'::uuid[], ':cids'::uuid[], ':cuids'::uuid[]) AS c (lead_id, claim_id, user_id)
       ON c.lead_id = d.lead_id;
INSERT INTO notifications (id, user_id, kind, lead_id, message, created_at)
SELECT bench_uuid7(), c.user_id, 'recycled', d.lead_id,
       'The lead ' || d.name || ' went back to its pool (' || d.reason || ')', now()
  FROM unnest(':ids'::uuid[], ':reasons'::text[], ':names'::text[]) AS d (lead_id, reason, name)
  JOIN unnest(':clids'::uuid[], ':cids'::uuid[], ':cuids'::uuid[]) AS c (lead_id, claim_id, user_id)
       ON c.lead_id = d.lead_id;
COMMIT;
