-- Follow-ups in [$1, $2) by people of $3, by local weekday and hour in time zone $4.
SELECT extract(isodow FROM f.created_at AT TIME ZONE $4)::int4 AS weekday,
       extract(hour FROM f.created_at AT TIME ZONE $4)::int4 AS hour,
       count(*) AS follow_ups,
       count(*) FILTER (WHERE f.stage_to IS NOT NULL AND f.stage_to <> 'lost') AS advanced
  FROM follow_ups f
 WHERE f.user_id = ANY($3) AND f.created_at >= $1 AND f.created_at < $2
 GROUP BY 1, 2
