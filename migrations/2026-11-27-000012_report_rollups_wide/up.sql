-- Wider rollups so each report reads a few thousand rows: per person and day (holds, with the
-- first-follow-up latencies of the holds started that day), per pool, day and shard (holds, the
-- hours leads had waited in the pool when taken, new leads by way in), each person's current
-- holdings and each pool's current backlog (64 shards, so concurrent claims rarely meet on a
-- row). Medians are taken over the stored values, so they stay exact. Same rules as 000010: kept
-- in the transaction of each fact by triggers, rebuilt from the facts by report_rebuild().

CREATE TABLE report_person_days (
    day                                  date    NOT NULL,
    user_id                              uuid    NOT NULL,
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
    first_follow_up_hours                float8[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (day, user_id)
);
CREATE INDEX report_person_days_user_idx ON report_person_days (user_id, day);

CREATE TABLE report_pool_days (
    day                                  date     NOT NULL,
    pool_id                              uuid     NOT NULL,
    shard                                smallint NOT NULL CHECK (shard BETWEEN 0 AND 7),
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
    created_intake                       integer NOT NULL DEFAULT 0,
    created_import                       integer NOT NULL DEFAULT 0,
    created_manual                       integer NOT NULL DEFAULT 0,
    pool_wait_hours                      float8[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (day, pool_id, shard)
);

CREATE TABLE report_holdings (
    user_id  uuid    PRIMARY KEY,
    held     integer NOT NULL DEFAULT 0
);

CREATE TABLE report_pool_backlog (
    pool_id  uuid     NOT NULL,
    shard    smallint NOT NULL CHECK (shard BETWEEN 0 AND 63),
    pooled   integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, shard)
);

-- A manager's or salesperson's follow-ups with their leads (conversions within 7 days).
DROP INDEX follow_ups_report_user_idx;
CREATE INDEX follow_ups_report_user_idx ON follow_ups (user_id, created_at) INCLUDE (stage_to, lead_id);

-- Follow-ups after which the lead converted within 7 days (counted when the lead converts), and
-- how many of those did not themselves advance the stage.
ALTER TABLE report_follow_up_hours
    ADD COLUMN converted_within_7_days integer NOT NULL DEFAULT 0,
    ADD COLUMN converted_not_advanced  integer NOT NULL DEFAULT 0;

-- Follow-ups per person, local day and hour (a manager's or salesperson's timing report).
CREATE TABLE report_follow_up_user_hours (
    user_id                   uuid     NOT NULL,
    day                       date     NOT NULL,
    hour                      smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    follow_ups                integer  NOT NULL DEFAULT 0,
    advanced                  integer  NOT NULL DEFAULT 0,
    converted_within_7_days   integer  NOT NULL DEFAULT 0,
    converted_not_advanced    integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, hour)
);

-- Recycle churn per pool and person reads only these columns.
CREATE INDEX report_hold_days_churn_idx ON report_hold_days (day)
    INCLUDE (pool_id, user_id, started_self_claim, started_capability, started_round_robin,
             started_manager_assign, started_transfer, started_intake_route, started_recycled);

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
INSERT INTO report_person_days AS r (day, user_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM new_rows n
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route, pool_wait_hours)
SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route'),
       coalesce(array_agg(extract(epoch FROM n.started_at - n.pooled_since) / 3600.0 ORDER BY n.started_at - n.pooled_since) FILTER (WHERE n.pooled_since IS NOT NULL), '{}')
  FROM new_rows n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route,
        pool_wait_hours = ARRAY(SELECT v FROM unnest(r.pool_wait_hours || EXCLUDED.pool_wait_hours) v ORDER BY v);
INSERT INTO report_holdings AS r (user_id, held)
SELECT n.user_id, count(*) FROM new_rows n WHERE n.ended_at IS NULL GROUP BY 1 ORDER BY 1
ON CONFLICT (user_id) DO UPDATE SET held = r.held + EXCLUDED.held;
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
WITH changed AS (
    SELECT n.*, o.ended_at IS NULL AS was_open, o.first_follow_up_at IS NULL AS had_no_follow_up
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (o.ended_at IS NULL AND n.ended_at IS NOT NULL)
        OR (o.first_follow_up_at IS NULL AND n.first_follow_up_at IS NOT NULL)
)
INSERT INTO report_person_days AS r (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, first_follow_up_hours)
SELECT day, user_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal), coalesce(array_agg(latency ORDER BY latency) FILTER (WHERE latency IS NOT NULL), '{}')
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, n.user_id, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int, NULL::float8
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0, CASE WHEN n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL THEN extract(epoch FROM n.first_follow_up_at - n.started_at) / 3600.0 END
      FROM changed n
  ) AS d (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, latency)
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
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
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal,
        first_follow_up_hours = ARRAY(SELECT v FROM unnest(r.first_follow_up_hours || EXCLUDED.first_follow_up_hours) v ORDER BY v);
