-- The first-follow-up latencies (hours) of the holds started on the local days $1 to $2, per
-- person of $3 (everyone when NULL): the values the median is taken over.
SELECT h.user_id AS id, h.first_follow_up_hours AS hours
  FROM report_person_days h
 WHERE h.day BETWEEN $1 AND $2 AND cardinality(h.first_follow_up_hours) > 0
   AND ($3::uuid[] IS NULL OR h.user_id = ANY($3))
