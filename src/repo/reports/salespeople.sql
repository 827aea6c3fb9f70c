-- Per person of $3 (all non-admins when NULL), optionally of team $4, over [$1, $2).
WITH people AS (
    SELECT u.id, u.name, u.team_id
      FROM users u
     WHERE u.role <> 'admin'
       AND ($3::uuid[] IS NULL OR u.id = ANY($3))
       AND ($4::uuid IS NULL OR u.team_id = $4)
), started AS (
    SELECT c.user_id,
           count(*) AS claims,
           count(*) FILTER (WHERE c.started_how = 'self_claim') AS self_claim,
           count(*) FILTER (WHERE c.started_how = 'capability') AS capability,
           count(*) FILTER (WHERE c.started_how = 'round_robin') AS round_robin,
           count(*) FILTER (WHERE c.started_how = 'manager_assign') AS manager_assign,
           count(*) FILTER (WHERE c.started_how = 'transfer') AS transfer,
           count(*) FILTER (WHERE c.started_how = 'intake_route') AS intake_route,
           count(c.first_follow_up_at) AS followed_up,
           count(*) FILTER (WHERE c.end_reason = 'converted') AS claims_converted,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.first_follow_up_at - c.started_at) / 3600.0))::numeric, 2)::float8
               AS median_first_follow_up_hours
      FROM claims c
     WHERE c.started_at >= $1 AND c.started_at < $2 AND c.user_id IN (SELECT id FROM people)
     GROUP BY c.user_id
), ended AS (
    SELECT c.user_id,
           count(*) FILTER (WHERE c.end_reason = 'recycled_no_first_follow_up') AS recycled_no_first_follow_up,
           count(*) FILTER (WHERE c.end_reason = 'recycled_no_contact') AS recycled_no_contact,
           count(*) FILTER (WHERE c.end_reason = 'recycled_no_progress') AS recycled_no_progress,
           count(*) FILTER (WHERE c.end_reason = 'recycled_no_deal') AS recycled_no_deal,
           count(*) FILTER (WHERE c.end_reason = 'released') AS released,
           count(*) FILTER (WHERE c.end_reason = 'transferred') AS transferred,
           count(*) FILTER (WHERE c.end_reason = 'converted') AS conversions,
           count(*) FILTER (WHERE c.end_reason = 'closed') AS closed
      FROM claims c
     WHERE c.ended_at >= $1 AND c.ended_at < $2 AND c.user_id IN (SELECT id FROM people)
     GROUP BY c.user_id
), done AS (
    SELECT f.user_id,
           count(*) AS follow_ups,
           count(*) FILTER (WHERE f.type = 'call') AS call,
           count(*) FILTER (WHERE f.type = 'visit') AS visit,
           count(*) FILTER (WHERE f.type = 'wechat') AS wechat,
           count(*) FILTER (WHERE f.type = 'email') AS email,
           count(*) FILTER (WHERE f.type = 'sms') AS sms,
           count(*) FILTER (WHERE f.type = 'meeting') AS meeting,
           count(*) FILTER (WHERE f.type = 'other') AS other
      FROM follow_ups f
     WHERE f.created_at >= $1 AND f.created_at < $2 AND f.user_id IN (SELECT id FROM people)
     GROUP BY f.user_id
), held AS (
    SELECT l.owner_id, count(*) AS held_now
      FROM leads l
     WHERE l.owner_id IN (SELECT id FROM people)
     GROUP BY l.owner_id
)
SELECT p.id AS user_id, p.name, p.team_id,
       coalesce(s.claims, 0) AS claims, coalesce(s.self_claim, 0) AS self_claim,
       coalesce(s.capability, 0) AS capability, coalesce(s.round_robin, 0) AS round_robin,
       coalesce(s.manager_assign, 0) AS manager_assign, coalesce(s.transfer, 0) AS transfer,
       coalesce(s.intake_route, 0) AS intake_route, coalesce(s.followed_up, 0) AS followed_up,
       coalesce(s.claims_converted, 0) AS claims_converted, s.median_first_follow_up_hours,
       coalesce(e.recycled_no_first_follow_up, 0) AS recycled_no_first_follow_up,
       coalesce(e.recycled_no_contact, 0) AS recycled_no_contact,
       coalesce(e.recycled_no_progress, 0) AS recycled_no_progress,
       coalesce(e.recycled_no_deal, 0) AS recycled_no_deal,
       coalesce(e.released, 0) AS released, coalesce(e.transferred, 0) AS transferred,
       coalesce(e.conversions, 0) AS conversions, coalesce(e.closed, 0) AS closed,
       coalesce(d.follow_ups, 0) AS follow_ups, coalesce(d.call, 0) AS call, coalesce(d.visit, 0) AS visit,
       coalesce(d.wechat, 0) AS wechat, coalesce(d.email, 0) AS email, coalesce(d.sms, 0) AS sms,
       coalesce(d.meeting, 0) AS meeting, coalesce(d.other, 0) AS other,
       coalesce(h.held_now, 0) AS held_now
  FROM people p
  LEFT JOIN started s ON s.user_id = p.id
  LEFT JOIN ended e ON e.user_id = p.id
  LEFT JOIN done d ON d.user_id = p.id
  LEFT JOIN held h ON h.owner_id = p.id
 ORDER BY p.name, p.id
