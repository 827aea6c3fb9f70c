-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/repo/holds.rs                     start_hold (START_HOLD: the taken, claim and audit parts)
--   src/service/claims/mod.rs             start (the claim's and the audit entry's values)
-- (Not a request of the service: the least a claim writes, the floor bench/writes compares with.)
--
-- pgbench: the least any service must write for one claim (the floor bench/writes compares the
-- service's named claims with): the conditional UPDATE that takes a pooled lead, in a copy of
-- `leads` with every index of it, one claim row and one audit row (copies of their tables with
-- their indexes), in one transaction. Client c takes leads c + 1, c + 1 + clients, ... of
-- floor_pick, a shuffled list of pooled leads, so no two clients want the same one.
-- Variables: clients, users; k counts this client's transactions (start it at -1).
\set k :k + 1
\set u random(1, :users)
SELECT id AS lid, pool_id AS pid FROM floor_pick WHERE n = :client_id + 1 + :k * :clients \gset
SELECT id AS uid FROM bench_users WHERE n = :u \gset
BEGIN;
UPDATE floor_leads SET state = 'owned', owner_id = ':uid', stage = 'new', updated_at = now(), claimed_at = now(),
       claimed_from_pool = true, last_follow_up_at = NULL, follow_ups_since_progress = 0, next_follow_up_at = NULL,
       recycle_at = now() + interval '24 hours', recycle_reason = 'recycled_no_first_follow_up', recycle_warned_at = NULL
 WHERE id = ':lid' AND state = 'pooled';
INSERT INTO floor_claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, started_by,
                          quota_override, lead_created_at)
VALUES (bench_uuid7(), ':lid', ':pid', ':uid', now(), current_date, 'self_claim', ':uid', false, now())
RETURNING id AS cid \gset
INSERT INTO floor_audit (id, actor_id, action, object_type, object_id, lead_id, before, after, created_at)
VALUES (bench_uuid7(), ':uid', 'lead.claimed', 'claim', ':cid', ':lid',
        json_build_object('state', 'pooled', 'owner_id', NULL, 'pool_id', ':pid'),
        json_build_object('state', 'owned', 'owner_id', ':uid', 'how', 'self_claim'), now());
COMMIT;
