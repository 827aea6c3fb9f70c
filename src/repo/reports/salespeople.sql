-- Per person of $3 (all non-admins when NULL), optionally of team $4 and the teams below it, over the local days $5 to
-- $6 (the instants [$1, $2) are the medians'): the rollups plus the fold of what was committed
-- since the projection's watermark (fold.sql: holds and their first follow-ups, follow-ups, what
-- each holds now).
WITH {fold},
people AS (
    SELECT u.id, u.name, u.team_id
      FROM users u
     WHERE u.role <> 'admin'
       AND ($3::uuid[] IS NULL OR u.id = ANY($3))
       AND ($4::uuid IS NULL OR u.team_id IN (SELECT team_id FROM team_tree WHERE ancestor_id = $4))
), days AS (
    SELECT * FROM report_person_days d
     WHERE d.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR d.user_id = ANY($3))
    UNION ALL
    SELECT * FROM fold_person_days d
     WHERE d.day BETWEEN $5 AND $6 AND ($3::uuid[] IS NULL OR d.user_id = ANY($3))
), per AS (
    SELECT d.user_id,
           sum(d.started_self_claim) AS self_claim,
           sum(d.started_capability) AS capability,
           sum(d.started_round_robin) AS round_robin,
           sum(d.started_manager_assign) AS manager_assign,
           sum(d.started_transfer) AS transfer,
           sum(d.started_intake_route) AS intake_route,
           sum(d.started_followed_up) AS followed_up,
           sum(d.started_converted) AS claims_converted,
           sum(d.ended_recycled_no_first_follow_up) AS recycled_no_first_follow_up,
           sum(d.ended_recycled_no_contact) AS recycled_no_contact,
           sum(d.ended_recycled_no_progress) AS recycled_no_progress,
           sum(d.ended_recycled_no_deal) AS recycled_no_deal,
           sum(d.ended_released) AS released,
           sum(d.ended_transferred) AS transferred,
           sum(d.ended_converted) AS conversions,
           sum(d.ended_closed) AS closed,
           sum(d.follow_ups) AS follow_ups, sum(d.follow_ups_call) AS call,
           sum(d.follow_ups_visit) AS visit, sum(d.follow_ups_wechat) AS wechat,
           sum(d.follow_ups_email) AS email, sum(d.follow_ups_sms) AS sms,
           sum(d.follow_ups_meeting) AS meeting, sum(d.follow_ups_other) AS other
      FROM days d
     GROUP BY d.user_id
), held AS (
    SELECT h.user_id, sum(h.held) AS held_now
      FROM (SELECT user_id, held FROM report_holdings UNION ALL SELECT user_id, held FROM fold_holdings) h
     WHERE $3::uuid[] IS NULL OR h.user_id = ANY($3)
     GROUP BY h.user_id
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
       coalesce(h.follow_ups, 0)::int8 AS follow_ups, coalesce(h.call, 0)::int8 AS call,
       coalesce(h.visit, 0)::int8 AS visit, coalesce(h.wechat, 0)::int8 AS wechat,
       coalesce(h.email, 0)::int8 AS email, coalesce(h.sms, 0)::int8 AS sms,
       coalesce(h.meeting, 0)::int8 AS meeting, coalesce(h.other, 0)::int8 AS other,
       coalesce(hn.held_now, 0)::int8 AS held_now,
       m.median AS median_first_follow_up_hours
  FROM people p
  LEFT JOIN per h ON h.user_id = p.id
  LEFT JOIN held hn ON hn.user_id = p.id
  LEFT JOIN LATERAL (
        -- Exact: over every hold of the person started in the period that has a first
        -- follow-up (an index-only range scan of the person's holds).
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.first_follow_up_at - c.started_at) / 3600.0) AS median
          FROM claims c
         WHERE c.user_id = p.id AND c.started_at >= $1 AND c.started_at < $2 AND c.first_follow_up_at IS NOT NULL
       ) m ON true
 ORDER BY p.name, p.id
