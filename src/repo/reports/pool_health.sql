-- Per pool of $3 (all when NULL) over [$1, $2); $4 is now (backlog and never-claimed leads are
-- as of now).
WITH p AS (
    SELECT id, name FROM pools WHERE $3::uuid[] IS NULL OR id = ANY($3)
), created AS (
    SELECT l.pool_id,
           count(*) FILTER (WHERE l.import_id IS NULL AND l.created_by IS NULL) AS intake,
           count(*) FILTER (WHERE l.import_id IS NOT NULL) AS import,
           count(*) FILTER (WHERE l.import_id IS NULL AND l.created_by IS NOT NULL) AS manual
      FROM leads l
     WHERE l.created_at >= $1 AND l.created_at < $2 AND l.pool_id IN (SELECT id FROM p)
     GROUP BY l.pool_id
), ended AS (
    SELECT c.pool_id,
           count(*) FILTER (WHERE c.end_reason = 'released') AS releases,
           count(*) FILTER (WHERE c.end_reason LIKE 'recycled%') AS recycles
      FROM claims c
     WHERE c.ended_at >= $1 AND c.ended_at < $2 AND c.pool_id IN (SELECT id FROM p)
     GROUP BY c.pool_id
), started AS (
    SELECT c.pool_id,
           count(*) FILTER (WHERE c.started_how IN ('self_claim', 'capability')) AS claims,
           count(*) FILTER (WHERE c.started_how = 'manager_assign') AS assignments,
           count(*) FILTER (WHERE c.started_how = 'round_robin') AS distributed,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.started_at - c.pooled_since) / 3600.0))::numeric, 2)::float8
               AS median_hours_in_pool
      FROM claims c
     WHERE c.started_at >= $1 AND c.started_at < $2 AND c.pool_id IN (SELECT id FROM p)
     GROUP BY c.pool_id
), backlog AS (
    SELECT l.pool_id, count(*) AS backlog,
           count(*) FILTER (WHERE l.first_claimed_at IS NULL AND l.created_at < $4 - interval '30 days')
               AS never_claimed_over_30_days
      FROM leads l
     WHERE l.state = 'pooled' AND l.pool_id IN (SELECT id FROM p)
     GROUP BY l.pool_id
)
SELECT p.id AS pool_id, p.name,
       coalesce(cr.intake, 0) AS intake, coalesce(cr.import, 0) AS import, coalesce(cr.manual, 0) AS manual,
       coalesce(e.releases, 0) AS releases, coalesce(e.recycles, 0) AS recycles,
       coalesce(s.claims, 0) AS claims, coalesce(s.assignments, 0) AS assignments,
       coalesce(s.distributed, 0) AS distributed, s.median_hours_in_pool,
       coalesce(b.backlog, 0) AS backlog, coalesce(b.never_claimed_over_30_days, 0) AS never_claimed_over_30_days
  FROM p
  LEFT JOIN created cr ON cr.pool_id = p.id
  LEFT JOIN ended e ON e.pool_id = p.id
  LEFT JOIN started s ON s.pool_id = p.id
  LEFT JOIN backlog b ON b.pool_id = p.id
 ORDER BY p.name, p.id
