-- Follow-ups in [$1, $2) (by people of $3; everyone when NULL) after which their lead converted
-- within 7 days, by local weekday and hour in time zone $4; and how many of those did not
-- themselves advance the stage. Read from the (few) conversions.
SELECT extract(isodow FROM f.created_at AT TIME ZONE $4)::int4 AS weekday,
       extract(hour FROM f.created_at AT TIME ZONE $4)::int4 AS hour,
       count(*) AS converted,
       count(*) FILTER (WHERE f.stage_to IS NULL OR f.stage_to = 'lost') AS converted_not_advanced
  FROM leads l
  JOIN follow_ups f ON f.lead_id = l.id
 WHERE l.converted_at >= $1 AND l.converted_at < $2 + interval '7 days'
   AND f.created_at >= $1 AND f.created_at < $2
   AND f.created_at <= l.converted_at AND f.created_at >= l.converted_at - interval '7 days'
   AND ($3::uuid[] IS NULL OR f.user_id = ANY($3))
 GROUP BY 1, 2
