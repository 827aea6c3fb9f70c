-- The fold: what the timeline entries committed since the projection's watermark add to each
-- rollup. These are the definitions of a WITH clause (no leading WITH): the projector adds them
-- to the rollups and moves the watermark; every report query adds them to what it reads from the
-- rollups, so that an answer counts every fact its snapshot sees, however far the projector is
-- behind. Only the CTEs a statement references are computed.
--
-- An entry is new when its transaction (tx) is not visible in the watermark, a snapshot; every
-- such transaction has an id at least the watermark's xmin, which bounds the index scan. The
-- entries point at facts that do not change once written (a hold's start, its end, a follow-up,
-- a lead's creation), so folding them later gives what folding them at once would have.
proj AS (
    SELECT watermark, time_zone AS tz FROM report_projection WHERE id = 1
), ev AS MATERIALIZED (
    SELECT e.kind, e.lead_id, e.details
      FROM lead_events e, proj
     WHERE e.tx >= pg_snapshot_xmin(proj.watermark) AND NOT pg_visible_in_snapshot(e.tx, proj.watermark)
       AND e.kind IN ('created', 'claimed', 'transferred', 'claim_ended', 'follow_up', 'closed')
), started AS MATERIALIZED (
    -- Holds that started: a claim, an assignment or hand-out (claimed), a transfer's new hold.
    SELECT c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid) AS pool_id,
           c.started_how, (c.started_at AT TIME ZONE proj.tz)::date AS day
      FROM ev JOIN claims c ON c.id = (ev.details ->> 'claim_id')::uuid, proj
     WHERE ev.kind IN ('claimed', 'transferred')
), ended AS MATERIALIZED (
    -- Holds that ended, and where the lead went (to_state, to_pool_id; a transfer names neither).
    SELECT c.user_id, coalesce(c.pool_id, '00000000-0000-0000-0000-000000000000'::uuid) AS pool_id,
           c.end_reason, c.lead_id, c.ended_at,
           (c.ended_at AT TIME ZONE proj.tz)::date AS day, (c.started_at AT TIME ZONE proj.tz)::date AS start_day,
           ev.details ->> 'to_state' AS to_state, (ev.details ->> 'to_pool_id')::uuid AS to_pool_id
      FROM ev
      JOIN claims c ON c.id = (CASE ev.kind WHEN 'transferred' THEN ev.details ->> 'ended_claim_id'
                                            ELSE ev.details ->> 'claim_id' END)::uuid, proj
     WHERE ev.kind IN ('claim_ended', 'transferred') AND c.ended_at IS NOT NULL
), recorded AS MATERIALIZED (
    -- Follow-ups recorded.
    SELECT f.id, f.lead_id, f.claim_id, f.user_id, f.type, f.stage_to, f.created_at,
           (f.created_at AT TIME ZONE proj.tz)::date AS day,
           extract(hour FROM f.created_at AT TIME ZONE proj.tz)::smallint AS hour
      FROM ev JOIN follow_ups f ON f.id = (ev.details ->> 'follow_up_id')::uuid, proj
     WHERE ev.kind = 'follow_up'
), first_follow_ups AS (
    -- The first follow-up of a hold (the earliest of its follow-ups, the lowest id on a tie):
    -- the hold counts as followed up, on its start day.
    SELECT c.user_id, (c.started_at AT TIME ZONE proj.tz)::date AS day
      FROM recorded f JOIN claims c ON c.id = f.claim_id, proj
     WHERE NOT EXISTS (SELECT 1 FROM follow_ups o
                        WHERE o.lead_id = f.lead_id AND o.claim_id = f.claim_id
                          AND (o.created_at, o.id) < (f.created_at, f.id))
), converted AS (
    -- A lead's conversion (the first: when it was recorded as the lead's converted_at): each
    -- follow-up of the lead in the 7 days up to it counts as followed by a conversion.
    SELECT f.user_id, (f.created_at AT TIME ZONE proj.tz)::date AS day,
           extract(hour FROM f.created_at AT TIME ZONE proj.tz)::smallint AS hour,
           (f.stage_to IS NULL OR f.stage_to = 'lost') AS not_advanced
      FROM ended e
      JOIN leads l ON l.id = e.lead_id AND l.converted_at = e.ended_at
      JOIN follow_ups f ON f.lead_id = l.id AND f.created_at <= l.converted_at
                       AND f.created_at >= l.converted_at - interval '7 days', proj
     WHERE e.end_reason = 'converted'
), created AS (
    -- New leads, in the pool they were created in, by way in.
    SELECT (ev.details ->> 'pool_id')::uuid AS pool_id, (l.created_at AT TIME ZONE proj.tz)::date AS day,
           l.import_id IS NULL AND l.created_by IS NULL AS intake, l.import_id IS NOT NULL AS import,
           l.import_id IS NULL AND l.created_by IS NOT NULL AS manual
      FROM ev JOIN leads l ON l.id = ev.lead_id, proj
     WHERE ev.kind = 'created' AND ev.details ->> 'pool_id' IS NOT NULL
), fold_person_days AS (
    SELECT day, user_id,
           sum(started_self_claim)::int AS started_self_claim, sum(started_capability)::int AS started_capability,
           sum(started_round_robin)::int AS started_round_robin, sum(started_manager_assign)::int AS started_manager_assign,
           sum(started_transfer)::int AS started_transfer, sum(started_intake_route)::int AS started_intake_route,
           sum(started_followed_up)::int AS started_followed_up, sum(started_converted)::int AS started_converted,
           sum(started_recycled)::int AS started_recycled,
           sum(ended_released)::int AS ended_released, sum(ended_transferred)::int AS ended_transferred,
           sum(ended_converted)::int AS ended_converted, sum(ended_closed)::int AS ended_closed,
           sum(ended_reassigned)::int AS ended_reassigned,
           sum(ended_recycled_no_first_follow_up)::int AS ended_recycled_no_first_follow_up,
           sum(ended_recycled_no_contact)::int AS ended_recycled_no_contact,
           sum(ended_recycled_no_progress)::int AS ended_recycled_no_progress,
           sum(ended_recycled_no_deal)::int AS ended_recycled_no_deal,
           sum(follow_ups)::int AS follow_ups, sum(follow_ups_call)::int AS follow_ups_call,
           sum(follow_ups_visit)::int AS follow_ups_visit, sum(follow_ups_wechat)::int AS follow_ups_wechat,
           sum(follow_ups_email)::int AS follow_ups_email, sum(follow_ups_sms)::int AS follow_ups_sms,
           sum(follow_ups_meeting)::int AS follow_ups_meeting, sum(follow_ups_other)::int AS follow_ups_other
      FROM (
        SELECT day, user_id,
               (started_how = 'self_claim')::int, (started_how = 'capability')::int,
               (started_how = 'round_robin')::int, (started_how = 'manager_assign')::int,
               (started_how = 'transfer')::int, (started_how = 'intake_route')::int,
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
          FROM started
        UNION ALL
        SELECT day, user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               (end_reason = 'released')::int, (end_reason = 'transferred')::int,
               (end_reason = 'converted')::int, (end_reason = 'closed')::int, (end_reason = 'reassigned')::int,
               (end_reason = 'recycled_no_first_follow_up')::int, (end_reason = 'recycled_no_contact')::int,
               (end_reason = 'recycled_no_progress')::int, (end_reason = 'recycled_no_deal')::int,
               0, 0, 0, 0, 0, 0, 0, 0
          FROM ended
        UNION ALL
        SELECT start_day, user_id, 0, 0, 0, 0, 0, 0, 0,
               (end_reason = 'converted')::int, (end_reason LIKE 'recycled%')::int,
               0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
          FROM ended WHERE end_reason = 'converted' OR end_reason LIKE 'recycled%'
        UNION ALL
        SELECT day, user_id, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
          FROM first_follow_ups
        UNION ALL
        SELECT day, user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
               (type = 'call')::int, (type = 'visit')::int, (type = 'wechat')::int, (type = 'email')::int,
               (type = 'sms')::int, (type = 'meeting')::int, (type = 'other')::int
          FROM recorded
      ) AS d (day, user_id, started_self_claim, started_capability, started_round_robin, started_manager_assign,
              started_transfer, started_intake_route, started_followed_up, started_converted, started_recycled,
              ended_released, ended_transferred, ended_converted, ended_closed, ended_reassigned,
              ended_recycled_no_first_follow_up, ended_recycled_no_contact, ended_recycled_no_progress,
              ended_recycled_no_deal, follow_ups, follow_ups_call, follow_ups_visit, follow_ups_wechat,
              follow_ups_email, follow_ups_sms, follow_ups_meeting, follow_ups_other)
     GROUP BY day, user_id
), fold_pool_days AS (
    SELECT day, pool_id,
           sum(started_self_claim)::int AS started_self_claim, sum(started_capability)::int AS started_capability,
           sum(started_round_robin)::int AS started_round_robin, sum(started_manager_assign)::int AS started_manager_assign,
           sum(ended_released)::int AS ended_released, sum(ended_recycled)::int AS ended_recycled,
           sum(created_intake)::int AS created_intake, sum(created_import)::int AS created_import,
           sum(created_manual)::int AS created_manual
      FROM (
        SELECT day, pool_id, (started_how = 'self_claim')::int, (started_how = 'capability')::int,
               (started_how = 'round_robin')::int, (started_how = 'manager_assign')::int, 0, 0, 0, 0, 0
          FROM started WHERE started_how IN ('self_claim', 'capability', 'round_robin', 'manager_assign')
        UNION ALL
        SELECT day, pool_id, 0, 0, 0, 0, (end_reason = 'released')::int, (end_reason LIKE 'recycled%')::int, 0, 0, 0
          FROM ended WHERE end_reason = 'released' OR end_reason LIKE 'recycled%'
        UNION ALL
        SELECT day, pool_id, 0, 0, 0, 0, 0, 0, intake::int, import::int, manual::int
          FROM created
      ) AS d (day, pool_id, started_self_claim, started_capability, started_round_robin, started_manager_assign,
              ended_released, ended_recycled, created_intake, created_import, created_manual)
     GROUP BY day, pool_id
), fold_hold_days AS (
    SELECT day, user_id, pool_id, sum(started)::int AS started, sum(started_recycled)::int AS started_recycled
      FROM (
        SELECT day, user_id, pool_id, 1, 0 FROM started
        UNION ALL
        SELECT start_day, user_id, pool_id, 0, 1 FROM ended WHERE end_reason LIKE 'recycled%'
      ) AS d (day, user_id, pool_id, started, started_recycled)
     GROUP BY day, user_id, pool_id
), fold_follow_up_user_hours AS (
    SELECT user_id, day, hour, sum(follow_ups)::int AS follow_ups, sum(advanced)::int AS advanced,
           sum(converted_within_7_days)::int AS converted_within_7_days,
           sum(converted_not_advanced)::int AS converted_not_advanced
      FROM (
        SELECT user_id, day, hour, 1, (stage_to IS NOT NULL AND stage_to <> 'lost')::int, 0, 0 FROM recorded
        UNION ALL
        SELECT user_id, day, hour, 0, 0, 1, not_advanced::int FROM converted
      ) AS d (user_id, day, hour, follow_ups, advanced, converted_within_7_days, converted_not_advanced)
     GROUP BY user_id, day, hour
), fold_follow_up_hours AS (
    SELECT day, hour, sum(follow_ups)::int AS follow_ups, sum(advanced)::int AS advanced,
           sum(converted_within_7_days)::int AS converted_within_7_days,
           sum(converted_not_advanced)::int AS converted_not_advanced
      FROM fold_follow_up_user_hours
     GROUP BY day, hour
), fold_holdings AS (
    SELECT user_id, sum(delta)::int AS held
      FROM (SELECT user_id, 1 FROM started UNION ALL SELECT user_id, -1 FROM ended) AS d (user_id, delta)
     GROUP BY user_id
), fold_pool_backlog AS (
    -- In: created (always pooled), a hold ended back into a pool. Out: taken from the pool
    -- (every claimed entry), closed while pooled.
    SELECT pool_id, sum(delta)::int AS pooled
      FROM (
        SELECT pool_id, 1 FROM created
        UNION ALL SELECT to_pool_id, 1 FROM ended WHERE to_state = 'pooled'
        UNION ALL SELECT pool_id, -1 FROM started WHERE started_how IN ('self_claim', 'capability', 'round_robin', 'manager_assign')
        UNION ALL SELECT (ev.details ->> 'pool_id')::uuid, -1 FROM ev WHERE ev.kind = 'closed'
      ) AS d (pool_id, delta)
     WHERE pool_id IS NOT NULL
     GROUP BY pool_id
)
