-- Per person of $3 (all non-admins when NULL), optionally of team $4, over the local days $5 to
-- $6 (the instants [$1, $2)), from the rollups: holds and the first-follow-up latencies of those
-- started each day, follow-ups, current holdings.
WITH people AS (
    SELECT u.id, u.name, u.team_id
      FROM users u
     WHERE u.role <> 'admin'
       AND ($3::uuid[] IS NULL OR u.id = ANY($3))
       AND ($4::uuid IS NULL OR u.team_id = $4)
), holds AS (
    SELECT h.user_id,
           sum(h.started_self_claim) AS self_claim,
           sum(h.started_capability) AS capability,
           sum(h.started_round_robin) AS round_robin,
           sum(h.started_manager_assign) AS manager_assign,
           sum(h.started_transfer) AS transfer,
           sum(h.started_intake_route) AS intake_route,
           sum(h.started_followed_up) AS followed_up,
           sum(h.started_converted) AS claims_converted,
           sum(h.ended_recycled_no_first_follow_up) AS recycled_no_first_follow_up,
           sum(h.ended_recycled_no_contact) AS recycled_no_contact,
           sum(h.ended_recycled_no_progress) AS recycled_no_progress,
           sum(h.ended_recycled_no_deal) AS recycled_no_deal,
           sum(h.ended_released) AS released,
           sum(h.ended_transferred) AS transferred,
           sum(h.ended_converted) AS conversions,
           sum(h.ended_closed) AS closed
      FROM report_person_days h
     WHERE h.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR h.user_id = ANY($3))
     GROUP BY h.user_id
), done AS (
    SELECT d.user_id, sum(d.follow_ups) AS follow_ups, sum(d.call) AS call, sum(d.visit) AS visit,
           sum(d.wechat) AS wechat, sum(d.email) AS email, sum(d.sms) AS sms, sum(d.meeting) AS meeting,
           sum(d.other) AS other
      FROM report_follow_up_days d
     WHERE d.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR d.user_id = ANY($3))
     GROUP BY d.user_id
), held AS (
    SELECT h.user_id AS owner_id, h.held AS held_now
      FROM report_holdings h
     WHERE $3::uuid[] IS NULL OR h.user_id = ANY($3)
)
SELECT p.id AS user_id, p.name, p.team_id,
       coalesce(h.self_claim + h.capability + h.round_robin + h.manager_assign + h.transfer + h.intake_route, 0)::int8 AS claims,
       coalesce(h.self_claim, 0)::int8 AS self_claim, coalesce(h.capability, 0)::int8 AS capability,
       coalesce(h.round_robin, 0)::int8 AS round_robin, coalesce(h.manager_assign, 0)::int8 AS manager_assign,
       coalesce(h.transfer, 0)::int8 AS transfer, coalesce(h.intake_route, 0)::int8 AS intake_route,
       coalesce(h.followed_up, 0)::int8 AS followed_up, coalesce(h.claims_converted, 0)::int8 AS claims_converted,
       coalesce(h.recycled_no_first_follow_up, 0)::int8 AS recycled_no_first_follow_up,
       coalesce(h.recycled_no_contact, 0)::int8 AS recycled_no_contact,
       coalesce(h.recycled_no_progress, 0)::int8 AS recycled_no_progress,
       coalesce(h.recycled_no_deal, 0)::int8 AS recycled_no_deal,
       coalesce(h.released, 0)::int8 AS released, coalesce(h.transferred, 0)::int8 AS transferred,
       coalesce(h.conversions, 0)::int8 AS conversions, coalesce(h.closed, 0)::int8 AS closed,
       coalesce(d.follow_ups, 0)::int8 AS follow_ups, coalesce(d.call, 0)::int8 AS call,
       coalesce(d.visit, 0)::int8 AS visit, coalesce(d.wechat, 0)::int8 AS wechat,
       coalesce(d.email, 0)::int8 AS email, coalesce(d.sms, 0)::int8 AS sms,
       coalesce(d.meeting, 0)::int8 AS meeting, coalesce(d.other, 0)::int8 AS other,
       coalesce(hn.held_now, 0)::int8 AS held_now
  FROM people p
  LEFT JOIN holds h ON h.user_id = p.id
  LEFT JOIN done d ON d.user_id = p.id
  LEFT JOIN held hn ON hn.owner_id = p.id
 ORDER BY p.name, p.id
