-- The hours leads had waited in their pool when taken, for holds started on the local days $1 to
-- $2, per pool of $3 (all when NULL): the values the median is taken over.
SELECT h.pool_id AS id, h.pool_wait_hours AS hours
  FROM report_pool_days h
 WHERE h.day BETWEEN $1 AND $2 AND cardinality(h.pool_wait_hours) > 0
   AND ($3::uuid[] IS NULL OR h.pool_id = ANY($3))
