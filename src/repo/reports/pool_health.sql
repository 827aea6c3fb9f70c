-- Per pool of $3 (all when NULL) over the local days $5 to $6 (the instants [$1, $2)); $4 is now
-- (backlog and never-claimed leads are as of now). Hold counts come from the daily rollups; new
-- leads, the median wait and the backlog from the facts.
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
), holds AS (
    SELECT h.pool_id,
           sum(h.ended_released) AS releases,
           sum(h.ended_recycled_no_first_follow_up + h.ended_recycled_no_contact
               + h.ended_recycled_no_progress + h.ended_recycled_no_deal) AS recycles,
           sum(h.started_self_claim + h.started_capability) AS claims,
           sum(h.started_manager_assign) AS assignments,
           sum(h.started_round_robin) AS distributed
      FROM report_hold_days h
     WHERE h.day BETWEEN $5 AND $6 AND h.pool_id IN (SELECT id FROM p)
     GROUP BY h.pool_id
), waited AS (
    SELECT c.pool_id,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.started_at - c.pooled_since) / 3600.0))::numeric, 2)::float8
               AS median_hours_in_pool
      FROM claims c
     WHERE c.started_at >= $1 AND c.started_at < $2 AND c.pooled_since IS NOT NULL
       AND c.pool_id IN (SELECT id FROM p)
     GROUP BY c.pool_id
), backlog AS (
    SELECT l.pool_id, count(*) AS backlog
      FROM leads l
     WHERE l.state = 'pooled' AND l.pool_id IN (SELECT id FROM p)
     GROUP BY l.pool_id
), neglected AS (
    SELECT l.pool_id, count(*) AS never_claimed_over_30_days
      FROM leads l
     WHERE l.state = 'pooled' AND l.first_claimed_at IS NULL AND l.created_at < $4 - interval '30 days'
       AND l.pool_id IN (SELECT id FROM p)
     GROUP BY l.pool_id
)
SELECT p.id AS pool_id, p.name,
       coalesce(cr.intake, 0) AS intake, coalesce(cr.import, 0) AS import, coalesce(cr.manual, 0) AS manual,
       coalesce(h.releases, 0)::int8 AS releases, coalesce(h.recycles, 0)::int8 AS recycles,
       coalesce(h.claims, 0)::int8 AS claims, coalesce(h.assignments, 0)::int8 AS assignments,
       coalesce(h.distributed, 0)::int8 AS distributed, w.median_hours_in_pool,
       coalesce(b.backlog, 0) AS backlog, coalesce(n.never_claimed_over_30_days, 0) AS never_claimed_over_30_days
  FROM p
  LEFT JOIN created cr ON cr.pool_id = p.id
  LEFT JOIN holds h ON h.pool_id = p.id
  LEFT JOIN waited w ON w.pool_id = p.id
  LEFT JOIN backlog b ON b.pool_id = p.id
  LEFT JOIN neglected n ON n.pool_id = p.id
 ORDER BY p.name, p.id
