-- Per pool of $3 (all when NULL) over the local days $5 to $6 (the instants [$1, $2)); $4 is now
-- (backlog and never-claimed leads are as of now). From the rollups, but for the leads never
-- claimed (an index of them).
WITH p AS (
    SELECT id, name FROM pools WHERE $3::uuid[] IS NULL OR id = ANY($3)
), days AS (
    SELECT h.pool_id,
           sum(h.created_intake) AS intake,
           sum(h.created_import) AS import,
           sum(h.created_manual) AS manual,
           sum(h.ended_released) AS releases,
           sum(h.ended_recycled_no_first_follow_up + h.ended_recycled_no_contact
               + h.ended_recycled_no_progress + h.ended_recycled_no_deal) AS recycles,
           sum(h.started_self_claim + h.started_capability) AS claims,
           sum(h.started_manager_assign) AS assignments,
           sum(h.started_round_robin) AS distributed
      FROM report_pool_days h
     WHERE h.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
     GROUP BY h.pool_id
), backlog AS (
    SELECT b.pool_id, sum(b.pooled) AS backlog
      FROM report_pool_backlog b
     WHERE $3::uuid[] IS NULL OR b.pool_id = ANY($3)
     GROUP BY b.pool_id
), neglected AS (
    SELECT l.pool_id, count(*) AS never_claimed_over_30_days
      FROM leads l
     WHERE l.state = 'pooled' AND l.first_claimed_at IS NULL AND l.created_at < $4 - interval '30 days'
       AND ($3::uuid[] IS NULL OR l.pool_id = ANY($3))
     GROUP BY l.pool_id
)
SELECT p.id AS pool_id, p.name,
       coalesce(d.intake, 0)::int8 AS intake, coalesce(d.import, 0)::int8 AS import,
       coalesce(d.manual, 0)::int8 AS manual,
       coalesce(d.releases, 0)::int8 AS releases, coalesce(d.recycles, 0)::int8 AS recycles,
       coalesce(d.claims, 0)::int8 AS claims, coalesce(d.assignments, 0)::int8 AS assignments,
       coalesce(d.distributed, 0)::int8 AS distributed,
       coalesce(b.backlog, 0)::int8 AS backlog, coalesce(n.never_claimed_over_30_days, 0) AS never_claimed_over_30_days
  FROM p
  LEFT JOIN days d ON d.pool_id = p.id
  LEFT JOIN backlog b ON b.pool_id = p.id
  LEFT JOIN neglected n ON n.pool_id = p.id
 ORDER BY p.name, p.id
