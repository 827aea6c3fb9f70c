-- The funnel's kanban header: leads held now per stage (customers as `won`), of the holders $1
-- (everyone when NULL), the pool $2, the lead source $3 (NULL: any).
SELECT CASE WHEN l.state = 'converted' THEN 'won' ELSE l.stage END AS stage, count(*)::int8 AS leads
  FROM leads l
 WHERE l.state IN ('owned', 'converted')
   AND ($1::uuid[] IS NULL OR l.owner_id = ANY($1))
   AND ($2::uuid IS NULL OR l.pool_id = $2)
   AND ($3::text IS NULL OR l.source_channel = $3)
 GROUP BY 1;
