//! The sales funnel (销售漏斗): of the holds started in a period, how many reached each stage and
//! how long they spent in each; and what is held in each stage now. Read from the facts
//! themselves (claims, and the follow-ups that moved a hold's stage, through their indexes), so
//! counts and medians are exact and current.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Double, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use uuid::Uuid;

use crate::domain::period::Period;

/// What the funnel is of: the holders (everyone when `None`), a pool, a lead source.
#[derive(Debug, Clone, Default)]
pub struct FunnelScope {
    pub people: Option<Vec<Uuid>>,
    pub pool_id: Option<Uuid>,
    pub source: Option<String>,
}

/// One stage of the period.
#[derive(Debug, Clone, QueryableByName)]
pub struct FunnelRow {
    #[diesel(sql_type = Text)]
    pub stage: String,
    /// 1 (`new`) to 7 (`lost`).
    #[diesel(sql_type = Int4)]
    pub position: i32,
    #[diesel(sql_type = BigInt)]
    pub reached: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub median_hours: Option<f64>,
}

/// Leads held now in one stage.
#[derive(Debug, Clone, QueryableByName)]
pub struct StageNow {
    #[diesel(sql_type = Nullable<Text>)]
    pub stage: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
}

pub fn funnel(
    conn: &mut PgConnection,
    period: &Period,
    scope: &FunnelScope,
) -> QueryResult<Vec<FunnelRow>> {
    diesel::sql_query(include_str!("funnel.sql"))
        .bind::<Timestamptz, _>(period.start)
        .bind::<Timestamptz, _>(period.end)
        .bind::<Nullable<Array<SqlUuid>>, _>(scope.people.as_deref())
        .bind::<Nullable<SqlUuid>, _>(scope.pool_id)
        .bind::<Nullable<Text>, _>(scope.source.as_deref())
        .load(conn)
}

pub fn funnel_now(conn: &mut PgConnection, scope: &FunnelScope) -> QueryResult<Vec<StageNow>> {
    diesel::sql_query(include_str!("funnel_now.sql"))
        .bind::<Nullable<Array<SqlUuid>>, _>(scope.people.as_deref())
        .bind::<Nullable<SqlUuid>, _>(scope.pool_id)
        .bind::<Nullable<Text>, _>(scope.source.as_deref())
        .load(conn)
}
