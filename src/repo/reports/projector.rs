//! The report projection: rollups of the facts, kept by one background projector, never by the
//! transactions that record the facts.
//!
//! Every transaction that changes a lead writes its timeline entries (`lead_events`), and each
//! entry carries the id of its transaction (`tx`). The projection stores a watermark: the
//! snapshot it has folded up to. A fold, in one repeatable-read transaction, takes the entries
//! whose transactions its own snapshot sees and the watermark does not (`fold.sql`), adds what
//! they mean to the rollups set-wise, and moves the watermark to its own snapshot, all in one
//! statement. So each entry is folded exactly once, whatever order transactions commit in and
//! however long one runs; a crash between folds loses nothing (the next fold starts at the stored
//! watermark); and two instances never fold at once (the fold holds the projection's row, and a
//! second one skips). Report queries read the rollups plus the fold of the entries since the
//! watermark, so an answer counts every fact its snapshot sees.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Double, Nullable, Text};
use std::sync::OnceLock;

/// The fold's CTE definitions (see `fold.sql`), for the projector and the report queries.
pub const FOLD: &str = include_str!("fold.sql");
const REBUILD: &str = include_str!("rebuild.sql");

/// A rollup table: the fold CTE that feeds it, its key and its summed columns.
struct Rollup {
    table: &'static str,
    fold: &'static str,
    key: &'static [&'static str],
    values: &'static [&'static str],
}

const ROLLUPS: &[Rollup] = &[
    Rollup {
        table: "report_person_days",
        fold: "fold_person_days",
        key: &["day", "user_id"],
        values: &[
            "started_self_claim",
            "started_capability",
            "started_round_robin",
            "started_manager_assign",
            "started_transfer",
            "started_intake_route",
            "started_followed_up",
            "started_converted",
            "started_recycled",
            "ended_released",
            "ended_transferred",
            "ended_converted",
            "ended_closed",
            "ended_reassigned",
            "ended_recycled_no_first_follow_up",
            "ended_recycled_no_contact",
            "ended_recycled_no_progress",
            "ended_recycled_no_deal",
            "follow_ups",
            "follow_ups_call",
            "follow_ups_visit",
            "follow_ups_wechat",
            "follow_ups_email",
            "follow_ups_sms",
            "follow_ups_meeting",
            "follow_ups_other",
        ],
    },
    Rollup {
        table: "report_pool_days",
        fold: "fold_pool_days",
        key: &["day", "pool_id"],
        values: &[
            "started_self_claim",
            "started_capability",
            "started_round_robin",
            "started_manager_assign",
            "ended_released",
            "ended_recycled",
            "created_intake",
            "created_import",
            "created_manual",
        ],
    },
    Rollup {
        table: "report_hold_days",
        fold: "fold_hold_days",
        key: &["day", "user_id", "pool_id"],
        values: &["started", "started_recycled"],
    },
    Rollup {
        table: "report_follow_up_user_hours",
        fold: "fold_follow_up_user_hours",
        key: &["user_id", "day", "hour"],
        values: &[
            "follow_ups",
            "advanced",
            "converted_within_7_days",
            "converted_not_advanced",
        ],
    },
    Rollup {
        table: "report_follow_up_hours",
        fold: "fold_follow_up_hours",
        key: &["day", "hour"],
        values: &[
            "follow_ups",
            "advanced",
            "converted_within_7_days",
            "converted_not_advanced",
        ],
    },
    Rollup {
        table: "report_holdings",
        fold: "fold_holdings",
        key: &["user_id"],
        values: &["held"],
    },
    Rollup {
        table: "report_pool_backlog",
        fold: "fold_pool_backlog",
        key: &["pool_id"],
        values: &["pooled"],
    },
];

/// The rollup tables, for tests and tools that compare the projection with a rebuild.
pub fn rollup_tables() -> impl Iterator<Item = &'static str> {
    ROLLUPS.iter().map(|r| r.table)
}

/// The one statement of a fold: every rollup's upsert, the watermark's move, the entries folded.
fn fold_statement() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let mut sql = format!("WITH {FOLD}");
        for (i, r) in ROLLUPS.iter().enumerate() {
            let columns: Vec<&str> = r.key.iter().chain(r.values).copied().collect();
            let sums: Vec<String> = r
                .values
                .iter()
                .map(|c| format!("{c} = r.{c} + EXCLUDED.{c}"))
                .collect();
            sql.push_str(&format!(
                ",\nupsert_{i} AS (INSERT INTO {table} AS r ({columns}) SELECT {columns} FROM {fold} \
                 ON CONFLICT ({key}) DO UPDATE SET {sums})",
                table = r.table,
                columns = columns.join(", "),
                fold = r.fold,
                key = r.key.join(", "),
                sums = sums.join(", "),
            ));
        }
        sql.push_str(
            ",\nmoved AS (UPDATE report_projection SET watermark = pg_current_snapshot(), \
             projected_at = now(), folded = folded + (SELECT count(*) FROM ev) WHERE id = 1)\n\
             SELECT count(*)::int8 AS events FROM ev",
        );
        sql
    })
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    built: bool,
    #[diesel(sql_type = Text)]
    time_zone: String,
}

