//! Claim records, claim decisions, round-robin rotation state and the audit trail.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::{Claim, Decision};
use crate::db::schema::{claim_decisions, claims, leads, rotation_members, rotation_pools, users};

/// How claims that take a lead from a pool start (they count toward the daily limit).
pub const FROM_POOL: [&str; 4] = ["self_claim", "round_robin", "capability", "manager_assign"];

pub fn insert(conn: &mut PgConnection, claim: &Claim) -> QueryResult<()> {
    diesel::insert_into(claims::table)
        .values(claim)
        .execute(conn)
        .map(|_| ())
}

/// Ends the lead's open claim, if any, and returns it.
pub fn end_open(
    conn: &mut PgConnection,
    lead_id: Uuid,
    reason: &str,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> QueryResult<Option<Claim>> {
    diesel::update(
        claims::table
            .filter(claims::lead_id.eq(lead_id))
            .filter(claims::ended_at.is_null()),
    )
    .set((
        claims::ended_at.eq(at),
        claims::end_reason.eq(reason),
        claims::ended_by.eq(by),
    ))
    .returning(Claim::as_returning())
    .get_result(conn)
    .optional()
}

/// The person whose hold converted `lead_id` (its last converted claim), if it was ever won.
pub fn converted_by(conn: &mut PgConnection, lead_id: Uuid) -> QueryResult<Option<Uuid>> {
    claims::table
        .filter(claims::lead_id.eq(lead_id))
        .filter(claims::end_reason.eq("converted"))
        .order(claims::ended_at.desc())
        .select(claims::user_id)
        .first(conn)
        .optional()
}

pub fn open_for_lead(conn: &mut PgConnection, lead_id: Uuid) -> QueryResult<Option<Claim>> {
    claims::table
        .filter(claims::lead_id.eq(lead_id))
        .filter(claims::ended_at.is_null())
        .select(Claim::as_select())
        .first(conn)
        .optional()
}

/// Owned leads from `pool_id` per person, for `user_ids`.
pub fn owned_counts(
    conn: &mut PgConnection,
    pool_id: Uuid,
    user_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, i64)>> {
    leads::table
        .filter(leads::owner_id.eq_any(user_ids.to_vec()))
        .filter(leads::state.eq("owned"))
        .filter(leads::pool_id.eq(pool_id))
        .group_by(leads::owner_id)
        .select((leads::owner_id.assume_not_null(), diesel::dsl::count_star()))
        .load(conn)
}

/// Claims from `pool_id` started on `day` per person, for `user_ids`.
pub fn claimed_on_day_counts(
    conn: &mut PgConnection,
    pool_id: Uuid,
    user_ids: &[Uuid],
    day: NaiveDate,
) -> QueryResult<Vec<(Uuid, i64)>> {
    claims::table
        .filter(claims::user_id.eq_any(user_ids.to_vec()))
        .filter(claims::started_day.eq(day))
        .filter(claims::pool_id.eq(pool_id))
        .filter(claims::started_how.eq_any(FROM_POOL))
        .group_by(claims::user_id)
        .select((claims::user_id, diesel::dsl::count_star()))
        .load(conn)
}

/// When `user_id` last stopped holding `lead_id`.
pub fn last_hold_end(
    conn: &mut PgConnection,
    lead_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    claims::table
        .filter(claims::lead_id.eq(lead_id))
        .filter(claims::user_id.eq(user_id))
        .select(diesel::dsl::max(claims::ended_at))
        .first(conn)
}

/// Whose claims a listing may show.
#[derive(Debug, Clone)]
pub enum ClaimScope {
    All,
    Of(Uuid),
    /// This manager's and their teams' members'.
    ManagedBy(Uuid),
}

/// Filters of the claim list.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub user_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    pub active: Option<bool>,
    pub started_how: Option<crate::domain::claim::ClaimStart>,
    pub end_reason: Option<crate::domain::claim::ClaimEnd>,
    pub started_from: Option<DateTime<Utc>>,
    pub started_to: Option<DateTime<Utc>>,
    pub ended_from: Option<DateTime<Utc>>,
    pub ended_to: Option<DateTime<Utc>>,
}

