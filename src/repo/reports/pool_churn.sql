-- Who let leads of the pools of $3 (all when NULL) go back by recycling: per pool and person,
-- holds from the pool that started on the local days $1 to $2 and how many of them were
-- recycled (by now). Claim-and-neglect shows as a high share.
SELECT h.pool_id, h.user_id, u.name,
       sum(h.started_self_claim + h.started_capability + h.started_round_robin + h.started_manager_assign
           + h.started_transfer + h.started_intake_route)::int8 AS claims,
       sum(h.started_recycled)::int8 AS recycled
  FROM report_hold_days h
  JOIN users u ON u.id = h.user_id
 WHERE h.day BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
 GROUP BY h.pool_id, h.user_id, u.name
HAVING sum(h.started_recycled) > 0
 ORDER BY h.pool_id, recycled DESC, u.name
