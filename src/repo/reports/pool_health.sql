-- Per pool of $3 (all when NULL) over the local days $5 to $6 (the instants [$1, $2)); $4 is now
-- (the backlog and the leads never claimed are as of now). Flows and the backlog: the rollups
-- plus the fold of what was committed since the projection's watermark (fold.sql); the leads never
-- claimed and the median wait: from the facts.
WITH {fold},
p AS (
    SELECT id, name FROM pools WHERE $3::uuid[] IS NULL OR id = ANY($3)
), days AS (
    SELECT * FROM report_pool_days d WHERE d.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR d.pool_id = ANY($3))
    UNION ALL
    SELECT * FROM fold_pool_days d WHERE d.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR d.pool_id = ANY($3))
), flows AS (
    SELECT d.pool_id,
           sum(d.created_intake) AS intake,
           sum(d.created_import) AS import,
           sum(d.created_manual) AS manual,
           sum(d.ended_released) AS releases,
           sum(d.ended_recycled) AS recycles,
           sum(d.started_self_claim + d.started_capability) AS claims,
           sum(d.started_manager_assign) AS assignments,
           sum(d.started_round_robin) AS distributed
      FROM days d
     GROUP BY d.pool_id
), backlog AS (
    SELECT b.pool_id, sum(b.pooled) AS backlog
      FROM (SELECT pool_id, pooled FROM report_pool_backlog UNION ALL SELECT pool_id, pooled FROM fold_pool_backlog) b
     WHERE $3::uuid[] IS NULL OR b.pool_id = ANY($3)
     GROUP BY b.pool_id
), neglected AS (
    SELECT l.pool_id, count(*) AS never_claimed_over_30_days
      FROM leads l
     WHERE l.state = 'pooled' AND l.first_claimed_at IS NULL AND l.created_at < $4 - interval '30 days'
       AND ($3::uuid[] IS NULL OR l.pool_id = ANY($3))
     GROUP BY l.pool_id
), waits AS (
    -- Exact: over every hold taken from the pool in the period (the hours the lead had waited in
    -- it), read from the claims' start index.
    SELECT c.pool_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.started_at - c.pooled_since) / 3600.0) AS median
      FROM claims c
     WHERE c.started_at >= $1 AND c.started_at < $2 AND c.pooled_since IS NOT NULL
       AND ($3::uuid[] IS NULL OR c.pool_id = ANY($3))
     GROUP BY c.pool_id
)
SELECT p.id AS pool_id, p.name,
       coalesce(d.intake, 0)::int8 AS intake, coalesce(d.import, 0)::int8 AS import,
       coalesce(d.manual, 0)::int8 AS manual,
       coalesce(d.releases, 0)::int8 AS releases, coalesce(d.recycles, 0)::int8 AS recycles,
       coalesce(d.claims, 0)::int8 AS claims, coalesce(d.assignments, 0)::int8 AS assignments,
       coalesce(d.distributed, 0)::int8 AS distributed,
       coalesce(b.backlog, 0)::int8 AS backlog, coalesce(n.never_claimed_over_30_days, 0) AS never_claimed_over_30_days,
       w.median AS median_hours_in_pool
  FROM p
  LEFT JOIN flows d ON d.pool_id = p.id
  LEFT JOIN backlog b ON b.pool_id = p.id
  LEFT JOIN neglected n ON n.pool_id = p.id
  LEFT JOIN waits w ON w.pool_id = p.id
 ORDER BY p.name, p.id
