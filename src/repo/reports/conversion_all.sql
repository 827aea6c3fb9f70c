-- Conversion of the leads created in [$1, $2), grouped by $3 (a column name chosen by the code).
-- $1 start, $2 end.
SELECT {key}::text AS key,
       count(*) AS created,
       count(l.first_claimed_at) AS claimed,
       count(l.converted_at) AS converted,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.converted_at - l.created_at) / 86400.0))::numeric, 2)::float8
           AS median_days_to_convert
  FROM leads l
 WHERE l.created_at >= $1 AND l.created_at < $2
 GROUP BY 1
 ORDER BY 1 NULLS LAST
