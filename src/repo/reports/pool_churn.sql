-- Who let leads of the pools of $3 (all when NULL) go back by recycling, over [$1, $2): per pool
-- and person, holds taken from the pool that started in the period and how many of them were
-- recycled (by now). Claim-and-neglect shows as a high share.
SELECT c.pool_id, c.user_id, u.name,
       count(*) AS claims,
       count(*) FILTER (WHERE c.end_reason LIKE 'recycled%') AS recycled
  FROM claims c
  JOIN users u ON u.id = c.user_id
 WHERE c.started_at >= $1 AND c.started_at < $2
   AND ($3::uuid[] IS NULL OR c.pool_id = ANY($3))
   AND c.started_how IN ('self_claim', 'capability', 'round_robin', 'manager_assign')
 GROUP BY c.pool_id, c.user_id, u.name
HAVING count(*) FILTER (WHERE c.end_reason LIKE 'recycled%') > 0
 ORDER BY c.pool_id, recycled DESC, u.name
