-- The projection recomputed from the facts: every rollup from the leads, claim records,
-- follow-ups and creation entries its snapshot sees. Run in one repeatable-read transaction that
-- holds the projection's row and then sets the watermark to that snapshot, so the projector goes
-- on from exactly there. Writers are never blocked (no lock on the facts). Local days are in the
-- projection's time zone (set just before).
DELETE FROM report_person_days;
DELETE FROM report_pool_days;
DELETE FROM report_hold_days;
DELETE FROM report_follow_up_user_hours;
DELETE FROM report_follow_up_hours;
DELETE FROM report_holdings;
DELETE FROM report_pool_backlog;

INSERT INTO report_person_days
SELECT day, user_id,
       sum(started_self_claim), sum(started_capability), sum(started_round_robin), sum(started_manager_assign),
       sum(started_transfer), sum(started_intake_route), sum(started_followed_up), sum(started_converted),
       sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed),
       sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact),
       sum(ended_recycled_no_progress), sum(ended_recycled_no_deal), sum(follow_ups), sum(follow_ups_call),
       sum(follow_ups_visit), sum(follow_ups_wechat), sum(follow_ups_email), sum(follow_ups_sms),
       sum(follow_ups_meeting), sum(follow_ups_other)
  FROM (
    SELECT (c.started_at AT TIME ZONE p.time_zone)::date, c.user_id,
           (c.started_how = 'self_claim')::int, (c.started_how = 'capability')::int,
           (c.started_how = 'round_robin')::int, (c.started_how = 'manager_assign')::int,
           (c.started_how = 'transfer')::int, (c.started_how = 'intake_route')::int,
           (c.first_follow_up_at IS NOT NULL)::int, coalesce(c.end_reason = 'converted', false)::int,
           coalesce(c.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM claims c, report_projection p
    UNION ALL
    SELECT (c.ended_at AT TIME ZONE p.time_zone)::date, c.user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           (c.end_reason = 'released')::int, (c.end_reason = 'transferred')::int,
           (c.end_reason = 'converted')::int, (c.end_reason = 'closed')::int, (c.end_reason = 'reassigned')::int,
           (c.end_reason = 'recycled_no_first_follow_up')::int, (c.end_reason = 'recycled_no_contact')::int,
           (c.end_reason = 'recycled_no_progress')::int, (c.end_reason = 'recycled_no_deal')::int,
           0, 0, 0, 0, 0, 0, 0, 0
      FROM claims c, report_projection p
     WHERE c.ended_at IS NOT NULL
    UNION ALL
    SELECT (f.created_at AT TIME ZONE p.time_zone)::date, f.user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
           0, 0, 0, 0, 0, 1, (f.type = 'call')::int, (f.type = 'visit')::int, (f.type = 'wechat')::int,
           (f.type = 'email')::int, (f.type = 'sms')::int, (f.type = 'meeting')::int, (f.type = 'other')::int
      FROM follow_ups f, report_projection p
  ) AS d (day, user_id, started_self_claim, started_capability, started_round_robin, started_manager_assign,
          started_transfer, started_intake_route, started_followed_up, started_converted, started_recycled,
          ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned,
          ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress,
          ended_recycled_no_deal, follow_ups, follow_ups_call, follow_ups_visit, follow_ups_wechat,
          follow_ups_email, follow_ups_sms, follow_ups_meeting, follow_ups_other)
 GROUP BY day, user_id;

-- New leads count in the pool their creation entry names (a later release may move them);
-- leads written without one (by hand) in the pool they are in.
INSERT INTO report_pool_days
SELECT day, pool_id, sum(started_self_claim), sum(started_capability), sum(started_round_robin),
       sum(started_manager_assign), sum(ended_released), sum(ended_recycled), sum(created_intake),
       sum(created_import), sum(created_manual)
  FROM (
    SELECT (c.started_at AT TIME ZONE p.time_zone)::date,
           coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
           (c.started_how = 'self_claim')::int, (c.started_how = 'capability')::int,
           (c.started_how = 'round_robin')::int, (c.started_how = 'manager_assign')::int, 0, 0, 0, 0, 0
      FROM claims c, report_projection p
     WHERE c.started_how IN ('self_claim', 'capability', 'round_robin', 'manager_assign')
    UNION ALL
    SELECT (c.ended_at AT TIME ZONE p.time_zone)::date,
           coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
           0, 0, 0, 0, (c.end_reason = 'released')::int, (c.end_reason LIKE 'recycled%')::int, 0, 0, 0
      FROM claims c, report_projection p
     WHERE c.end_reason = 'released' OR c.end_reason LIKE 'recycled%'
    UNION ALL
    SELECT (l.created_at AT TIME ZONE p.time_zone)::date, coalesce(ce.pool_id, l.pool_id), 0, 0, 0, 0, 0, 0,
           (l.import_id IS NULL AND l.created_by IS NULL)::int, (l.import_id IS NOT NULL)::int,
           (l.import_id IS NULL AND l.created_by IS NOT NULL)::int
      FROM leads l
      LEFT JOIN LATERAL (SELECT (e.details ->> 'pool_id')::uuid AS pool_id FROM lead_events e
                          WHERE e.lead_id = l.id AND e.kind = 'created' ORDER BY e.id LIMIT 1) ce ON true,
           report_projection p
     WHERE coalesce(ce.pool_id, l.pool_id) IS NOT NULL
  ) AS d (day, pool_id, started_self_claim, started_capability, started_round_robin, started_manager_assign,
          ended_released, ended_recycled, created_intake, created_import, created_manual)
 GROUP BY day, pool_id;

INSERT INTO report_hold_days
SELECT (c.started_at AT TIME ZONE p.time_zone)::date, c.user_id,
       coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(*), count(*) FILTER (WHERE c.end_reason LIKE 'recycled%')
  FROM claims c, report_projection p
 GROUP BY 1, 2, 3;

INSERT INTO report_follow_up_user_hours
SELECT user_id, day, hour, sum(follow_ups), sum(advanced), sum(converted_within_7_days), sum(converted_not_advanced)
  FROM (
    SELECT f.user_id, (f.created_at AT TIME ZONE p.time_zone)::date,
           extract(hour FROM f.created_at AT TIME ZONE p.time_zone)::smallint,
           1, (f.stage_to IS NOT NULL AND f.stage_to <> 'lost')::int, 0, 0
      FROM follow_ups f, report_projection p
    UNION ALL
    SELECT f.user_id, (f.created_at AT TIME ZONE p.time_zone)::date,
           extract(hour FROM f.created_at AT TIME ZONE p.time_zone)::smallint,
           0, 0, 1, (f.stage_to IS NULL OR f.stage_to = 'lost')::int
      FROM leads l
      JOIN follow_ups f ON f.lead_id = l.id AND f.created_at <= l.converted_at
                       AND f.created_at >= l.converted_at - interval '7 days',
           report_projection p
     WHERE l.converted_at IS NOT NULL
  ) AS d (user_id, day, hour, follow_ups, advanced, converted_within_7_days, converted_not_advanced)
 GROUP BY user_id, day, hour;

INSERT INTO report_follow_up_hours
SELECT day, hour, sum(follow_ups), sum(advanced), sum(converted_within_7_days), sum(converted_not_advanced)
  FROM report_follow_up_user_hours
 GROUP BY day, hour;

INSERT INTO report_holdings
SELECT user_id, count(*) FROM claims WHERE ended_at IS NULL GROUP BY user_id;

INSERT INTO report_pool_backlog
SELECT pool_id, count(*) FROM leads WHERE state = 'pooled' GROUP BY pool_id;
