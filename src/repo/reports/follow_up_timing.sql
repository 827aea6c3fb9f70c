-- Follow-ups in [$1, $2) by people of $3 (everyone when NULL), by local day of week and hour in
-- time zone $4: how many, how many moved the stage forward, how many were followed by the lead's
-- conversion within 7 days.
WITH made AS (
    SELECT f.id, f.created_at, f.stage_to
      FROM follow_ups f
     WHERE f.created_at >= $1 AND f.created_at < $2 AND ($3::uuid[] IS NULL OR f.user_id = ANY($3))
), led AS (
    SELECT f.id
      FROM leads l
      JOIN follow_ups f ON f.lead_id = l.id
     WHERE l.converted_at >= $1 AND l.converted_at < $2 + interval '7 days'
       AND f.created_at >= $1 AND f.created_at < $2
       AND f.created_at <= l.converted_at AND f.created_at >= l.converted_at - interval '7 days'
       AND ($3::uuid[] IS NULL OR f.user_id = ANY($3))
)
SELECT extract(isodow FROM m.created_at AT TIME ZONE $4)::int4 AS weekday,
       extract(hour FROM m.created_at AT TIME ZONE $4)::int4 AS hour,
       count(*) AS follow_ups,
       count(*) FILTER (WHERE m.stage_to IS NOT NULL AND m.stage_to <> 'lost') AS advanced,
       count(led.id) AS converted_within_7_days,
       count(*) FILTER (WHERE (m.stage_to IS NOT NULL AND m.stage_to <> 'lost') OR led.id IS NOT NULL) AS effective
  FROM made m
  LEFT JOIN led ON led.id = m.id
 GROUP BY 1, 2
 ORDER BY 1, 2
