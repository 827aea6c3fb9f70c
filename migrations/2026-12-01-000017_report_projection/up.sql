-- Reports come from an asynchronous projection of the facts (src/repo/reports/): the rollups are
-- written by one background projector, never inside a claim, release, follow-up, recycle, intake
-- or import transaction. The report triggers of 000010-000016 and their tables go; the facts they
-- were built from (leads, claims, follow-ups, the timeline) stay as they are.
--
-- The projector folds the timeline entries (lead_events) committed since its watermark, a
-- snapshot: each entry carries the id of the transaction that wrote it (tx), and an entry is new
-- exactly when its transaction is not visible in the watermark. Entries written before this
-- migration have no tx: the first projection (a recomputation from the facts at start-up, in
-- one snapshot, without locking the facts) already counts them.

DROP TRIGGER report_claims_inserted ON claims;
DROP TRIGGER report_claims_updated ON claims;
DROP TRIGGER report_follow_ups_inserted ON follow_ups;
DROP TRIGGER report_leads_inserted ON leads;
DROP TRIGGER report_leads_updated ON leads;
DROP TRIGGER report_leads_deleted ON leads;
DROP FUNCTION report_claims_inserted();
DROP FUNCTION report_claims_updated();
DROP FUNCTION report_follow_ups_inserted();
DROP FUNCTION report_leads_inserted();
DROP FUNCTION report_leads_updated();
DROP FUNCTION report_leads_deleted();
DROP FUNCTION report_rebuild();
DROP TABLE report_hold_days, report_follow_up_days, report_follow_up_hours, report_person_days,
           report_pool_days, report_holdings, report_pool_backlog, report_follow_up_user_hours;

-- Indexes only the old rollups' rebuild read; the projection reads the timeline instead.
DROP INDEX claims_report_ended_idx;
DROP INDEX follow_ups_report_idx;
DROP INDEX follow_ups_report_user_idx;
DROP INDEX leads_converted_idx;

-- The transaction that wrote each timeline entry (xid8: never wraps). Nullable and without a
-- default at first, so adding it rewrites nothing; the default applies to new entries.
ALTER TABLE lead_events ADD COLUMN tx xid8;
ALTER TABLE lead_events ALTER COLUMN tx SET DEFAULT pg_current_xact_id();
-- Its index is built without blocking writes, by the next migrations (000018 to 000020).

-- The projection's state: the snapshot it has folded up to (NULL until the first projection),
-- the time zone its local days are in, and when it last folded (database time).
CREATE TABLE report_projection (
    id            smallint     PRIMARY KEY CHECK (id = 1),
    watermark     pg_snapshot,
    time_zone     text         NOT NULL,
    projected_at  timestamptz,
    folded        bigint       NOT NULL DEFAULT 0
);
INSERT INTO report_projection (id, time_zone)
VALUES (1, coalesce((SELECT value #>> '{}' FROM settings WHERE key = 'report_time_zone'), 'Asia/Shanghai'));
DELETE FROM settings WHERE key = 'report_time_zone';
DROP FUNCTION report_time_zone();

-- Per local day and person: holds started (by how; of those, how many got a follow-up,
-- converted, were recycled by now), holds ended (by reason), follow-ups (by type).
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
    follow_ups                           integer NOT NULL DEFAULT 0,
    follow_ups_call                      integer NOT NULL DEFAULT 0,
    follow_ups_visit                     integer NOT NULL DEFAULT 0,
    follow_ups_wechat                    integer NOT NULL DEFAULT 0,
    follow_ups_email                     integer NOT NULL DEFAULT 0,
    follow_ups_sms                       integer NOT NULL DEFAULT 0,
    follow_ups_meeting                   integer NOT NULL DEFAULT 0,
    follow_ups_other                     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id)
);
CREATE INDEX report_person_days_user_idx ON report_person_days (user_id, day);

-- Per local day and pool (the nil UUID for holds of no pool): holds started from it, holds
-- ended by release or recycling, new leads by way in.
CREATE TABLE report_pool_days (
    day                      date    NOT NULL,
    pool_id                  uuid    NOT NULL,
    started_self_claim       integer NOT NULL DEFAULT 0,
    started_capability       integer NOT NULL DEFAULT 0,
    started_round_robin      integer NOT NULL DEFAULT 0,
    started_manager_assign   integer NOT NULL DEFAULT 0,
    ended_released           integer NOT NULL DEFAULT 0,
    ended_recycled           integer NOT NULL DEFAULT 0,
    created_intake           integer NOT NULL DEFAULT 0,
    created_import           integer NOT NULL DEFAULT 0,
    created_manual           integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, pool_id)
);

-- Per local day, person and pool: holds started, and how many of them were recycled by now
-- (who lets which pool's leads go back).
CREATE TABLE report_hold_days (
    day               date    NOT NULL,
    user_id           uuid    NOT NULL,
    pool_id           uuid    NOT NULL,
    started           integer NOT NULL DEFAULT 0,
    started_recycled  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id, pool_id)
);

-- Follow-ups per local day and hour, everyone's and per person: how many, how many advanced
-- the stage, how many were followed by the lead's conversion within 7 days (and of those, how
-- many did not advance the stage themselves).
CREATE TABLE report_follow_up_hours (
    day                      date     NOT NULL,
    hour                     smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    follow_ups               integer  NOT NULL DEFAULT 0,
    advanced                 integer  NOT NULL DEFAULT 0,
    converted_within_7_days  integer  NOT NULL DEFAULT 0,
    converted_not_advanced   integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (day, hour)
);
CREATE TABLE report_follow_up_user_hours (
    user_id                  uuid     NOT NULL,
    day                      date     NOT NULL,
    hour                     smallint NOT NULL CHECK (hour BETWEEN 0 AND 23),
    follow_ups               integer  NOT NULL DEFAULT 0,
    advanced                 integer  NOT NULL DEFAULT 0,
    converted_within_7_days  integer  NOT NULL DEFAULT 0,
    converted_not_advanced   integer  NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day, hour)
);

-- What each person holds now, and each pool's backlog now.
CREATE TABLE report_holdings (
    user_id  uuid    PRIMARY KEY,
    held     integer NOT NULL DEFAULT 0
);
CREATE TABLE report_pool_backlog (
    pool_id  uuid    PRIMARY KEY,
    pooled   integer NOT NULL DEFAULT 0
);
