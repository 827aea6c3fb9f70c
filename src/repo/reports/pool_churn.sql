-- Who let leads of the pools of $3 (all when NULL) go back by recycling: per pool and person,
-- holds from the pool that started on the local days $1 to $2 and how many of them were
-- recycled (by now). Claim-and-neglect shows as a high share. The rollup plus the fold of what
-- was committed since the projection's watermark (fold.sql).
WITH {fold},
days AS (
    SELECT * FROM report_hold_days h WHERE h.day BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
    UNION ALL
    SELECT * FROM fold_hold_days h WHERE h.day BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
), per AS (
    SELECT d.pool_id, d.user_id, sum(d.started) AS claims, sum(d.started_recycled) AS recycled
      FROM days d
     GROUP BY d.pool_id, d.user_id
    HAVING sum(d.started_recycled) > 0
)
SELECT per.pool_id, per.user_id, u.name, per.claims::int8 AS claims, per.recycled::int8 AS recycled
  FROM per
  JOIN users u ON u.id = per.user_id
 ORDER BY per.pool_id, per.recycled DESC, u.name
