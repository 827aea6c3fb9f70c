-- Back to 000012's version.
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
    RETURN NULL;
END $$;
