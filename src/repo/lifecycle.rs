//! SQL of the lead lifecycle: holds and their recycle state, follow-ups, approvals, notifications.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use uuid::Uuid;

use crate::domain::approval::ApprovalStatus;
use crate::domain::claim::ClaimEnd;
use crate::domain::lead::{LeadState, Stage};

use crate::db::models::{Approval, FollowUp, Lead, Notification};
use crate::db::schema::{approvals, follow_ups, leads, notifications, users};

/// Changes to who holds a lead and to the clocks of the hold; `None` leaves a column alone.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = leads)]
pub struct HoldChanges {
    pub state: Option<LeadState>,
    pub owner_id: Option<Option<Uuid>>,
    pub pool_id: Option<Option<Uuid>>,
    pub stage: Option<Option<Stage>>,
    pub claimed_at: Option<Option<DateTime<Utc>>>,
    pub claimed_from_pool: Option<bool>,
    pub last_follow_up_at: Option<Option<DateTime<Utc>>>,
    pub follow_ups_since_progress: Option<i32>,
    pub next_follow_up_at: Option<Option<DateTime<Utc>>>,
    pub recycle_at: Option<Option<DateTime<Utc>>>,
    pub recycle_reason: Option<Option<ClaimEnd>>,
    pub recycle_warned_at: Option<Option<DateTime<Utc>>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl HoldChanges {
    /// A hold of `owner` starting now: every clock of the hold starts again.
    pub fn started(
        owner: Uuid,
        from_pool: bool,
        recycle: Option<(DateTime<Utc>, ClaimEnd)>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            state: Some(LeadState::Owned),
            owner_id: Some(Some(owner)),
            claimed_at: Some(Some(now)),
            claimed_from_pool: Some(from_pool),
            last_follow_up_at: Some(None),
            follow_ups_since_progress: Some(0),
            next_follow_up_at: Some(None),
            recycle_at: Some(recycle.as_ref().map(|r| r.0)),
            recycle_reason: Some(recycle.map(|r| r.1)),
            recycle_warned_at: Some(None),
            updated_at: Some(now),
            ..Self::default()
        }
    }

    /// The end of a hold: the lead has no owner and no hold any more, and is `state` with `stage`.
    pub fn ended(state: LeadState, stage: Option<Stage>, now: DateTime<Utc>) -> Self {
        Self {
            state: Some(state),
            owner_id: Some(None),
            stage: Some(stage),
            claimed_at: Some(None),
            claimed_from_pool: Some(false),
            last_follow_up_at: Some(None),
            follow_ups_since_progress: Some(0),
            next_follow_up_at: Some(None),
            recycle_at: Some(None),
            recycle_reason: Some(None),
            recycle_warned_at: Some(None),
            updated_at: Some(now),
            ..Self::default()
        }
    }

    /// A customer: the hold is over (or was closed), the lead is `converted` and `won`, kept by
    /// `owner` in `pool_id`, with no clock running.
    pub fn customer(owner: Option<Uuid>, pool_id: Option<Uuid>, now: DateTime<Utc>) -> Self {
        Self {
            owner_id: Some(owner),
            pool_id: Some(pool_id),
            ..Self::ended(LeadState::Converted, Some(Stage::Won), now)
        }
    }
}

pub fn update_hold(conn: &mut PgConnection, id: Uuid, changes: &HoldChanges) -> QueryResult<Lead> {
    diesel::update(leads::table.find(id))
        .set(changes)
        .returning(Lead::as_returning())
        .get_result(conn)
}

/// Ends ownership in the lead row: back to `pool_id` as a pooled lead, or to a final state
/// (`converted`, `closed`) with its last stage.
pub fn release_row(
    conn: &mut PgConnection,
    id: Uuid,
    state: LeadState,
    pool_id: Option<Uuid>,
    stage: Option<Stage>,
    now: DateTime<Utc>,
) -> QueryResult<Lead> {
    let changes = HoldChanges {
        pool_id: Some(pool_id),
        ..HoldChanges::ended(state, stage, now)
    };
    update_hold(conn, id, &changes)
}

