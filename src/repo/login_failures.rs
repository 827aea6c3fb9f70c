//! Failed sign-ins per account and per client address, for slowing down password guessing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz};

/// How long the longest block among `keys` still lasts, in whole seconds (rounded up).
pub fn blocked_for(
    conn: &mut PgConnection,
    keys: &[String],
    now: DateTime<Utc>,
) -> QueryResult<Option<u64>> {
    #[derive(QueryableByName)]
    struct Until {
        #[diesel(sql_type = Nullable<Timestamptz>)]
        until: Option<DateTime<Utc>>,
    }
    let row: Until = diesel::sql_query(
        "SELECT max(blocked_until) AS until FROM login_failures WHERE key = ANY($1) AND blocked_until > $2",
    )
    .bind::<Array<Text>, _>(keys)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)?;
    Ok(row.until.map(|until| {
        let ms = (until - now).num_milliseconds().max(0) as u64;
        ms.div_ceil(1000).max(1)
    }))
}

/// Counts a failure for `key`: failures within `window_secs` of the first one add up; the one
/// that reaches `max` blocks the key for `window_secs`. Atomic, so concurrent failures all count.
pub fn record(
    conn: &mut PgConnection,
    key: &str,
    max: i32,
    window_secs: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO login_failures AS f (key, failures, window_start, blocked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2 + make_interval(secs => $4) END)
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN f.window_start <= $2 - make_interval(secs => $4) THEN 1 ELSE f.failures + 1 END,
             window_start = CASE WHEN f.window_start <= $2 - make_interval(secs => $4) THEN $2 ELSE f.window_start END,
             blocked_until = CASE
                 WHEN (CASE WHEN f.window_start <= $2 - make_interval(secs => $4) THEN 1 ELSE f.failures + 1 END) >= $3
                 THEN $2 + make_interval(secs => $4)
                 ELSE f.blocked_until END",
    )
    .bind::<Text, _>(key)
    .bind::<Timestamptz, _>(now)
    .bind::<Int4, _>(max)
    .bind::<Int4, _>(window_secs)
    .execute(conn)?;
    Ok(())
}

/// Forgets an account's failures (after a successful sign-in).
pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM login_failures WHERE key = $1")
        .bind::<Text, _>(key)
        .execute(conn)?;
    Ok(())
}

/// Drops up to 100 entries whose window and block are long over, so guessing at many made-up
/// accounts does not grow the table without bound.
pub fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM login_failures WHERE key IN (
             SELECT key FROM login_failures
              WHERE window_start < $1 AND (blocked_until IS NULL OR blocked_until < $1)
              LIMIT 100)",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)?;
    Ok(())
}
