-- Conversion of the leads created in [$1, $2) that people of $3 held at some time; converted
-- when one of them converted it. Holds carry their lead's creation time, so only the holds of
-- the cohort are read.
WITH held AS (
    SELECT c.lead_id, bool_or(c.end_reason = 'converted') AS converted_here
      FROM claims c
     WHERE c.user_id = ANY($3) AND c.lead_created_at >= $1 AND c.lead_created_at < $2
     GROUP BY c.lead_id
)
SELECT {key}::text AS key,
       count(*) AS created,
       count(*) AS claimed,
       count(*) FILTER (WHERE h.converted_here) AS converted,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.converted_at - l.created_at) / 86400.0)
           FILTER (WHERE h.converted_here))::numeric, 2)::float8 AS median_days_to_convert
  FROM held h
  JOIN leads l ON l.id = h.lead_id
 WHERE l.created_at >= $1 AND l.created_at < $2
 GROUP BY 1
 ORDER BY 1 NULLS LAST
