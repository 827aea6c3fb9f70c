//! Departure hand-overs: the request, what became of each lead, and the runner's heartbeat.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{hand_over_items, hand_overs, leads};
use crate::domain::hand_over::{HandOverCode, HandOverKind, HandOverOutcome, HandOverStatus};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hand_overs, check_for_backend(diesel::pg::Pg))]
pub struct HandOver {
    pub id: Uuid,
    pub user_id: Uuid,
    pub requested_by: Uuid,
    pub to_user_ids: Vec<Uuid>,
    pub to_pool_id: Option<Uuid>,
    pub override_quota: bool,
    pub reason: Option<String>,
    pub status: HandOverStatus,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = hand_over_items, check_for_backend(diesel::pg::Pg))]
pub struct HandOverItem {
    pub hand_over_id: Uuid,
    pub lead_id: Uuid,
    pub kind: HandOverKind,
    pub outcome: HandOverOutcome,
    pub to_user_id: Option<Uuid>,
    pub to_pool_id: Option<Uuid>,
    pub code: Option<HandOverCode>,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, row: &HandOver) -> QueryResult<()> {
    diesel::insert_into(hand_overs::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<HandOver>> {
    hand_overs::table
        .find(id)
        .select(HandOver::as_select())
        .first(conn)
        .optional()
}

/// Records what became of one lead and moves the heartbeat, in the move's transaction. `false`
/// when the lead already has its item (another runner of the same hand-over got there first).
pub fn record(conn: &mut PgConnection, item: &HandOverItem) -> QueryResult<bool> {
    let inserted = diesel::insert_into(hand_over_items::table)
        .values(item)
        .on_conflict_do_nothing()
        .execute(conn)?;
    diesel::update(hand_overs::table.find(item.hand_over_id))
        .set(hand_overs::heartbeat_at.eq(item.at))
        .execute(conn)?;
    Ok(inserted == 1)
}

/// The leads `user_id` still holds (open leads and customers) that hand-over `id` has not dealt
/// with yet.
fn unhandled(id: Uuid, user_id: Uuid) -> leads::BoxedQuery<'static, diesel::pg::Pg> {
    leads::table
        .filter(leads::owner_id.eq(user_id))
        .filter(leads::state.eq_any(["owned", "converted"]))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            hand_over_items::table
                .filter(hand_over_items::hand_over_id.eq(id))
                .filter(hand_over_items::lead_id.eq(leads::id)),
        )))
        .into_boxed()
}

/// The next `limit` of [`unhandled`], in id order.
pub fn next_held(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    unhandled(id, user_id)
        .order(leads::id.asc())
        .limit(limit)
        .select(leads::id)
        .load(conn)
}

/// How many leads are left for hand-over `id` ([`unhandled`]).
pub fn remaining(conn: &mut PgConnection, id: Uuid, user_id: Uuid) -> QueryResult<i64> {
    unhandled(id, user_id).count().get_result(conn)
}

/// How many leads `user_id` holds now (open leads and customers).
pub fn held_count(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<i64> {
    leads::table
        .filter(leads::owner_id.eq(user_id))
        .filter(leads::state.eq_any(["owned", "converted"]))
        .count()
        .get_result(conn)
}

pub fn items(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<HandOverItem>> {
    hand_over_items::table
        .filter(hand_over_items::hand_over_id.eq(id))
        .order((hand_over_items::at.asc(), hand_over_items::lead_id.asc()))
        .select(HandOverItem::as_select())
        .load(conn)
}

pub fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    status: HandOverStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(hand_overs::table.find(id))
        .set((
            hand_overs::status.eq(status),
            hand_overs::finished_at.eq(Some(now)),
            hand_overs::heartbeat_at.eq(now),
            hand_overs::error.eq(error),
        ))
        .execute(conn)
}

/// Takes over a running hand-over whose runner stopped (no heartbeat since `stale_before`): one
/// conditional update, so of several instances exactly one gets each.
pub fn take_over_stale(
    conn: &mut PgConnection,
    stale_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<Option<HandOver>> {
    let stale = hand_overs::table
        .filter(hand_overs::status.eq(HandOverStatus::Running))
        .filter(hand_overs::heartbeat_at.lt(stale_before))
        .select(hand_overs::id)
        .order(hand_overs::heartbeat_at.asc())
        .limit(1)
        .for_update()
        .skip_locked()
        .first::<Uuid>(conn)
        .optional()?;
    let Some(id) = stale else {
        return Ok(None);
    };
    diesel::update(hand_overs::table.find(id))
        .set(hand_overs::heartbeat_at.eq(now))
        .returning(HandOver::as_returning())
        .get_result(conn)
        .optional()
}

/// Sets the owner of a customer (a converted lead, which has no open claim).
pub fn set_customer_owner(
    conn: &mut PgConnection,
    lead_id: Uuid,
    to: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<crate::db::models::Lead> {
    diesel::update(leads::table.find(lead_id))
        .set((leads::owner_id.eq(Some(to)), leads::updated_at.eq(now)))
        .returning(crate::db::models::Lead::as_returning())
        .get_result(conn)
}