/// Claims newest first, after `after`.
pub fn list(
    conn: &mut PgConnection,
    scope: &ClaimScope,
    filter: &ClaimFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Claim>> {
    let mut query = claims::table.select(Claim::as_select()).into_boxed();
    match scope {
        ClaimScope::All => {}
        ClaimScope::Of(user) => query = query.filter(claims::user_id.eq(*user)),
        ClaimScope::ManagedBy(manager) => {
            let managed_teams = crate::managed_teams!(*manager);
            let members = users::table
                .filter(users::team_id.eq_any(managed_teams))
                .select(users::id);
            query = query.filter(
                claims::user_id
                    .eq_any(members)
                    .or(claims::user_id.eq(*manager)),
            );
        }
    }
    if let Some(v) = filter.user_id {
        query = query.filter(claims::user_id.eq(v));
    }
    if let Some(v) = filter.lead_id {
        query = query.filter(claims::lead_id.eq(v));
    }
    if let Some(v) = filter.pool_id {
        query = query.filter(claims::pool_id.eq(v));
    }
    match filter.active {
        Some(true) => query = query.filter(claims::ended_at.is_null()),
        Some(false) => query = query.filter(claims::ended_at.is_not_null()),
        None => {}
    }
    if let Some(v) = &filter.started_how {
        query = query.filter(claims::started_how.eq(*v));
    }
    if let Some(v) = &filter.end_reason {
        query = query.filter(claims::end_reason.eq(*v));
    }
    if let Some(v) = filter.started_from {
        query = query.filter(claims::started_at.ge(v));
    }
    if let Some(v) = filter.started_to {
        query = query.filter(claims::started_at.lt(v));
    }
    if let Some(v) = filter.ended_from {
        query = query.filter(claims::ended_at.ge(v));
    }
    if let Some(v) = filter.ended_to {
        query = query.filter(claims::ended_at.lt(v));
    }
    if let Some(after) = after {
        query = query.filter(claims::id.lt(after));
    }
    query.order(claims::id.desc()).limit(limit).load(conn)
}

/// The id of the next pooled lead of `pool_id` in the pool's order, locked; leads other
/// transactions are taking are skipped rather than waited for. `grades`: only these (and
/// ungraded) leads.
pub fn next_pooled(
    conn: &mut PgConnection,
    pool_id: Uuid,
    best_grade_first: bool,
    grades: Option<&[String]>,
) -> QueryResult<Option<Uuid>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    // Each order has its own partial index of the pool's pooled leads: (pool_id, id) for the
    // oldest first (the id is a UUIDv7, in time order), (pool_id, grade, id) for the best grade
    // first. Four fixed texts, each kept prepared by the connection.
    macro_rules! next {
        ($filter:literal, $order:literal) => {
            concat!(
                "SELECT id FROM leads WHERE pool_id = $1 AND state = 'pooled' ",
                $filter,
                " ORDER BY ",
                $order,
                " LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
        };
    }
    let sql: &'static str = match (best_grade_first, grades.is_some()) {
        (true, true) => next!(
            "AND (grade = ANY($2) OR grade IS NULL)",
            "grade ASC NULLS LAST, id ASC"
        ),
        (true, false) => next!("AND $2::text[] IS NULL", "grade ASC NULLS LAST, id ASC"),
        (false, true) => next!("AND (grade = ANY($2) OR grade IS NULL)", "id ASC"),
        (false, false) => next!("AND $2::text[] IS NULL", "id ASC"),
    };
    let row: Option<Row> = crate::db::prepared::prepared(sql)
        .bind::<diesel::sql_types::Uuid, _>(pool_id)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Text>>, _>(
            grades.map(|g| g.to_vec()),
        )
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| r.id))
}

