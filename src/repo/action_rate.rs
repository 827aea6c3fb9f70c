//! Per-person attempt counters in fixed one-minute windows (claims), shared by every instance.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

/// Counts one attempt of `action` by `user_id` in the window starting at `window_start` and
/// returns the attempts so far in it (a new window starts again at 1). One atomic statement, so
/// concurrent attempts all count.
///
/// Call it outside a transaction: the statement commits on its own **without waiting for its WAL
/// to reach the disk** (`synchronous_commit` off for this one implicit transaction), so a claim
/// pays one flush (its own), not two. A crash can forget the last fraction of a second's counts,
/// which only lets a few more attempts through in that minute; nothing a client was told was
/// stored is lost.
pub fn count_attempt(
    conn: &mut PgConnection,
    user_id: Uuid,
    action: &str,
    window_start: DateTime<Utc>,
) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Attempts {
        #[diesel(sql_type = Int4)]
        attempts: i32,
    }
    let row: Attempts = crate::db::prepared::prepared(
        "INSERT INTO action_rate_windows AS w (user_id, action, window_start, attempts)
         SELECT $1, $2, $3, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait
         ON CONFLICT (user_id, action) DO UPDATE SET
             attempts = CASE WHEN w.window_start = excluded.window_start THEN w.attempts + 1 ELSE 1 END,
             window_start = excluded.window_start
         RETURNING attempts",
    )
    .bind::<SqlUuid, _>(user_id)
    .bind::<Text, _>(action)
    .bind::<Timestamptz, _>(window_start)
    .get_result(conn)?;
    Ok(row.attempts)
}