/// Hands an owned lead to another person (a transfer): the hold starts again; its recycle time
/// is computed by the caller.
pub fn hand_over(
    conn: &mut PgConnection,
    id: Uuid,
    to: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Lead> {
    let changes = HoldChanges {
        recycle_at: None,
        recycle_reason: None,
        ..HoldChanges::started(to, false, None, now)
    };
    update_hold(conn, id, &changes)
}

/// Owned leads due back at `now`, oldest due first, locked; leads other sweepers hold are skipped.
pub fn due_for_update(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    leads::table
        .filter(leads::state.eq("owned"))
        .filter(leads::recycle_at.le(now))
        .order(leads::recycle_at.asc())
        .limit(limit)
        .select(Lead::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
}

/// Marks as warned up to `limit` owned leads of `pool_id` due back before `horizon` whose owners
/// were not warned yet, soonest first (leads another transaction holds are left for the next
/// call); returns them. A lead is only warned once at most half the time between the start of
/// its deadline's clock (its hold's last follow-up, else its claim) and the deadline is left, so
/// that a window as long as the deadline itself does not warn every lead as soon as it is taken.
pub fn mark_warned(
    conn: &mut PgConnection,
    pool_id: Uuid,
    horizon: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    let batch: Vec<Uuid> = leads::table
        .filter(leads::pool_id.eq(pool_id))
        .filter(leads::state.eq("owned"))
        .filter(leads::recycle_at.le(horizon))
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("recycle_at - ")
                .bind::<diesel::sql_types::Timestamptz, _>(now)
                .sql(" <= (recycle_at - coalesce(last_follow_up_at, claimed_at, recycle_at)) / 2"),
        )
        .filter(leads::recycle_warned_at.is_null())
        .order(leads::recycle_at.asc())
        .limit(limit)
        .select(leads::id)
        .for_update()
        .skip_locked()
        .load(conn)?;
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(leads::table.filter(leads::id.eq_any(&batch)))
        .set(leads::recycle_warned_at.eq(now))
        .returning(Lead::as_returning())
        .get_results(conn)
}

/// Owned leads of `pool_id` (for recomputing after a rule change).
pub fn owned_in_pool(conn: &mut PgConnection, pool_id: Uuid) -> QueryResult<Vec<Lead>> {
    leads::table
        .filter(leads::pool_id.eq(pool_id))
        .filter(leads::state.eq("owned"))
        .select(Lead::as_select())
        .load(conn)
}

/// What a person's agenda shows of one of their leads.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads, check_for_backend(diesel::pg::Pg))]
pub struct AgendaLead {
    pub id: Uuid,
    pub name: Option<String>,
    pub company: Option<String>,
    pub stage: Option<Stage>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub recycle_at: Option<DateTime<Utc>>,
    pub recycle_reason: Option<ClaimEnd>,
}

/// A person's owned leads with a next follow-up or a recycle time before `horizon`. The state is
/// written into the SQL, not bound, so that a cached (generic) plan can still use the partial
/// indexes on owned leads.
pub fn agenda(
    conn: &mut PgConnection,
    owner: Uuid,
    horizon: DateTime<Utc>,
) -> QueryResult<Vec<AgendaLead>> {
    leads::table
        .filter(leads::owner_id.eq(owner))
        .filter(sql::<Bool>("leads.state = 'owned'"))
        .filter(
            leads::next_follow_up_at
                .le(horizon)
                .or(leads::recycle_at.le(horizon)),
        )
        .select(AgendaLead::as_select())
        .load(conn)
}

pub fn insert_follow_up(conn: &mut PgConnection, f: &FollowUp) -> QueryResult<()> {
    diesel::insert_into(follow_ups::table)
        .values(f)
        .execute(conn)
        .map(|_| ())
}

pub fn find_follow_up(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<FollowUp>> {
    follow_ups::table
        .find(id)
        .select(FollowUp::as_select())
        .first(conn)
        .optional()
}

/// A lead's follow-ups, oldest first.
pub fn follow_ups_of_lead(
    conn: &mut PgConnection,
    lead_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    let mut query = follow_ups::table
        .filter(follow_ups::lead_id.eq(lead_id))
        .select(FollowUp::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(follow_ups::id.gt(after));
    }
    query.order(follow_ups::id.asc()).limit(limit).load(conn)
}

/// Filters of the follow-up list across leads.
#[derive(Debug, Clone, Default)]
pub struct FollowUpFilter {
    pub user_id: Option<Uuid>,
    pub type_: Option<crate::domain::follow_up::FollowUpType>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Follow-ups newest first: all (`None`), one person's, or a manager's teams'.
pub fn follow_ups(
    conn: &mut PgConnection,
    only_user: Option<Uuid>,
    managed_by: Option<Uuid>,
    filter: &FollowUpFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    let mut query = follow_ups::table.select(FollowUp::as_select()).into_boxed();
    if let Some(user) = only_user {
        query = query.filter(follow_ups::user_id.eq(user));
    }
    if let Some(manager) = managed_by {
        let managed_teams = crate::managed_teams!(manager);
        let members = users::table
            .filter(users::team_id.eq_any(managed_teams))
            .select(users::id);
        query = query.filter(
            follow_ups::user_id
                .eq_any(members)
                .or(follow_ups::user_id.eq(manager)),
        );
    }
    if let Some(v) = filter.user_id {
        query = query.filter(follow_ups::user_id.eq(v));
    }
    if let Some(v) = &filter.type_ {
        query = query.filter(follow_ups::type_.eq(*v));
    }
    if let Some(v) = filter.from {
        query = query.filter(follow_ups::created_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(follow_ups::created_at.lt(v));
    }
    if let Some(after) = after {
        query = query.filter(follow_ups::id.lt(after));
    }
    query.order(follow_ups::id.desc()).limit(limit).load(conn)
}

pub fn insert_approval(conn: &mut PgConnection, a: &Approval) -> QueryResult<Approval> {
    diesel::insert_into(approvals::table)
        .values(a)
        .returning(Approval::as_returning())
        .get_result(conn)
}

pub fn find_approval(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Approval>> {
    approvals::table
        .find(id)
        .select(Approval::as_select())
        .first(conn)
        .optional()
}

pub fn find_approval_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<Approval>> {
    approvals::table
        .find(id)
        .select(Approval::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Sets the outcome of a pending approval; `None` when it was no longer pending.
pub fn decide_approval(
    conn: &mut PgConnection,
    id: Uuid,
    status: ApprovalStatus,
    by: Option<Uuid>,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<Option<Approval>> {
    diesel::update(
        approvals::table
            .filter(approvals::id.eq(id))
            .filter(approvals::status.eq(ApprovalStatus::Pending)),
    )
    .set((
        approvals::status.eq(status),
        approvals::decided_by.eq(by),
        approvals::comment.eq(comment),
        approvals::decided_at.eq(now),
    ))
    .returning(Approval::as_returning())
    .get_result(conn)
    .optional()
}

/// Closes the pending approvals of a lead as obsolete (its hold ended); returns them.
pub fn obsolete_pending(
    conn: &mut PgConnection,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Approval>> {
    obsolete_pending_many(conn, &[lead_id], now)
}

/// Whose approvals a listing shows.
#[derive(Debug, Clone)]
pub enum ApprovalScope {
    All,
    RequestedBy(Uuid),
    /// Requests by members of the teams this manager manages (not their own).
    ApprovableBy(Uuid),
}

pub fn list_approvals(
    conn: &mut PgConnection,
    scope: &ApprovalScope,
    status: Option<ApprovalStatus>,
    lead_id: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Approval>> {
    let mut query = approvals::table.select(Approval::as_select()).into_boxed();
    match scope {
        ApprovalScope::All => {}
        ApprovalScope::RequestedBy(user) => query = query.filter(approvals::requester_id.eq(*user)),
        ApprovalScope::ApprovableBy(manager) => {
            let managed_teams = crate::managed_teams!(*manager);
            let members = users::table
                .filter(users::team_id.eq_any(managed_teams))
                .filter(users::id.ne(*manager))
                .select(users::id);
            query = query.filter(approvals::requester_id.eq_any(members));
        }
    }
    if let Some(status) = status {
        query = query.filter(approvals::status.eq(status));
    }
    if let Some(lead_id) = lead_id {
        query = query.filter(approvals::lead_id.eq(lead_id));
    }
    if let Some(after) = after {
        query = query.filter(approvals::id.lt(after));
    }
    query.order(approvals::id.desc()).limit(limit).load(conn)
}

pub fn notifications_of(
    conn: &mut PgConnection,
    user_id: Uuid,
    unread_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut query = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .select(Notification::as_select())
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    if let Some(after) = after {
        query = query.filter(notifications::id.lt(after));
    }
    query
        .order(notifications::id.desc())
        .limit(limit)
        .load(conn)
}

/// Marks a notification of `user_id` read (once); `None` when it is not theirs.
pub fn mark_read(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<Notification>> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::user_id.eq(user_id)),
    )
    .set(
        notifications::read_at.eq(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        >("coalesce(read_at, ")
        .bind::<diesel::sql_types::Timestamptz, _>(now)
        .sql(")")),
    )
    .returning(Notification::as_returning())
    .get_result(conn)
    .optional()
}

/// A claim the sweep ended.
#[derive(Debug, Clone, QueryableByName)]
pub struct EndedClaim {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub claim_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub lead_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub user_id: Uuid,
}

/// Ends the open claims of `lead_ids`, each with its lead's recycle reason (one statement).
/// Ends the open claims of `lead_ids`, each with the reason at the same position of `reasons`.
pub fn end_recycled_claims(
    conn: &mut PgConnection,
    lead_ids: &[Uuid],
    reasons: &[&str],
    now: DateTime<Utc>,
) -> QueryResult<Vec<EndedClaim>> {
    crate::db::prepared::prepared(
        "UPDATE claims c SET ended_at = $3, end_reason = d.reason
           FROM unnest($1::uuid[], $2::text[]) AS d (lead_id, reason)
          WHERE c.lead_id = d.lead_id AND c.ended_at IS NULL
      RETURNING c.id AS claim_id, c.lead_id, c.user_id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(lead_ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(reasons)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .load(conn)
}

/// Puts owned leads back in their pools (one statement).
pub fn return_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(leads::table.filter(leads::id.eq_any(ids)))
        .set(&HoldChanges::ended(LeadState::Pooled, None, now))
        .execute(conn)
}

/// Closes the pending approvals of several leads as obsolete; returns them.
pub fn obsolete_pending_many(
    conn: &mut PgConnection,
    lead_ids: &[Uuid],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Approval>> {
    diesel::update(
        approvals::table
            .filter(approvals::lead_id.eq_any(lead_ids))
            .filter(approvals::status.eq(ApprovalStatus::Pending)),
    )
    .set((
        approvals::status.eq(ApprovalStatus::Obsolete),
        approvals::decided_at.eq(now),
    ))
    .returning(Approval::as_returning())
    .get_results(conn)
}

/// Notifications: one (a prepared statement), or many as arrays unnested in one statement of
/// fixed text.
pub fn insert_notifications(conn: &mut PgConnection, rows: &[Notification]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    if let [one] = rows {
        diesel::insert_into(notifications::table)
            .values(one)
            .execute(conn)?;
        return Ok(());
    }
    for batch in rows.chunks(10_000) {
        crate::db::prepared::prepared(
            "INSERT INTO notifications (id, user_id, kind, lead_id, message, read_at, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[],
                                  $6::timestamptz[], $7::timestamptz[])",
        )
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|n| n.id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|n| n.user_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<SqlUuid>>, _>(batch.iter().map(|n| n.lead_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|n| n.message.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<Timestamptz>>, _>(
            batch.iter().map(|n| n.read_at).collect::<Vec<_>>(),
        )
        .bind::<Array<Timestamptz>, _>(batch.iter().map(|n| n.created_at).collect::<Vec<_>>())
        .execute(conn)?;
    }
    Ok(())
}