pub fn insert_decision(conn: &mut PgConnection, decision: &Decision) -> QueryResult<()> {
    diesel::insert_into(claim_decisions::table)
        .values(decision)
        .execute(conn)
        .map(|_| ())
}

pub fn find_decision(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Decision>> {
    claim_decisions::table
        .find(id)
        .select(Decision::as_select())
        .first(conn)
        .optional()
}

/// Filters of the decision list.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Decisions about this person: as the one who asked or the one chosen.
    pub about: Option<Uuid>,
    pub outcome: Option<crate::domain::claim::DecisionOutcome>,
}

pub fn list_decisions(
    conn: &mut PgConnection,
    filter: &DecisionFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Decision>> {
    let mut query = claim_decisions::table
        .select(Decision::as_select())
        .into_boxed();
    if let Some(v) = filter.pool_id {
        query = query.filter(claim_decisions::pool_id.eq(v));
    }
    if let Some(v) = filter.lead_id {
        query = query.filter(claim_decisions::lead_id.eq(v));
    }
    if let Some(v) = filter.about {
        query = query.filter(
            claim_decisions::actor_id
                .eq(v)
                .or(claim_decisions::chosen_user_id.eq(v)),
        );
    }
    if let Some(v) = &filter.outcome {
        query = query.filter(claim_decisions::outcome.eq(*v));
    }
    if let Some(after) = after {
        query = query.filter(claim_decisions::id.lt(after));
    }
    query
        .order(claim_decisions::id.desc())
        .limit(limit)
        .load(conn)
}

/// Locks the pool's rotation (creating it on first use) and returns its virtual time. Held until
/// the transaction ends: instances hand out a pool's leads one decision at a time.
pub fn lock_rotation(conn: &mut PgConnection, pool_id: Uuid) -> QueryResult<i64> {
    diesel::insert_into(rotation_pools::table)
        .values(rotation_pools::pool_id.eq(pool_id))
        .on_conflict_do_nothing()
        .execute(conn)?;
    rotation_pools::table
        .find(pool_id)
        .select(rotation_pools::vtime)
        .for_update()
        .first(conn)
}

/// Each member's (pass, was_eligible) in the rotation, for those who have a row.
pub fn rotation_slots(
    conn: &mut PgConnection,
    pool_id: Uuid,
) -> QueryResult<Vec<(Uuid, i64, bool)>> {
    rotation_members::table
        .filter(rotation_members::pool_id.eq(pool_id))
        .select((
            rotation_members::user_id,
            rotation_members::pass,
            rotation_members::was_eligible,
        ))
        .load(conn)
}

/// Stores the rotation after a decision.
pub fn save_rotation(
    conn: &mut PgConnection,
    pool_id: Uuid,
    vtime: i64,
    slots: &[(Uuid, i64, bool, i32)],
) -> QueryResult<()> {
    diesel::update(rotation_pools::table.find(pool_id))
        .set(rotation_pools::vtime.eq(vtime))
        .execute(conn)?;
    let rows: Vec<_> = slots
        .iter()
        .map(|(user_id, pass, was_eligible, served)| {
            (
                rotation_members::pool_id.eq(pool_id),
                rotation_members::user_id.eq(*user_id),
                rotation_members::pass.eq(*pass),
                rotation_members::was_eligible.eq(*was_eligible),
                rotation_members::served.eq(*served),
            )
        })
        .collect();
    for batch in rows.chunks(1000) {
        diesel::insert_into(rotation_members::table)
            .values(batch)
            .on_conflict((rotation_members::pool_id, rotation_members::user_id))
            .do_update()
            .set((
                rotation_members::pass.eq(diesel::upsert::excluded(rotation_members::pass)),
                rotation_members::was_eligible
                    .eq(diesel::upsert::excluded(rotation_members::was_eligible)),
                rotation_members::served
                    .eq(rotation_members::served
                        + diesel::upsert::excluded(rotation_members::served)),
            ))
            .execute(conn)?;
    }
    Ok(())
}
