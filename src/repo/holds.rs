//! Starting a hold in one statement: the lead taken from its pool and every fact the claim
//! records (decision, claim, timeline entry, audit entry), written together or not at all.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};

use crate::db::models::{AuditEntry, Claim, Decision, Lead, LeadEvent};

/// The facts a started hold records, each with its id.
pub struct Start<'a> {
    pub decision: &'a Decision,
    pub claim: &'a Claim,
    pub event: &'a LeadEvent,
    pub audit: &'a AuditEntry,
    /// When and why the lead goes back unless followed up.
    pub recycle: Option<(DateTime<Utc>, &'a str)>,
}

/// One data-modifying statement: the conditional update that takes the pooled lead (of many
/// taking it at once exactly one matches) and, only if it matched, the inserts of the facts,
/// the claim carrying the lead's `pooled_at` and `created_at` from the updated row. `None`
/// (nothing written) when the lead is no longer pooled in the claim's pool.
///
/// One round trip, and in autocommit no transaction of its own to open and close: a claim
/// that counts nothing needs no more than this statement to be atomic.
const START_HOLD: &str = "\
WITH taken AS (
    UPDATE leads
       SET state = 'owned', owner_id = $3, stage = 'new', claimed_at = $4, claimed_from_pool = true,
           last_follow_up_at = NULL, follow_ups_since_progress = 0, next_follow_up_at = NULL,
           recycle_at = $5, recycle_reason = $6, recycle_warned_at = NULL, updated_at = $4
     WHERE id = $1 AND state = 'pooled' AND pool_id = $2
       -- The claimer is still active, their row key-share locked until commit: a deactivation
       -- (FOR UPDATE) waits for this claim, or this claim waits for it and then sees it.
       AND EXISTS (SELECT 1 FROM users u WHERE u.id = $3 AND u.active FOR KEY SHARE)
 RETURNING *
), decision AS (
    INSERT INTO claim_decisions (id, kind, pool_id, lead_id, actor_id, outcome, chosen_user_id, code,
                                 candidates, created_at)
    SELECT $7, $8, $2, $1, $9, $10, $3, NULL, $11, $4 FROM taken
), claim AS (
    INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how,
                        started_by, quota_override, decision_id, pooled_since, lead_created_at)
    SELECT $12, $1, $2, $3, $4, $13, $14, $15, $16, $7, taken.pooled_at, taken.created_at FROM taken
), event AS (
    INSERT INTO lead_events (id, lead_id, kind, actor_id, details, created_at)
    SELECT $17, $1, $18, $19, $20, $4 FROM taken
), audit AS (
    INSERT INTO audit_log (id, actor_id, action, object_type, object_id, lead_id, before, after,
                           created_at)
    SELECT $21, $22, $23, $24, $25, $1, $26, $27, $4 FROM taken
)
SELECT * FROM taken";

/// Takes the pooled lead of `start.claim` and records `start`'s facts (see [`START_HOLD`]).
pub fn start_hold(conn: &mut PgConnection, start: &Start) -> QueryResult<Option<Lead>> {
    let Start {
        decision,
        claim,
        event,
        audit,
        recycle,
    } = *start;
    crate::db::prepared::prepared(START_HOLD)
        .bind::<SqlUuid, _>(claim.lead_id)
        .bind::<Nullable<SqlUuid>, _>(claim.pool_id)
        .bind::<SqlUuid, _>(claim.user_id)
        .bind::<Timestamptz, _>(claim.started_at)
        .bind::<Nullable<Timestamptz>, _>(recycle.map(|r| r.0))
        .bind::<Nullable<Text>, _>(recycle.map(|r| r.1))
        .bind::<SqlUuid, _>(decision.id)
        .bind::<Text, _>(&decision.kind)
        .bind::<Nullable<SqlUuid>, _>(decision.actor_id)
        .bind::<Text, _>(&decision.outcome)
        .bind::<Jsonb, _>(&decision.candidates)
        .bind::<SqlUuid, _>(claim.id)
        .bind::<Date, _>(claim.started_day)
        .bind::<Text, _>(&claim.started_how)
        .bind::<Nullable<SqlUuid>, _>(claim.started_by)
        .bind::<Bool, _>(claim.quota_override)
        .bind::<SqlUuid, _>(event.id)
        .bind::<Text, _>(&event.kind)
        .bind::<Nullable<SqlUuid>, _>(event.actor_id)
        .bind::<Jsonb, _>(&event.details)
        .bind::<SqlUuid, _>(audit.id)
        .bind::<Nullable<SqlUuid>, _>(audit.actor_id)
        .bind::<Text, _>(&audit.action)
        .bind::<Text, _>(&audit.object_type)
        .bind::<Nullable<SqlUuid>, _>(audit.object_id)
        .bind::<Nullable<Jsonb>, _>(&audit.before)
        .bind::<Nullable<Jsonb>, _>(&audit.after)
        .get_result(conn)
        .optional()
}

/// What a named claim decides on, read in one statement: the lead's state, pool and grade, the
/// pool's rules, whether the claimer is a member (directly or through their team), the
/// claimer's standing, and the end of their last hold of this lead (for a cooldown).
#[derive(Debug, QueryableByName)]
pub struct ClaimView {
    #[diesel(sql_type = Text)]
    pub state: crate::domain::lead::LeadState,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub owner_id: Option<uuid::Uuid>,
    #[diesel(sql_type = SqlUuid)]
    pub pool_id: uuid::Uuid,
    #[diesel(sql_type = Nullable<Text>)]
    pub grade: Option<crate::domain::lead::Grade>,
    #[diesel(sql_type = Jsonb)]
    pub rules: serde_json::Value,
    #[diesel(sql_type = Bool)]
    pub member: bool,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Nullable<diesel::sql_types::Int4>)]
    pub tier: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub on_leave_from: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub on_leave_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_hold_end: Option<DateTime<Utc>>,
}

/// The [`ClaimView`] of `lead_id` for `user_id`; `None` when either does not exist or the lead
/// is in no pool.
pub fn claim_view(
    conn: &mut PgConnection,
    lead_id: uuid::Uuid,
    user_id: uuid::Uuid,
) -> QueryResult<Option<ClaimView>> {
    crate::db::prepared::prepared(
        "SELECT l.state, l.owner_id, l.pool_id, l.grade, p.rules,
                (EXISTS (SELECT 1 FROM pool_member_users m
                          WHERE m.pool_id = l.pool_id AND m.user_id = u.id)
                 OR EXISTS (SELECT 1 FROM pool_member_teams t
                              JOIN team_tree c ON c.ancestor_id = t.team_id
                             WHERE t.pool_id = l.pool_id AND c.team_id = u.team_id
                               AND (c.depth = 0 OR p.member_sub_teams))) AS member,
                u.active, u.tier, u.on_leave_from, u.on_leave_until,
                (SELECT max(c.ended_at) FROM claims c
                  WHERE c.lead_id = l.id AND c.user_id = u.id) AS last_hold_end
           FROM leads l
           JOIN pools p ON p.id = l.pool_id
           JOIN users u ON u.id = $2
          WHERE l.id = $1",
    )
    .bind::<SqlUuid, _>(lead_id)
    .bind::<SqlUuid, _>(user_id)
    .get_result(conn)
    .optional()
}