/// Holds the projection's row for this transaction: `None` when another transaction holds it
/// (`wait` false) or changed it since this transaction's snapshot (a repeatable-read
/// transaction then gets a serialization failure, which the callers treat as "someone else is
/// at it").
fn lock(conn: &mut PgConnection, wait: bool) -> QueryResult<Option<Locked>> {
    let sql = if wait {
        "SELECT watermark IS NOT NULL AS built, time_zone FROM report_projection WHERE id = 1 FOR UPDATE"
    } else {
        "SELECT watermark IS NOT NULL AS built, time_zone FROM report_projection WHERE id = 1 FOR UPDATE SKIP LOCKED"
    };
    diesel::sql_query(sql).get_result(conn).optional()
}

/// Recomputes every rollup from the facts in `time_zone` and sets the watermark to this
/// transaction's snapshot (the caller holds the projection's row, in a repeatable-read
/// transaction).
fn rebuild_locked(conn: &mut PgConnection, time_zone: &str) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    diesel::sql_query("UPDATE report_projection SET time_zone = $1 WHERE id = 1")
        .bind::<Text, _>(time_zone)
        .execute(conn)?;
    conn.batch_execute(REBUILD)?;
    diesel::sql_query(
        "UPDATE report_projection SET watermark = pg_current_snapshot(), projected_at = now() WHERE id = 1",
    )
    .execute(conn)?;
    Ok(())
}

fn skipped_when_contended<T>(result: QueryResult<Option<T>>) -> QueryResult<Option<T>> {
    match result {
        Err(DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => Ok(None),
        other => other,
    }
}

/// What one fold did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Timeline entries folded in (0 when nothing new was committed).
    Folded(i64),
    /// The projection had never been built: it was recomputed from the facts.
    Rebuilt,
}

/// Folds what was committed since the watermark into the rollups; `None` when another instance
/// is folding right now (it will have done the same work).
pub fn fold(conn: &mut PgConnection) -> QueryResult<Option<Fold>> {
    skipped_when_contended(conn.build_transaction().repeatable_read().run(|conn| {
        let Some(state) = lock(conn, false)? else {
            return Ok(None);
        };
        if !state.built {
            rebuild_locked(conn, &state.time_zone)?;
            return Ok(Some(Fold::Rebuilt));
        }
        #[derive(QueryableByName)]
        struct Events {
            #[diesel(sql_type = BigInt)]
            events: i64,
        }
        let folded: Events = diesel::sql_query(fold_statement()).get_result(conn)?;
        Ok(Some(Fold::Folded(folded.events)))
    }))
}

/// Runs `work` in a repeatable-read transaction that waits for the projection's row, again
/// (up to 20 times) when a fold committed while it waited and the transaction failed to
/// serialize.
fn with_projection_locked<T>(
    conn: &mut PgConnection,
    work: impl Fn(&mut PgConnection, Locked) -> QueryResult<T>,
) -> QueryResult<T> {
    for _ in 0..20 {
        let done =
            skipped_when_contended(conn.build_transaction().repeatable_read().run(|conn| {
                let state = lock(conn, true)?.ok_or(DieselError::NotFound)?;
                work(conn, state).map(Some)
            }))?;
        if let Some(done) = done {
            return Ok(done);
        }
    }
    Err(DieselError::RollbackTransaction)
}

/// Makes the projection ready for `time_zone` at start-up: recomputes it from the facts when it
/// was never built or was kept in another time zone (`LEADPOOL_TIMEZONE` changed). Returns
/// whether it rebuilt. Waits for a fold running elsewhere; never locks the facts.
pub fn prepare(conn: &mut PgConnection, time_zone: &str) -> QueryResult<bool> {
    with_projection_locked(conn, |conn, state| {
        if state.built && state.time_zone == time_zone {
            return Ok(false);
        }
        rebuild_locked(conn, time_zone)?;
        Ok(true)
    })
}

/// Recomputes the projection from the facts in its current time zone, now (tests compare this
/// with what the folds kept; an operator may run it after repairing facts by hand). Waits for a
/// fold running elsewhere, like `prepare`.
pub fn rebuild(conn: &mut PgConnection) -> QueryResult<()> {
    with_projection_locked(conn, |conn, state| rebuild_locked(conn, &state.time_zone))
}

/// How current the projection is, as a report sees it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Status {
    /// Whether it has been built (reports need it).
    #[diesel(sql_type = Bool)]
    pub built: bool,
    /// On a read replica still replaying what it received, how far it is behind the primary
    /// (seconds); 0 on the primary and on a replica that has replayed everything.
    #[diesel(sql_type = Double)]
    pub replica_delay_secs: f64,
}

/// The projection's status, read in the caller's snapshot.
pub fn status(conn: &mut PgConnection) -> QueryResult<Status> {
    diesel::sql_query(
        "SELECT p.watermark IS NOT NULL AS built,
                CASE WHEN pg_is_in_recovery() AND pg_last_wal_receive_lsn() IS DISTINCT FROM pg_last_wal_replay_lsn()
                     THEN greatest(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)::float8
                     ELSE 0 END AS replica_delay_secs
           FROM report_projection p WHERE p.id = 1",
    )
    .get_result(conn)
}

/// How far the projector is behind: timeline entries committed since its watermark, and
/// seconds since its last fold (database time; `None` before the first).
#[derive(Debug, Clone, QueryableByName)]
pub struct Lag {
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub since_fold_secs: Option<f64>,
}

pub fn lag(conn: &mut PgConnection) -> QueryResult<Lag> {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM lead_events e
                  WHERE e.tx >= pg_snapshot_xmin(p.watermark) AND NOT pg_visible_in_snapshot(e.tx, p.watermark)) AS pending,
                extract(epoch FROM now() - p.projected_at)::float8 AS since_fold_secs
           FROM report_projection p WHERE p.id = 1",
    )
    .get_result(conn)
}
