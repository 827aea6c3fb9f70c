DROP TRIGGER report_leads_deleted ON leads;
DROP TRIGGER report_leads_updated ON leads;
DROP TRIGGER report_leads_inserted ON leads;
DROP FUNCTION report_leads_deleted();
DROP FUNCTION report_leads_updated();
DROP FUNCTION report_leads_inserted();
-- Back to 000010's trigger functions.
CREATE OR REPLACE FUNCTION report_claims_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM new_rows n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION report_claims_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
WITH changed AS (
    SELECT n.*, o.ended_at IS NULL AS was_open, o.first_follow_up_at IS NULL AS had_no_follow_up
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (o.ended_at IS NULL AND n.ended_at IS NOT NULL)
        OR (o.first_follow_up_at IS NULL AND n.first_follow_up_at IS NOT NULL)
)
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, user_id, pool_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (c.ended_at AT TIME ZONE tz)::date AS day, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid) AS pool_id,
           0, 0, 0, (c.end_reason = 'released')::int, (c.end_reason = 'transferred')::int, (c.end_reason = 'converted')::int, (c.end_reason = 'closed')::int, (c.end_reason = 'reassigned')::int, (c.end_reason = 'recycled_no_first_follow_up')::int, (c.end_reason = 'recycled_no_contact')::int, (c.end_reason = 'recycled_no_progress')::int, (c.end_reason = 'recycled_no_deal')::int
      FROM changed c WHERE c.was_open AND c.ended_at IS NOT NULL
    UNION ALL
    SELECT (c.started_at AT TIME ZONE tz)::date, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
           (c.had_no_follow_up AND c.first_follow_up_at IS NOT NULL)::int,
           coalesce(c.was_open AND c.end_reason = 'converted', false)::int,
           coalesce(c.was_open AND c.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed c
  ) AS d (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_followed_up = r.started_followed_up + EXCLUDED.started_followed_up,
        started_converted = r.started_converted + EXCLUDED.started_converted,
        started_recycled = r.started_recycled + EXCLUDED.started_recycled,
        ended_released = r.ended_released + EXCLUDED.ended_released,
        ended_transferred = r.ended_transferred + EXCLUDED.ended_transferred,
        ended_converted = r.ended_converted + EXCLUDED.ended_converted,
        ended_closed = r.ended_closed + EXCLUDED.ended_closed,
        ended_reassigned = r.ended_reassigned + EXCLUDED.ended_reassigned,
        ended_recycled_no_first_follow_up = r.ended_recycled_no_first_follow_up + EXCLUDED.ended_recycled_no_first_follow_up,
        ended_recycled_no_contact = r.ended_recycled_no_contact + EXCLUDED.ended_recycled_no_contact,
        ended_recycled_no_progress = r.ended_recycled_no_progress + EXCLUDED.ended_recycled_no_progress,
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
    LOCK TABLE claims, follow_ups IN SHARE MODE;
    DELETE FROM report_hold_days;
    DELETE FROM report_follow_up_days;
    DELETE FROM report_follow_up_hours;
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM claims n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
    WITH changed AS (
        SELECT c.*, true AS was_open, true AS had_no_follow_up FROM claims c
    )
INSERT INTO report_hold_days AS r (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, user_id, pool_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (c.ended_at AT TIME ZONE tz)::date AS day, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid) AS pool_id,
           0, 0, 0, (c.end_reason = 'released')::int, (c.end_reason = 'transferred')::int, (c.end_reason = 'converted')::int, (c.end_reason = 'closed')::int, (c.end_reason = 'reassigned')::int, (c.end_reason = 'recycled_no_first_follow_up')::int, (c.end_reason = 'recycled_no_contact')::int, (c.end_reason = 'recycled_no_progress')::int, (c.end_reason = 'recycled_no_deal')::int
      FROM changed c WHERE c.was_open AND c.ended_at IS NOT NULL
    UNION ALL
    SELECT (c.started_at AT TIME ZONE tz)::date, c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid),
           (c.had_no_follow_up AND c.first_follow_up_at IS NOT NULL)::int,
           coalesce(c.was_open AND c.end_reason = 'converted', false)::int,
           coalesce(c.was_open AND c.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed c
  ) AS d (day, user_id, pool_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, user_id, pool_id) DO UPDATE SET
        started_followed_up = r.started_followed_up + EXCLUDED.started_followed_up,
        started_converted = r.started_converted + EXCLUDED.started_converted,
        started_recycled = r.started_recycled + EXCLUDED.started_recycled,
        ended_released = r.ended_released + EXCLUDED.ended_released,
        ended_transferred = r.ended_transferred + EXCLUDED.ended_transferred,
        ended_converted = r.ended_converted + EXCLUDED.ended_converted,
        ended_closed = r.ended_closed + EXCLUDED.ended_closed,
        ended_reassigned = r.ended_reassigned + EXCLUDED.ended_reassigned,
        ended_recycled_no_first_follow_up = r.ended_recycled_no_first_follow_up + EXCLUDED.ended_recycled_no_first_follow_up,
        ended_recycled_no_contact = r.ended_recycled_no_contact + EXCLUDED.ended_recycled_no_contact,
        ended_recycled_no_progress = r.ended_recycled_no_progress + EXCLUDED.ended_recycled_no_progress,
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal;
INSERT INTO report_follow_up_days AS r (day, user_id, follow_ups, call, visit, wechat, email, sms, meeting, other)
SELECT (f.created_at AT TIME ZONE tz)::date, f.user_id, count(*),
       count(*) FILTER (WHERE f.type = 'call'),
       count(*) FILTER (WHERE f.type = 'visit'),
       count(*) FILTER (WHERE f.type = 'wechat'),
       count(*) FILTER (WHERE f.type = 'email'),
       count(*) FILTER (WHERE f.type = 'sms'),
       count(*) FILTER (WHERE f.type = 'meeting'),
       count(*) FILTER (WHERE f.type = 'other')
  FROM follow_ups f
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        call = r.call + EXCLUDED.call,
        visit = r.visit + EXCLUDED.visit,
        wechat = r.wechat + EXCLUDED.wechat,
        email = r.email + EXCLUDED.email,
        sms = r.sms + EXCLUDED.sms,
        meeting = r.meeting + EXCLUDED.meeting,
        other = r.other + EXCLUDED.other;