WITH changed AS (
    SELECT n.*, o.ended_at IS NULL AS was_open, o.first_follow_up_at IS NULL AS had_no_follow_up
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (o.ended_at IS NULL AND n.ended_at IS NOT NULL)
        OR (o.first_follow_up_at IS NULL AND n.first_follow_up_at IS NOT NULL)
)
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, pool_id, shard, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed n
  ) AS d (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
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
INSERT INTO report_holdings AS r (user_id, held)
SELECT n.user_id, -count(*) FROM new_rows n JOIN old_rows o ON o.id = n.id
 WHERE o.ended_at IS NULL AND n.ended_at IS NOT NULL GROUP BY 1 ORDER BY 1
ON CONFLICT (user_id) DO UPDATE SET held = r.held + EXCLUDED.held;
    RETURN NULL;
END $$;

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
INSERT INTO report_follow_up_user_hours AS r (user_id, day, hour, follow_ups, advanced)
SELECT f.user_id, (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       count(*), count(*) FILTER (WHERE f.stage_to IS NOT NULL AND f.stage_to <> 'lost')
  FROM new_rows f
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (user_id, day, hour) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        advanced = r.advanced + EXCLUDED.advanced;
    RETURN NULL;
END $$;

CREATE FUNCTION report_leads_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_pool_days AS r (day, pool_id, shard, created_intake, created_import, created_manual)
SELECT (n.created_at AT TIME ZONE tz)::date, n.pool_id, (hashtext(n.id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NULL),
       count(*) FILTER (WHERE n.import_id IS NOT NULL),
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NOT NULL)
  FROM new_rows n WHERE n.pool_id IS NOT NULL
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        created_intake = r.created_intake + EXCLUDED.created_intake,
        created_import = r.created_import + EXCLUDED.created_import,
        created_manual = r.created_manual + EXCLUDED.created_manual;
INSERT INTO report_pool_backlog AS r (pool_id, shard, pooled)
SELECT pool_id, shard, sum(delta) FROM (SELECT n.pool_id, (hashtext(n.id::text) & 63)::smallint, 1 FROM new_rows n WHERE n.state = 'pooled') AS d (pool_id, shard, delta)
 GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (pool_id, shard) DO UPDATE SET pooled = r.pooled + EXCLUDED.pooled;
    RETURN NULL;
END $$;
CREATE TRIGGER report_leads_inserted AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_leads_inserted();

CREATE FUNCTION report_leads_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_follow_up_hours AS r (day, hour, shard, converted_within_7_days, converted_not_advanced)
SELECT (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       (hashtext(f.user_id::text) & 7)::smallint, count(*),
       count(*) FILTER (WHERE f.stage_to IS NULL OR f.stage_to = 'lost')
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  JOIN follow_ups f ON f.lead_id = n.id
 WHERE o.converted_at IS NULL AND n.converted_at IS NOT NULL AND f.created_at <= n.converted_at AND f.created_at >= n.converted_at - interval '7 days'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, hour, shard) DO UPDATE SET
        converted_within_7_days = r.converted_within_7_days + EXCLUDED.converted_within_7_days,
        converted_not_advanced = r.converted_not_advanced + EXCLUDED.converted_not_advanced;
INSERT INTO report_follow_up_user_hours AS r (user_id, day, hour, converted_within_7_days, converted_not_advanced)
SELECT f.user_id, (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       count(*), count(*) FILTER (WHERE f.stage_to IS NULL OR f.stage_to = 'lost')
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  JOIN follow_ups f ON f.lead_id = n.id
 WHERE o.converted_at IS NULL AND n.converted_at IS NOT NULL AND f.created_at <= n.converted_at AND f.created_at >= n.converted_at - interval '7 days'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (user_id, day, hour) DO UPDATE SET
        converted_within_7_days = r.converted_within_7_days + EXCLUDED.converted_within_7_days,
        converted_not_advanced = r.converted_not_advanced + EXCLUDED.converted_not_advanced;
INSERT INTO report_pool_backlog AS r (pool_id, shard, pooled)
SELECT pool_id, shard, sum(delta) FROM (SELECT o.pool_id, (hashtext(o.id::text) & 63)::smallint, -1 FROM old_rows o JOIN new_rows n ON n.id = o.id
     WHERE o.state = 'pooled' AND (n.state <> 'pooled' OR n.pool_id IS DISTINCT FROM o.pool_id)
    UNION ALL
    SELECT n.pool_id, (hashtext(n.id::text) & 63)::smallint, 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.state = 'pooled' AND (o.state <> 'pooled' OR n.pool_id IS DISTINCT FROM o.pool_id)) AS d (pool_id, shard, delta)
 GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (pool_id, shard) DO UPDATE SET pooled = r.pooled + EXCLUDED.pooled;
    RETURN NULL;
END $$;
CREATE TRIGGER report_leads_updated AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_leads_updated();

CREATE FUNCTION report_leads_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
INSERT INTO report_pool_backlog AS r (pool_id, shard, pooled)
SELECT pool_id, shard, sum(delta) FROM (SELECT o.pool_id, (hashtext(o.id::text) & 63)::smallint, -1 FROM old_rows o WHERE o.state = 'pooled') AS d (pool_id, shard, delta)
 GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (pool_id, shard) DO UPDATE SET pooled = r.pooled + EXCLUDED.pooled;
    RETURN NULL;
END $$;
CREATE TRIGGER report_leads_deleted AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION report_leads_deleted();

CREATE OR REPLACE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
    LOCK TABLE leads, claims, follow_ups IN SHARE MODE;
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
    DELETE FROM report_person_days;
    DELETE FROM report_pool_days;
    DELETE FROM report_holdings;
    DELETE FROM report_pool_backlog;
    DELETE FROM report_follow_up_user_hours;
INSERT INTO report_follow_up_user_hours AS r (user_id, day, hour, follow_ups, advanced)
SELECT f.user_id, (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       count(*), count(*) FILTER (WHERE f.stage_to IS NOT NULL AND f.stage_to <> 'lost')
  FROM follow_ups f
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (user_id, day, hour) DO UPDATE SET
        follow_ups = r.follow_ups + EXCLUDED.follow_ups,
        advanced = r.advanced + EXCLUDED.advanced;
INSERT INTO report_follow_up_user_hours AS r (user_id, day, hour, converted_within_7_days, converted_not_advanced)
SELECT f.user_id, (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       count(*), count(*) FILTER (WHERE f.stage_to IS NULL OR f.stage_to = 'lost')
  FROM leads n
  JOIN follow_ups f ON f.lead_id = n.id
 WHERE n.converted_at IS NOT NULL AND f.created_at <= n.converted_at AND f.created_at >= n.converted_at - interval '7 days'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (user_id, day, hour) DO UPDATE SET
        converted_within_7_days = r.converted_within_7_days + EXCLUDED.converted_within_7_days,
        converted_not_advanced = r.converted_not_advanced + EXCLUDED.converted_not_advanced;
    WITH new_rows AS (SELECT * FROM claims)
INSERT INTO report_person_days AS r (day, user_id, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route)
SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route')
  FROM new_rows n
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route;
    WITH new_rows AS (SELECT * FROM claims)
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_self_claim, started_capability, started_round_robin, started_manager_assign, started_transfer, started_intake_route, pool_wait_hours)
SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.started_how = 'self_claim'),
       count(*) FILTER (WHERE n.started_how = 'capability'),
       count(*) FILTER (WHERE n.started_how = 'round_robin'),
       count(*) FILTER (WHERE n.started_how = 'manager_assign'),
       count(*) FILTER (WHERE n.started_how = 'transfer'),
       count(*) FILTER (WHERE n.started_how = 'intake_route'),
       coalesce(array_agg(extract(epoch FROM n.started_at - n.pooled_since) / 3600.0 ORDER BY n.started_at - n.pooled_since) FILTER (WHERE n.pooled_since IS NOT NULL), '{}')
  FROM new_rows n
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        started_self_claim = r.started_self_claim + EXCLUDED.started_self_claim,
        started_capability = r.started_capability + EXCLUDED.started_capability,
        started_round_robin = r.started_round_robin + EXCLUDED.started_round_robin,
        started_manager_assign = r.started_manager_assign + EXCLUDED.started_manager_assign,
        started_transfer = r.started_transfer + EXCLUDED.started_transfer,
        started_intake_route = r.started_intake_route + EXCLUDED.started_intake_route,
        pool_wait_hours = ARRAY(SELECT v FROM unnest(r.pool_wait_hours || EXCLUDED.pool_wait_hours) v ORDER BY v);
    WITH changed AS (SELECT c.*, true AS was_open, true AS had_no_follow_up FROM claims c)
INSERT INTO report_person_days AS r (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, first_follow_up_hours)
SELECT day, user_id, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal), coalesce(array_agg(latency ORDER BY latency) FILTER (WHERE latency IS NOT NULL), '{}')
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, n.user_id, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int, NULL::float8
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, n.user_id,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0, CASE WHEN n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL THEN extract(epoch FROM n.first_follow_up_at - n.started_at) / 3600.0 END
      FROM changed n
  ) AS d (day, user_id, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal, latency)
 GROUP BY 1, 2
 ORDER BY 1, 2
ON CONFLICT (day, user_id) DO UPDATE SET
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
        ended_recycled_no_deal = r.ended_recycled_no_deal + EXCLUDED.ended_recycled_no_deal,
        first_follow_up_hours = ARRAY(SELECT v FROM unnest(r.first_follow_up_hours || EXCLUDED.first_follow_up_hours) v ORDER BY v);
    WITH changed AS (SELECT c.*, true AS was_open, true AS had_no_follow_up FROM claims c)
INSERT INTO report_pool_days AS r (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
SELECT day, pool_id, shard, sum(started_followed_up), sum(started_converted), sum(started_recycled), sum(ended_released), sum(ended_transferred), sum(ended_converted), sum(ended_closed), sum(ended_reassigned), sum(ended_recycled_no_first_follow_up), sum(ended_recycled_no_contact), sum(ended_recycled_no_progress), sum(ended_recycled_no_deal)
  FROM (
    SELECT (n.ended_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint, 0, 0, 0, (n.end_reason = 'released')::int, (n.end_reason = 'transferred')::int, (n.end_reason = 'converted')::int, (n.end_reason = 'closed')::int, (n.end_reason = 'reassigned')::int, (n.end_reason = 'recycled_no_first_follow_up')::int, (n.end_reason = 'recycled_no_contact')::int, (n.end_reason = 'recycled_no_progress')::int, (n.end_reason = 'recycled_no_deal')::int
      FROM changed n WHERE n.was_open AND n.ended_at IS NOT NULL
    UNION ALL
    SELECT (n.started_at AT TIME ZONE tz)::date, coalesce(n.pool_id, '00000000-0000-0000-0000-000000000000'::uuid), (hashtext(n.user_id::text) & 7)::smallint,
           (n.had_no_follow_up AND n.first_follow_up_at IS NOT NULL)::int,
           coalesce(n.was_open AND n.end_reason = 'converted', false)::int,
           coalesce(n.was_open AND n.end_reason LIKE 'recycled%', false)::int,
           0, 0, 0, 0, 0, 0, 0, 0, 0
      FROM changed n
  ) AS d (day, pool_id, shard, started_followed_up, started_converted, started_recycled, ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned, ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress, ended_recycled_no_deal)
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
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
    WITH new_rows AS (SELECT * FROM claims)
INSERT INTO report_holdings AS r (user_id, held)
SELECT n.user_id, count(*) FROM new_rows n WHERE n.ended_at IS NULL GROUP BY 1 ORDER BY 1
ON CONFLICT (user_id) DO UPDATE SET held = r.held + EXCLUDED.held;
    INSERT INTO report_follow_up_hours AS r (day, hour, shard, converted_within_7_days, converted_not_advanced)
SELECT (f.created_at AT TIME ZONE tz)::date, extract(hour FROM f.created_at AT TIME ZONE tz)::smallint,
       (hashtext(f.user_id::text) & 7)::smallint, count(*),
       count(*) FILTER (WHERE f.stage_to IS NULL OR f.stage_to = 'lost')
  FROM leads n
  JOIN follow_ups f ON f.lead_id = n.id
 WHERE n.converted_at IS NOT NULL AND f.created_at <= n.converted_at AND f.created_at >= n.converted_at - interval '7 days'
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, hour, shard) DO UPDATE SET
        converted_within_7_days = r.converted_within_7_days + EXCLUDED.converted_within_7_days,
        converted_not_advanced = r.converted_not_advanced + EXCLUDED.converted_not_advanced;
    WITH new_rows AS (SELECT * FROM leads)
INSERT INTO report_pool_days AS r (day, pool_id, shard, created_intake, created_import, created_manual)
SELECT (n.created_at AT TIME ZONE tz)::date, n.pool_id, (hashtext(n.id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NULL),
       count(*) FILTER (WHERE n.import_id IS NOT NULL),
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NOT NULL)
  FROM new_rows n WHERE n.pool_id IS NOT NULL
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        created_intake = r.created_intake + EXCLUDED.created_intake,
        created_import = r.created_import + EXCLUDED.created_import,
        created_manual = r.created_manual + EXCLUDED.created_manual;
    WITH new_rows AS (SELECT * FROM leads)
INSERT INTO report_pool_backlog AS r (pool_id, shard, pooled)
SELECT pool_id, shard, sum(delta) FROM (SELECT n.pool_id, (hashtext(n.id::text) & 63)::smallint, 1 FROM new_rows n WHERE n.state = 'pooled') AS d (pool_id, shard, delta)
 GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (pool_id, shard) DO UPDATE SET pooled = r.pooled + EXCLUDED.pooled;
END $$;

SELECT report_rebuild();
