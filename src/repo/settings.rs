//! Organisation-wide settings (JSON by key) and the computed tiers they drive.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bigint, Integer, Nullable, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::settings;

/// A setting's value, who set it and when.
pub type Setting = (serde_json::Value, Option<Uuid>, DateTime<Utc>);

pub fn get(conn: &mut PgConnection, key: &str) -> QueryResult<Option<Setting>> {
    settings::table
        .find(key)
        .select((settings::value, settings::updated_by, settings::updated_at))
        .first(conn)
        .optional()
}

pub fn put(
    conn: &mut PgConnection,
    key: &str,
    value: &serde_json::Value,
    by: Uuid,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(settings::table)
        .values((
            settings::key.eq(key),
            settings::value.eq(value),
            settings::updated_by.eq(by),
            settings::updated_at.eq(at),
        ))
        .on_conflict(settings::key)
        .do_update()
        .set((
            settings::value.eq(value),
            settings::updated_by.eq(by),
            settings::updated_at.eq(at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// One person's record for the tier policy.
#[derive(Debug, QueryableByName)]
pub struct Record {
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Nullable<Integer>)]
    pub tier: Option<i32>,
    #[diesel(sql_type = Bigint)]
    pub claims: i64,
    #[diesel(sql_type = Bigint)]
    pub converted: i64,
}

/// Claims started since `since` and how many of them ended converted, for every active
/// salesperson and manager whose tier is not pinned by an admin.
pub fn records_since(conn: &mut PgConnection, since: DateTime<Utc>) -> QueryResult<Vec<Record>> {
    diesel::sql_query(
        "SELECT u.id AS user_id, u.tier,
                count(c.id) AS claims,
                count(c.id) FILTER (WHERE c.end_reason = 'converted') AS converted
           FROM users u
           LEFT JOIN claims c ON c.user_id = u.id AND c.started_at >= $1
          WHERE u.role IN ('sales', 'manager') AND u.active AND NOT u.tier_pinned
          GROUP BY u.id
          ORDER BY u.id",
    )
    .bind::<Timestamptz, _>(since)
    .load(conn)
}

/// Sets a computed tier (not for pinned users).
pub fn set_computed_tier(
    conn: &mut PgConnection,
    user_id: Uuid,
    tier: Option<i32>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    use crate::db::schema::users;
    diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::tier_pinned.eq(false)),
    )
    .set((users::tier.eq(tier), users::updated_at.eq(now)))
    .execute(conn)
}
