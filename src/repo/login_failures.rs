//! Failed sign-ins per account and per client address, for slowing down password guessing.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Nullable, Text, Timestamptz};

/// One key's failures in the current window and how long its delay still lasts.
#[derive(Debug, Clone, Default, QueryableByName)]
pub struct Standing {
    #[diesel(sql_type = Text)]
    pub key: String,
    /// Failures in the window that is still open (0 when it has closed).
    #[diesel(sql_type = Int4)]
    pub failures: i32,
    /// Whole seconds (rounded up) until the key may try again; `None` when it may now.
    #[diesel(sql_type = Nullable<Int4>)]
    pub blocked_secs: Option<i32>,
}

/// The standing of each of `keys` that has failures on record (`window_secs`: the window they
/// are counted in).
pub fn standing(
    conn: &mut PgConnection,
    keys: &[String],
    window_secs: i32,
    now: DateTime<Utc>,
) -> QueryResult<Vec<Standing>> {
    diesel::sql_query(
        "SELECT key,
                CASE WHEN window_start > $2 - make_interval(secs => $3) THEN failures ELSE 0 END
                    AS failures,
                CASE WHEN blocked_until > $2
                     THEN greatest(1, ceil(extract(epoch FROM blocked_until - $2)))::int4 END
                    AS blocked_secs
           FROM login_failures WHERE key = ANY($1)",
    )
    .bind::<Array<Text>, _>(keys)
    .bind::<Timestamptz, _>(now)
    .bind::<Int4, _>(window_secs)
    .load(conn)
}

/// Counts a failure for `key`: failures within `window_secs` of the first one add up. From the
/// `max`-th on, each failure delays the key's next try: 1 s, then twice as long with each
/// further failure, never longer than `window_secs`. Atomic, so concurrent failures all count.
pub fn record(
    conn: &mut PgConnection,
    key: &str,
    max: i32,
    window_secs: i32,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    // The failures this one makes: 1 when the window has closed, one more otherwise.
    const N: &str = "(CASE WHEN f.window_start <= $2 - make_interval(secs => $4) THEN 1 ELSE f.failures + 1 END)";
    diesel::sql_query(format!(
        "INSERT INTO login_failures AS f (key, failures, window_start, blocked_until)
         VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2 + make_interval(secs => least($4, 1)) END)
         ON CONFLICT (key) DO UPDATE SET
             failures = {N},
             window_start = CASE WHEN f.window_start <= $2 - make_interval(secs => $4) THEN $2 ELSE f.window_start END,
             blocked_until = CASE
                 WHEN {N} >= $3
                 THEN $2 + make_interval(secs => least($4::float8, power(2, least({N} - $3, 30))))
                 ELSE f.blocked_until END"
    ))
    .bind::<Text, _>(key)
    .bind::<Timestamptz, _>(now)
    .bind::<Int4, _>(max)
    .bind::<Int4, _>(window_secs)
    .execute(conn)?;
    Ok(())
}

/// Forgets a key's failures (an account's from an address, after a successful sign-in).
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