INSERT INTO report_follow_up_hours AS r (day, hour, shard, follow_ups, advanced)
SELECT (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       (hashtext(f.user_id::text) & 7)::smallint, count(*),
       count(*) FILTER (WHERE f.stage_to IS NOT NULL AND f.stage_to <> 'lost')
  FROM follow_ups f
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, hour, shard) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        advanced = r.advanced + EXCLUDED.advanced;
END $$;
ALTER TABLE report_follow_up_hours DROP COLUMN converted_within_7_days, DROP COLUMN converted_not_advanced;
DROP INDEX follow_ups_report_user_idx;
CREATE INDEX follow_ups_report_user_idx ON follow_ups (user_id, created_at) INCLUDE (stage_to);
CREATE OR REPLACE FUNCTION report_follow_ups_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_follow_up_days AS r (day, user_id, follow_ups, call, visit, wechat, email, sms, meeting, other)
SELECT (f.created_at AT TIME ZONE tz)::date, f.user_id, count(*),
       count(*) FILTER (WHERE f.type = 'call'),
       count(*) FILTER (WHERE f.type = 'visit'),
       count(*) FILTER (WHERE f.type = 'wechat'),
       count(*) FILTER (WHERE f.type = 'email'),
       count(*) FILTER (WHERE f.type = 'sms'),
       count(*) FILTER (WHERE f.type = 'meeting'),
       count(*) FILTER (WHERE f.type = 'other')
  FROM new_rows f
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        call = r.call + EXCLUDED.call,
        visit = r.visit + EXCLUDED.visit,
        wechat = r.wechat + EXCLUDED.wechat,
        email = r.email + EXCLUDED.email,
        sms = r.sms + EXCLUDED.sms,
        meeting = r.meeting + EXCLUDED.meeting,
        other = r.other + EXCLUDED.other;
INSERT INTO report_follow_up_hours AS r (day, hour, shard, follow_ups, advanced)
SELECT (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       (hashtext(f.user_id::text) & 7)::smallint, count(*),
       count(*) FILTER (WHERE f.stage_to IS NOT NULL AND f.stage_to <> 'lost')
  FROM new_rows f
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, hour, shard) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        advanced = r.advanced + EXCLUDED.advanced;
    RETURN NULL;
END $$;
DROP INDEX report_hold_days_churn_idx;
DROP TABLE report_follow_up_user_hours;
DROP TABLE report_pool_backlog;
DROP TABLE report_holdings;
DROP TABLE report_pool_days;
DROP TABLE report_person_days;
