-- Everyone's follow-ups on the local days $1 to $2 by local weekday and hour, from the rollup.
SELECT extract(isodow FROM h.day)::int4 AS weekday, h.hour::int4 AS hour,
       sum(h.follow_ups)::int8 AS follow_ups, sum(h.advanced)::int8 AS advanced,
       sum(h.converted_within_7_days)::int8 AS converted, sum(h.converted_not_advanced)::int8 AS converted_not_advanced
  FROM report_follow_up_hours h
 WHERE h.day BETWEEN $1 AND $2
 GROUP BY 1, 2
