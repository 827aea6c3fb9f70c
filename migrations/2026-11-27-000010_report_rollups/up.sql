-- Daily rollups of the report facts, kept exact in the transaction that records each fact
-- (statement-level triggers over the changed rows), and rebuilt from the facts by
-- report_rebuild() (at this migration, and at start-up when LEADPOOL_TIMEZONE changes). Days are
-- local days in the organisation's time zone, stored in settings ('report_time_zone').
-- Rows are per person (and pool), so concurrent transactions only meet on the same person's rows;
-- the organisation-wide follow-up hours are spread over 8 shards by person for the same reason.

CREATE FUNCTION report_time_zone() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT value #>> '{}' FROM settings WHERE key = 'report_time_zone'), 'Asia/Shanghai')
$$;

-- Holds (claim records) per local day, person and pool: started by how (on the start day);
-- of those started that day, how many got a follow-up, converted, were recycled (by now); and
-- ended by reason (on the end day). pool_id is the nil UUID for holds without a pool.
CREATE TABLE report_hold_days (
    day                                  date    NOT NULL,
    user_id                              uuid    NOT NULL,
    pool_id                              uuid    NOT NULL,
    started_self_claim                   integer NOT NULL DEFAULT 0,
    started_capability                   integer NOT NULL DEFAULT 0,
    started_round_robin                  integer NOT NULL DEFAULT 0,
    started_manager_assign               integer NOT NULL DEFAULT 0,
    started_transfer                     integer NOT NULL DEFAULT 0,
    started_intake_route                 integer NOT NULL DEFAULT 0,
    started_followed_up                  integer NOT NULL DEFAULT 0,
    started_converted                    integer NOT NULL DEFAULT 0,
    started_recycled                     integer NOT NULL DEFAULT 0,
    ended_released                       integer NOT NULL DEFAULT 0,
    ended_transferred                    integer NOT NULL DEFAULT 0,
    ended_converted                      integer NOT NULL DEFAULT 0,
    ended_closed                         integer NOT NULL DEFAULT 0,
    ended_reassigned                     integer NOT NULL DEFAULT 0,
    ended_recycled_no_first_follow_up    integer NOT NULL DEFAULT 0,
    ended_recycled_no_contact            integer NOT NULL DEFAULT 0,
    ended_recycled_no_progress           integer NOT NULL DEFAULT 0,
    ended_recycled_no_deal               integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id, pool_id)
);
CREATE INDEX report_hold_days_user_idx ON report_hold_days (user_id, day);

-- Follow-ups per local day and person, by type.
CREATE TABLE report_follow_up_days (
    day                                  date    NOT NULL,
    user_id                              uuid    NOT NULL,
    follow_ups                           integer NOT NULL DEFAULT 0,
    call                                 integer NOT NULL DEFAULT 0,
    visit                                integer NOT NULL DEFAULT 0,
    wechat                               integer NOT NULL DEFAULT 0,
    email                                integer NOT NULL DEFAULT 0,
    sms                                  integer NOT NULL DEFAULT 0,
    meeting                              integer NOT NULL DEFAULT 0,
    other                                integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX report_follow_up_days_user_idx ON report_follow_up_days (user_id, day);

-- Follow-ups of everyone per local day and hour (8 shards by person), and how many advanced the
-- stage.
CREATE TABLE report_follow_up_hours (
    day                                  date     NOT NULL,
    hour                                 smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    shard                                smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
    follow_ups                           integer NOT NULL DEFAULT 0,
    advanced                             integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour, shard)
);

CREATE FUNCTION report_claims_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER report_claims_inserted AFTER INSERT ON claims
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_claims_inserted();

CREATE FUNCTION report_claims_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER report_claims_updated AFTER UPDATE ON claims
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_claims_updated();

CREATE FUNCTION report_follow_ups_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER report_follow_ups_inserted AFTER INSERT ON follow_ups
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_follow_ups_inserted();

-- Recomputes every rollup from the facts, in the current time zone. Writers of the facts wait
-- until it commits, so nothing is counted twice or missed.
CREATE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
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

SELECT report_rebuild();
