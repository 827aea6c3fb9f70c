-- The follow-ups of people $3 on the local days $1 to $2 by local weekday and hour: the
-- per-person rollup plus the fold of what was committed since the projection's watermark
-- (fold.sql).
WITH {fold},
hours AS (
    SELECT * FROM report_follow_up_user_hours h WHERE h.user_id = ANY($3) AND h.day BETWEEN $1 AND $2
    UNION ALL
    SELECT * FROM fold_follow_up_user_hours h WHERE h.user_id = ANY($3) AND h.day BETWEEN $1 AND $2
)
SELECT extract(isodow FROM h.day)::int4 AS weekday, h.hour::int4 AS hour,
       sum(h.follow_ups)::int8 AS follow_ups, sum(h.advanced)::int8 AS advanced,
       sum(h.converted_within_7_days)::int8 AS converted, sum(h.converted_not_advanced)::int8 AS converted_not_advanced
  FROM hours h
 GROUP BY 1, 2
