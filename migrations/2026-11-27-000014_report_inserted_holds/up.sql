-- A hold inserted already ended or followed up (hand-written SQL, a future bulk path) counts in
-- the rollups as report_rebuild() counts it, not only holds that start open and end later.
CREATE OR REPLACE FUNCTION report_claims_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM new_rows n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
INSERT INTO report_person_days AS r (day, user_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM new_rows n
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route, pool_wait_hours)
SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route'),
       coalesce(array_agg(extract(epoch FROM n.started_at - n.pooled_since) / 3600.0 ORDER BY n.started_at - n.pooled_since) FILTER (WHERE n.pooled_since IS NOT NULL), '{}')
  FROM new_rows n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route,
        pool_wait_hours = ARRAY(SELECT v FROM unnest(r.pool_wait_hours || EXCLUDED.pool_wait_hours) v ORDER BY v);
INSERT INTO report_holdings AS r (user_id, held)
SELECT n.user_id, count(*) FROM new_rows n WHERE n.ended_at IS NULL GROUP BY 1 ORDER BY 1
ON CONFLICT (user_id) DO UPDATE SET held = r.held + EXCLUDED.held;
    -- Holds recorded already ended (or followed up), e.g. by hand-written SQL, count as the
    -- rebuild counts them.
    WITH changed AS (
        SELECT c.*, true AS was_open, true AS had_no_follow_up FROM new_rows c
         WHERE c.ended_at IS NOT NULL OR c.first_follow_up_at IS NOT NULL
    )
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, user_id, pool_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (c.ended_at AT TIME ZONE tz)::date AS day, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid) AS pool_id,
           0, 0, 0, (c.end_reason = 'released')::int, (c.end_reason = 'transferred')::int, (c.end_reason = 'converted')::int, (c.end_reason = 'closed')::int, (c.end_reason = 'reassigned')::int, (c.end_reason = 'recycled_no_first_follow_up')::int, (c.end_reason = 'recycled_no_contact')::int, (c.end_reason = 'recycled_no_progress')::int, (c.end_reason = 'recycled_no_deal')::int
      FROM changed c WHERE c.was_open AND c.ended_at IS NOT NULL
    UNION ALL
    SELECT (c.started_at AT TIME ZONE tz)::date, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
           (c.had_no_follow_up AND c.first_follow_up_at IS NOT NULL)::int,
           coalesce(c.was_open AND c.end_reason = 'converted', false)::int,
           coalesce(c.was_open AND c.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed c
  ) AS d (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_followed_up = r.started_followed_up + EXCLUDED.started_followed_up,
        started_converted = r.started_converted + EXCLUDED.started_converted,
        started_recycled = r.started_recycled + EXCLUDED.started_recycled,
        ended_released = r.ended_released + EXCLUDED.ended_released,
        ended_transferred = r.ended_transferred + EXCLUDED.ended_transferred,
        ended_converted = r.ended_converted + EXCLUDED.ended_converted,
        ended_closed = r.ended_closed + EXCLUDED.ended_closed,
        ended_reassigned = r.ended_reassigned + EXCLUDED.ended_reassigned,
        ended_recycled_no_first_follow_up = r.ended_recycled_no_first_follow_up + EXCLUDED.ended_recycled_no_first_follow_up,
        ended_recycled_no_contact = r.ended_recycled_no_contact + EXCLUDED.ended_recycled_no_contact,
        ended_recycled_no_progress = r.ended_recycled_no_progress + EXCLUDED.ended_recycled_no_progress,
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal;
    WITH changed AS (SELECT c.*, true AS was_open, true AS had_no_follow_up FROM new_rows c
         WHERE c.ended_at IS NOT NULL OR c.first_follow_up_at IS NOT NULL)
INSERT INTO report_person_days AS r (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, first_follow_up_hours)
SELECT day, user_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal), coalesce(array_agg(latency ORDER BY latency) FILTER (WHERE latency IS NOT NULL), '{}')
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, n.user_id, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int, NULL::float8
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0, CASE WHEN n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL THEN extract(epoch FROM n.first_follow_up_at - n.started_at) / 3600.0 END
      FROM changed n
  ) AS d (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, latency)
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        started_followed_up = r.started_followed_up + EXCLUDED.started_followed_up,
        started_converted = r.started_converted + EXCLUDED.started_converted,
        started_recycled = r.started_recycled + EXCLUDED.started_recycled,
        ended_released = r.ended_released + EXCLUDED.ended_released,
        ended_transferred = r.ended_transferred + EXCLUDED.ended_transferred,
        ended_converted = r.ended_converted + EXCLUDED.ended_converted,
        ended_closed = r.ended_closed + EXCLUDED.ended_closed,
        ended_reassigned = r.ended_reassigned + EXCLUDED.ended_reassigned,
        ended_recycled_no_first_follow_up = r.ended_recycled_no_first_follow_up + EXCLUDED.ended_recycled_no_first_follow_up,
        ended_recycled_no_contact = r.ended_recycled_no_contact + EXCLUDED.ended_recycled_no_contact,
        ended_recycled_no_progress = r.ended_recycled_no_progress + EXCLUDED.ended_recycled_no_progress,
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal,
        first_follow_up_hours = ARRAY(SELECT v FROM unnest(r.first_follow_up_hours || EXCLUDED.first_follow_up_hours) v ORDER BY v);
    WITH changed AS (SELECT c.*, true AS was_open, true AS had_no_follow_up FROM new_rows c
         WHERE c.ended_at IS NOT NULL OR c.first_follow_up_at IS NOT NULL)
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, pool_id, shard, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed n
  ) AS d (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        started_followed_up = r.started_followed_up + EXCLUDED.started_followed_up,
        started_converted = r.started_converted + EXCLUDED.started_converted,
        started_recycled = r.started_recycled + EXCLUDED.started_recycled,
        ended_released = r.ended_released + EXCLUDED.ended_released,
        ended_transferred = r.ended_transferred + EXCLUDED.ended_transferred,
        ended_converted = r.ended_converted + EXCLUDED.ended_converted,
        ended_closed = r.ended_closed + EXCLUDED.ended_closed,
        ended_reassigned = r.ended_reassigned + EXCLUDED.ended_reassigned,
        ended_recycled_no_first_follow_up = r.ended_recycled_no_first_follow_up + EXCLUDED.ended_recycled_no_first_follow_up,
        ended_recycled_no_contact = r.ended_recycled_no_contact + EXCLUDED.ended_recycled_no_contact,
        ended_recycled_no_progress = r.ended_recycled_no_progress + EXCLUDED.ended_recycled_no_progress,
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal;
    RETURN NULL;
END $$;
