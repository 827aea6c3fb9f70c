//! Reports' one home: the projection of the facts into rollups (`projector`, `fold.sql`,
//! `rebuild.sql`) and the report queries over it (one `.sql` file each, next to this one, so it
//! can be read and `EXPLAIN`ed as it is). A query reads the rollups plus the fold of what was
//! committed since the projection's watermark, so its answer counts every fact its snapshot
//! sees; medians are taken over the facts themselves (index-only scans), so they stay exact.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Date, Double, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::domain::period::Period;

mod funnel;
pub mod projector;

pub use funnel::*;

/// A report query (a file next to this one) with the fold's definitions in place of `{fold}`,
/// made once.
macro_rules! folded {
    ($file:literal) => {{
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        SQL.get_or_init(|| include_str!($file).replace("{fold}", projector::FOLD.trim_end()))
            .as_str()
    }};
}

/// What the conversion report groups by: a column of `leads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionKey {
    Source,
    Industry,
    CompanySize,
    Pool,
    Grade,
}

impl ConversionKey {
    fn column(self) -> &'static str {
        match self {
            Self::Source => "l.source_channel",
            Self::Industry => "l.industry",
            Self::CompanySize => "l.company_size",
            Self::Pool => "l.pool_id",
            Self::Grade => "l.grade",
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ConversionRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub key: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub created: i64,
    #[diesel(sql_type = BigInt)]
    pub claimed: i64,
    #[diesel(sql_type = BigInt)]
    pub converted: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub median_days_to_convert: Option<f64>,
}

/// Conversion of the leads created in `[start, end)`; with `people`, only the leads they held,
/// converted when one of them converted it.
pub fn conversion(
    conn: &mut PgConnection,
    key: ConversionKey,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    people: Option<&[Uuid]>,
) -> QueryResult<Vec<ConversionRow>> {
    match people {
        None => {
            diesel::sql_query(include_str!("conversion_all.sql").replace("{key}", key.column()))
                .bind::<Timestamptz, _>(start)
                .bind::<Timestamptz, _>(end)
                .load(conn)
        }
        Some(people) => {
            diesel::sql_query(include_str!("conversion_scoped.sql").replace("{key}", key.column()))
                .bind::<Timestamptz, _>(start)
                .bind::<Timestamptz, _>(end)
                .bind::<Array<SqlUuid>, _>(people)
                .load(conn)
        }
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct SalespersonRow {
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub team_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    pub claims: i64,
    #[diesel(sql_type = BigInt)]
    pub self_claim: i64,
    #[diesel(sql_type = BigInt)]
    pub capability: i64,
    #[diesel(sql_type = BigInt)]
    pub round_robin: i64,
    #[diesel(sql_type = BigInt)]
    pub manager_assign: i64,
    #[diesel(sql_type = BigInt)]
    pub transfer: i64,
    #[diesel(sql_type = BigInt)]
    pub intake_route: i64,
    #[diesel(sql_type = BigInt)]
    pub followed_up: i64,
    #[diesel(sql_type = BigInt)]
    pub claims_converted: i64,
    #[diesel(sql_type = BigInt)]
    pub recycled_no_first_follow_up: i64,
    #[diesel(sql_type = BigInt)]
    pub recycled_no_contact: i64,
    #[diesel(sql_type = BigInt)]
    pub recycled_no_progress: i64,
    #[diesel(sql_type = BigInt)]
    pub recycled_no_deal: i64,
    #[diesel(sql_type = BigInt)]
    pub released: i64,
    #[diesel(sql_type = BigInt)]
    pub transferred: i64,
    #[diesel(sql_type = BigInt)]
    pub conversions: i64,
    #[diesel(sql_type = BigInt)]
    pub closed: i64,
    #[diesel(sql_type = BigInt)]
    pub follow_ups: i64,
    #[diesel(sql_type = BigInt)]
    pub call: i64,
    #[diesel(sql_type = BigInt)]
    pub visit: i64,
    #[diesel(sql_type = BigInt)]
    pub wechat: i64,
    #[diesel(sql_type = BigInt)]
    pub email: i64,
    #[diesel(sql_type = BigInt)]
    pub sms: i64,
    #[diesel(sql_type = BigInt)]
    pub meeting: i64,
    #[diesel(sql_type = BigInt)]
    pub other: i64,
    #[diesel(sql_type = BigInt)]
    pub held_now: i64,
    /// Hours from the start of a hold to its first follow-up, the median over the person's holds
    /// started in the period that have one (not rounded).
    #[diesel(sql_type = Nullable<Double>)]
    pub median_first_follow_up_hours: Option<f64>,
}

/// Per person of `people` (every non-admin when `None`), optionally of one team.
pub fn salespeople(
    conn: &mut PgConnection,
    period: &Period,
    people: Option<&[Uuid]>,
    team_id: Option<Uuid>,
) -> QueryResult<Vec<SalespersonRow>> {
    diesel::sql_query(folded!("salespeople.sql"))
        .bind::<Timestamptz, _>(period.start)
        .bind::<Timestamptz, _>(period.end)
        .bind::<Nullable<Array<SqlUuid>>, _>(people)
        .bind::<Nullable<SqlUuid>, _>(team_id)
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .load(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PoolHealthRow {
    #[diesel(sql_type = SqlUuid)]
    pub pool_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub intake: i64,
    #[diesel(sql_type = BigInt)]
    pub import: i64,
    #[diesel(sql_type = BigInt)]
    pub manual: i64,
    #[diesel(sql_type = BigInt)]
    pub releases: i64,
    #[diesel(sql_type = BigInt)]
    pub recycles: i64,
    #[diesel(sql_type = BigInt)]
    pub claims: i64,
    #[diesel(sql_type = BigInt)]
    pub assignments: i64,
    #[diesel(sql_type = BigInt)]
    pub distributed: i64,
    #[diesel(sql_type = BigInt)]
    pub backlog: i64,
    #[diesel(sql_type = BigInt)]
    pub never_claimed_over_30_days: i64,
    /// Hours the leads taken from the pool in the period had waited in it, the median (not
    /// rounded).
    #[diesel(sql_type = Nullable<Double>)]
    pub median_hours_in_pool: Option<f64>,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct ChurnRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub pool_id: Option<Uuid>,
    #[diesel(sql_type = SqlUuid)]
    pub user_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = BigInt)]
    pub claims: i64,
    #[diesel(sql_type = BigInt)]
    pub recycled: i64,
}

/// Flows, backlog and recycle churn of the pools `pools` (all when `None`).
pub fn pool_health(
    conn: &mut PgConnection,
    period: &Period,
    pools: Option<&[Uuid]>,
    now: DateTime<Utc>,
) -> QueryResult<(Vec<PoolHealthRow>, Vec<ChurnRow>)> {
    let health = diesel::sql_query(folded!("pool_health.sql"))
        .bind::<Timestamptz, _>(period.start)
        .bind::<Timestamptz, _>(period.end)
        .bind::<Nullable<Array<SqlUuid>>, _>(pools)
        .bind::<Timestamptz, _>(now)
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .load(conn)?;
    let churn = diesel::sql_query(folded!("pool_churn.sql"))
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .bind::<Nullable<Array<SqlUuid>>, _>(pools)
        .load(conn)?;
    Ok((health, churn))
}

#[derive(Debug, Clone, QueryableByName)]
pub struct TimingRow {
    #[diesel(sql_type = Int4)]
    pub weekday: i32,
    #[diesel(sql_type = Int4)]
    pub hour: i32,
    #[diesel(sql_type = BigInt)]
    pub follow_ups: i64,
    #[diesel(sql_type = BigInt)]
    pub advanced: i64,
    #[diesel(sql_type = BigInt)]
    pub converted: i64,
    #[diesel(sql_type = BigInt)]
    pub converted_not_advanced: i64,
}

/// Follow-ups by local weekday (1 = Monday) and hour, with those after which the lead
/// converted within 7 days.
pub fn follow_up_timing(
    conn: &mut PgConnection,
    period: &Period,
    people: Option<&[Uuid]>,
) -> QueryResult<Vec<TimingRow>> {
    match people {
        None => diesel::sql_query(folded!("follow_up_timing_all.sql"))
            .bind::<Date, _>(period.from)
            .bind::<Date, _>(period.to)
            .load(conn),
        Some(people) => diesel::sql_query(folded!("follow_up_timing_scoped.sql"))
            .bind::<Date, _>(period.from)
            .bind::<Date, _>(period.to)
            .bind::<Array<SqlUuid>, _>(people)
            .load(conn),
    }
}

/// The people a manager answers for: themselves and the members of the teams they manage and of
/// every team below those.
pub fn managed_people(conn: &mut PgConnection, manager: Uuid) -> QueryResult<Vec<Uuid>> {
    use crate::db::schema::users;
    let mut people: Vec<Uuid> = users::table
        .filter(users::team_id.eq_any(crate::managed_teams!(manager)))
        .select(users::id)
        .load(conn)?;
    if !people.contains(&manager) {
        people.push(manager);
    }
    Ok(people)
}

/// The pools any of `people` is a member of (directly, or through their team or a team above it).
pub fn pools_of(conn: &mut PgConnection, people: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    crate::repo::pools::ids_for_members(conn, people)
}
