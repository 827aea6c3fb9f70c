-- Who let leads of the pools of $3 (all when NULL) go back by recycling: per pool and person,
-- holds from the pool that started on the local days $1 to $2 and how many of them were
-- recycled (by now). Claim-and-neglect shows as a high share.
WITH per AS (
    SELECT h.pool_id, h.user_id,
           sum(h.started_self_claim + h.started_capability + h.started_round_robin + h.started_manager_assign
               + h.started_transfer + h.started_intake_route) AS claims,
           sum(h.started_recycled) AS recycled
      FROM report_hold_days h
     WHERE h.day BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
     GROUP BY h.pool_id, h.user_id
    HAVING sum(h.started_recycled) > 0
)
SELECT per.pool_id, per.user_id, u.name, per.claims::int8 AS claims, per.recycled::int8 AS recycled
  FROM per
  JOIN users u ON u.id = per.user_id
 ORDER BY per.pool_id, per.recycled DESC, u.name
