//! Sweeps an admin asked for: their progress, written by the drain that runs them.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::Value;
use uuid::Uuid;

use crate::db::schema::sweep_runs;
use crate::domain::recycle::SweepRunStatus;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sweep_runs, check_for_backend(diesel::pg::Pg))]
pub struct SweepRun {
    pub id: Uuid,
    pub requested_by: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: SweepRunStatus,
    pub recycled: i32,
    pub recycled_by_reason: Value,
    pub warned: i32,
    pub error: Option<String>,
}

pub fn insert(conn: &mut PgConnection, run: &SweepRun) -> QueryResult<()> {
    diesel::insert_into(sweep_runs::table)
        .values(run)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<SweepRun>> {
    sweep_runs::table
        .find(id)
        .select(SweepRun::as_select())
        .first(conn)
        .optional()
}

/// What the run has done so far (absolute figures: only its own drain writes the row).
/// Adds one batch to the run's counts (`by_reason`: that batch's leads per reason), in the
/// batch's transaction: several workers drain one run, and each batch counts exactly once.
pub fn progress(
    conn: &mut PgConnection,
    id: Uuid,
    recycled: i32,
    by_reason: &Value,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Int4, Jsonb, Timestamptz, Uuid as SqlUuid};
    crate::db::prepared::prepared(
        "UPDATE sweep_runs SET recycled = recycled + $2, heartbeat_at = $4,
                recycled_by_reason = (
                    SELECT coalesce(jsonb_object_agg(k, coalesce((recycled_by_reason ->> k)::int, 0)
                                                         + coalesce(($3 ->> k)::int, 0)), '{}')
                      FROM (SELECT jsonb_object_keys(recycled_by_reason)
                            UNION SELECT jsonb_object_keys($3)) AS keys (k))
          WHERE id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Int4, _>(recycled)
    .bind::<Jsonb, _>(by_reason)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
}

/// Ends the run: `done` with the warnings sent, or `failed` with what went wrong.
pub fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    warned: i32,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(sweep_runs::table.find(id))
        .set((
            sweep_runs::status.eq(if error.is_some() {
                SweepRunStatus::Failed
            } else {
                SweepRunStatus::Done
            }),
            sweep_runs::warned.eq(warned),
            sweep_runs::error.eq(error),
            sweep_runs::finished_at.eq(now),
            sweep_runs::heartbeat_at.eq(now),
        ))
        .execute(conn)
}
