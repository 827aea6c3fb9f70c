//! Reports over HTTP: conversion, salespeople, pool health and follow-up timing, as JSON or (with
//! `Accept: text/csv`) as CSV with the same figures.
//!
//! The figures come from the recorded facts: leads (when created, first claimed, converted),
//! claim records (each hold: how it started, how it ended, its first follow-up) and follow-ups,
//! through their projection into daily rollups (`repo::reports`) plus whatever was recorded since
//! it last caught up, so an answer is exact as of its `as_of`. Periods are whole days in the
//! organisation's time zone (`LEADPOOL_TIMEZONE`), `from` and `to` included.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::csv;
use super::extract::QueryParams;
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::domain::period::{MAX_DAYS, Period, PeriodError, round2};
use crate::error::{AppError, Problem};
use crate::repo::reports::ConversionKey;
use crate::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(conversion_report)
        .service(salespeople_report)
        .service(pool_health_report)
        .service(follow_up_timing_report);
}

/// The period a report covers, as answered, and how current it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPeriod {
    /// First day, in `time_zone`.
    pub from: NaiveDate,
    /// Last day (included), in `time_zone`.
    pub to: NaiveDate,
    /// The organisation's time zone the days are in, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// The instant the figures are exact for: every fact recorded before it is counted, none
    /// after. Reports read the projection of the facts plus the facts recorded since it last
    /// caught up (at most a few seconds' worth), so this is the moment of the request; from a
    /// read replica (`DATABASE_READ_URL`) it is earlier by the replica's replay delay.
    pub as_of: DateTime<Utc>,
}

/// Reads a report in one snapshot, with the instant it is exact for.
async fn read<T, F>(state: &AppState, work: F) -> Result<(T, DateTime<Utc>), AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, AppError> + Send + 'static,
{
    let now = state.clock.now();
    db::read_only(&state.read_pool, move |conn| {
        let as_of = service::reports::as_of(conn, now)?;
        Ok((work(conn)?, as_of))
    })
    .await
}

impl ReportPeriod {
    fn new(p: &Period, state: &AppState, as_of: DateTime<Utc>) -> Self {
        Self {
            from: p.from,
            to: p.to,
            time_zone: state.config.timezone.name().to_string(),
            as_of,
        }
    }
}

fn period(
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Period, AppError> {
    let tz = state.config.timezone;
    let p = Period::new(from, to, tz, state.clock.now()).map_err(|e| match e {
        PeriodError::Reversed => {
            AppError::validation("from", "after_to", "`from` must not be after `to`")
        }
        PeriodError::TooLong => AppError::validation(
            "to",
            "period_too_long",
            format!("a report covers at most {MAX_DAYS} days"),
        ),
    })?;
    Ok(p)
}

/// `part / whole`, or nothing when `whole` is 0.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

// ---------------------------------------------------------------------------------------------
// Conversion

/// What the conversion report groups leads by.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConversionGroup {
    /// Source channel (`website`, `referral`, ...).
    #[default]
    Source,
    Industry,
    CompanySize,
    /// The pool the lead belongs to now.
    Pool,
    /// Grade `A` to `D`.
    Grade,
}

/// The period and grouping of the conversion report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversionQuery {
    /// `source` (default), `industry`, `company_size`, `pool` or `grade`.
    #[param(inline)]
    pub group_by: Option<ConversionGroup>,
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
}

/// One group of the conversion report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionGroupFigures {
    /// The group's value (a source channel, an industry, a pool id, ...); `null` for leads
    /// where it is not recorded.
    pub key: Option<String>,
    /// What to show: the pool's name for pools, otherwise the key.
    pub label: Option<String>,
    /// Leads created in the period (for managers and salespeople: those their teams or they held
    /// at some time).
    pub created: i64,
    /// Of those, leads claimed or assigned at least once (by now).
    pub claimed: i64,
    /// Of those, leads converted (won) by now (for managers and salespeople: converted by
    /// them or their teams).
    pub converted: i64,
    /// `converted / created`; `null` when nothing was created.
    pub conversion_rate: Option<f64>,
    /// Median of (conversion time − creation time) in days over the converted leads, rounded to
    /// 0.01; `null` when none converted.
    pub median_days_to_convert: Option<f64>,
}

/// Conversion of the leads created in a period, by group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    pub group_by: ConversionGroup,
    /// Groups in key order, `null` last.
    pub groups: Vec<ConversionGroupFigures>,
}

/// Conversion by source, industry, company size, pool or grade: of the leads **created** in the
/// period (a cohort), how many were claimed and converted by now, and how long conversion took.
/// Admins see every lead; managers the leads their teams held; salespeople the leads they held.
#[utoipa::path(
    tag = "reports",
    params(ConversionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (CSV with `Accept: text/csv`: one row per group, the same columns)",
            content((ConversionReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `group_by`, day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/conversion")]
async fn conversion_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<ConversionQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let group = q.group_by.unwrap_or_default();
    let key = match group {
        ConversionGroup::Source => ConversionKey::Source,
        ConversionGroup::Industry => ConversionKey::Industry,
        ConversionGroup::CompanySize => ConversionKey::CompanySize,
        ConversionGroup::Pool => ConversionKey::Pool,
        ConversionGroup::Grade => ConversionKey::Grade,
    };
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::conversion(conn, &user, key, p.start, p.end)
    })
    .await?;
    let groups: Vec<ConversionGroupFigures> = rows
        .into_iter()
        .map(|(row, label)| ConversionGroupFigures {
            conversion_rate: rate(row.converted, row.created),
            key: row.key,
            label,
            created: row.created,
            claimed: row.claimed,
            converted: row.converted,
            median_days_to_convert: row.median_days_to_convert,
        })
        .collect();
    if csv::wanted(&req) {
        return csv::answer(
            &[
                "key",
                "label",
                "created",
                "claimed",
                "converted",
                "conversion_rate",
                "median_days_to_convert",
            ],
            &groups,
            "conversion.csv",
        );
    }
    Ok(HttpResponse::Ok().json(ConversionReport {
        period: ReportPeriod::new(&p, &state, as_of),
        group_by: group,
        groups,
    }))
}

// ---------------------------------------------------------------------------------------------
// Salespeople

/// The period and team of the salespeople report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalespeopleQuery {
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
    /// Only this team's people (managers: a team they manage; salespeople may not filter).
    pub team_id: Option<Uuid>,
}

/// One person's figures for the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalespersonFigures {
    pub user_id: Uuid,
    pub name: String,
    pub team_id: Option<Uuid>,
    /// Holds that started in the period (claim records), all ways.
    pub claims: i64,
    /// ... of them taken by the person (`self_claim`).
    pub claims_self: i64,
    /// ... taken in a capability-mode pool.
    pub claims_capability: i64,
    /// ... handed out by round robin (`next-lead`, distribution).
    pub claims_round_robin: i64,
    /// ... assigned by a manager or admin.
    pub claims_assigned: i64,
    /// ... transferred to the person.
    pub claims_transferred_in: i64,
    /// ... routed to the person at intake.
    pub claims_intake: i64,
    /// Follow-ups the person recorded in the period, all types.
    pub follow_ups: i64,
    pub follow_ups_call: i64,
    pub follow_ups_visit: i64,
    pub follow_ups_wechat: i64,
    pub follow_ups_email: i64,
    pub follow_ups_sms: i64,
    pub follow_ups_meeting: i64,
    pub follow_ups_other: i64,
    /// Of the holds started in the period, those with a follow-up by now.
    pub claims_followed_up: i64,
    /// Median hours from the start of a hold to its first follow-up, over the holds started in
    /// the period that have one, rounded to 0.01; `null` when none has.
    pub median_first_follow_up_hours: Option<f64>,
    /// Holds of the person that ended in the period because the lead was recycled, all reasons.
    pub recycled: i64,
    pub recycled_no_first_follow_up: i64,
    pub recycled_no_contact: i64,
    pub recycled_no_progress: i64,
    pub recycled_no_deal: i64,
    /// Holds that ended in the period by a release (approved or direct).
    pub released: i64,
    /// Holds that ended in the period by a transfer to someone else.
    pub transferred_out: i64,
    /// Holds that ended in the period by a conversion (won).
    pub conversions: i64,
    /// Holds that ended in the period by closing the lead.
    pub closed: i64,
    /// Of the holds started in the period, those that ended in a conversion by now.
    pub claims_converted: i64,
    /// `claims_converted / claims`; `null` without claims.
    pub conversion_rate: Option<f64>,
    /// Leads the person holds now.
    pub held_now: i64,
}

impl SalespersonFigures {
    fn new(r: crate::repo::reports::SalespersonRow) -> Self {
        Self {
            conversion_rate: rate(r.claims_converted, r.claims),
            recycled: r.recycled_no_first_follow_up
                + r.recycled_no_contact
                + r.recycled_no_progress
                + r.recycled_no_deal,
            user_id: r.user_id,
            name: r.name,
            team_id: r.team_id,
            claims: r.claims,
            claims_self: r.self_claim,
            claims_capability: r.capability,
            claims_round_robin: r.round_robin,
            claims_assigned: r.manager_assign,
            claims_transferred_in: r.transfer,
            claims_intake: r.intake_route,
            follow_ups: r.follow_ups,
            follow_ups_call: r.call,
            follow_ups_visit: r.visit,
            follow_ups_wechat: r.wechat,
            follow_ups_email: r.email,
            follow_ups_sms: r.sms,
            follow_ups_meeting: r.meeting,
            follow_ups_other: r.other,
            claims_followed_up: r.followed_up,
            median_first_follow_up_hours: r.median_first_follow_up_hours.map(round2),
            recycled_no_first_follow_up: r.recycled_no_first_follow_up,
            recycled_no_contact: r.recycled_no_contact,
            recycled_no_progress: r.recycled_no_progress,
            recycled_no_deal: r.recycled_no_deal,
            released: r.released,
            transferred_out: r.transferred,
            conversions: r.conversions,
            closed: r.closed,
            claims_converted: r.claims_converted,
            held_now: r.held_now,
        }
    }
}

/// Per person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalespeopleReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    /// By name.
    pub people: Vec<SalespersonFigures>,
}

const SALESPEOPLE_HEADER: &[&str] = &[
    "user_id",
    "name",
    "team_id",
    "claims",
    "claims_self",
    "claims_capability",
    "claims_round_robin",
    "claims_assigned",
    "claims_transferred_in",
    "claims_intake",
    "follow_ups",
    "follow_ups_call",
    "follow_ups_visit",
    "follow_ups_wechat",
    "follow_ups_email",
    "follow_ups_sms",
    "follow_ups_meeting",
    "follow_ups_other",
    "claims_followed_up",
    "median_first_follow_up_hours",
    "recycled",
    "recycled_no_first_follow_up",
    "recycled_no_contact",
    "recycled_no_progress",
    "recycled_no_deal",
    "released",
    "transferred_out",
    "conversions",
    "closed",
    "claims_converted",
    "conversion_rate",
    "held_now",
];

/// Per salesperson (and manager holding leads): claims by how they started, follow-ups by type,
/// first-follow-up latency, leads recycled from them by reason, releases, conversions and what
/// they hold now. Activity counts are of the period (holds started, holds ended, follow-ups
/// recorded in it). Salespeople see themselves; managers their teams; admins everyone.
#[utoipa::path(
    tag = "reports",
    params(SalespeopleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (CSV with `Accept: text/csv`: one row per person, the same columns)",
            content((SalespeopleReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`team_id` of a team the caller does not manage (or any `team_id` from a salesperson)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or team id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/salespeople")]
async fn salespeople_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<SalespeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::salespeople(conn, &user, &p, q.team_id)
    })
    .await?;
    let people: Vec<SalespersonFigures> = rows.into_iter().map(SalespersonFigures::new).collect();
    if csv::wanted(&req) {
        return csv::answer(SALESPEOPLE_HEADER, &people, "salespeople.csv");
    }
    Ok(HttpResponse::Ok().json(SalespeopleReport {
        period: ReportPeriod::new(&p, &state, as_of),
        people,
    }))
}

// ---------------------------------------------------------------------------------------------
// Pool health

/// The period and pool of the pool-health report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PoolHealthQuery {
    /// Only this pool (managers: a pool their teams belong to).
    pub pool_id: Option<Uuid>,
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
}

/// A person who let leads of the pool go back by recycling.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChurnFigures {
    pub user_id: Uuid,
    pub name: String,
    /// Holds of the person from the pool that started in the period (any way).
    pub claims: i64,
    /// Of them, how many were recycled by now.
    pub recycled: i64,
    /// `recycled / claims`: a high share is claim-and-neglect (hoarding).
    pub recycled_share: f64,
}

/// One pool's flows in the period and its state now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolHealthFigures {
    pub pool_id: Uuid,
    pub name: String,
    /// Leads created in the period that belong to the pool, from web-form intake (or the
    /// intake API).
    pub inflow_intake: i64,
    /// ... from file imports.
    pub inflow_import: i64,
    /// ... entered by hand.
    pub inflow_manual: i64,
    /// Holds of leads taken from the pool that ended in the period by a release.
    pub inflow_releases: i64,
    /// Holds of leads taken from the pool that ended in the period by recycling.
    pub inflow_recycles: i64,
    /// Holds taken from the pool in the period by claiming (first come or capability).
    pub outflow_claims: i64,
    /// ... by a manager's or admin's assignment.
    pub outflow_assignments: i64,
    /// ... by round robin (`next-lead`, distribution).
    pub outflow_distributed: i64,
    /// Median hours a lead had waited in the pool (since it last entered it) when taken, over
    /// the holds taken in the period, rounded to 0.01; `null` when none.
    pub median_hours_in_pool: Option<f64>,
    /// Leads in the pool now.
    pub backlog: i64,
    /// Leads in the pool now that were created more than 30 days ago and never claimed.
    pub never_claimed_over_30_days: i64,
    /// People whose holds from this pool (taken in the period) were recycled, most first.
    /// Not in the CSV answer.
    pub churn: Vec<ChurnFigures>,
}

/// Pool health per pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolHealthReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    /// By name.
    pub pools: Vec<PoolHealthFigures>,
}

/// A pool as a CSV row: the figures without the churn list.
#[derive(Serialize)]
struct PoolHealthRecord<'a> {
    pool_id: Uuid,
    name: &'a str,
    inflow_intake: i64,
    inflow_import: i64,
    inflow_manual: i64,
    inflow_releases: i64,
    inflow_recycles: i64,
    outflow_claims: i64,
    outflow_assignments: i64,
    outflow_distributed: i64,
    median_hours_in_pool: Option<f64>,
    backlog: i64,
    never_claimed_over_30_days: i64,
}

const POOL_HEALTH_HEADER: &[&str] = &[
    "pool_id",
    "name",
    "inflow_intake",
    "inflow_import",
    "inflow_manual",
    "inflow_releases",
    "inflow_recycles",
    "outflow_claims",
    "outflow_assignments",
    "outflow_distributed",
    "median_hours_in_pool",
    "backlog",
    "never_claimed_over_30_days",
];

/// Pool health: inflow (new leads by way in, releases, recycles), outflow (claims, assignments,
/// round robin), the backlog now, median time in the pool before a claim, leads never claimed
/// for over 30 days, and per-person recycle churn. Managers see the pools their teams belong to;
/// admins all.
#[utoipa::path(
    tag = "reports",
    params(PoolHealthQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (CSV with `Accept: text/csv`: one row per pool, without `churn`)",
            content((PoolHealthReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A salesperson, or `pool_id` of a pool the manager's teams are not members of", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or pool id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/pool-health")]
async fn pool_health_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<PoolHealthQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let now = state.clock.now();
    let ((rows, churn), as_of) = read(&state, move |conn| {
        service::reports::pool_health(conn, &user, &p, q.pool_id, now)
    })
    .await?;
    let pools: Vec<PoolHealthFigures> = rows
        .into_iter()
        .map(|r| PoolHealthFigures {
            churn: churn
                .iter()
                .filter(|c| c.pool_id == Some(r.pool_id))
                .map(|c| ChurnFigures {
                    user_id: c.user_id,
                    name: c.name.clone(),
                    claims: c.claims,
                    recycled: c.recycled,
                    recycled_share: rate(c.recycled, c.claims).unwrap_or(0.0),
                })
                .collect(),
            pool_id: r.pool_id,
            name: r.name,
            inflow_intake: r.intake,
            inflow_import: r.import,
            inflow_manual: r.manual,
            inflow_releases: r.releases,
            inflow_recycles: r.recycles,
            outflow_claims: r.claims,
            outflow_assignments: r.assignments,
            outflow_distributed: r.distributed,
            median_hours_in_pool: r.median_hours_in_pool.map(round2),
            backlog: r.backlog,
            never_claimed_over_30_days: r.never_claimed_over_30_days,
        })
        .collect();
    if csv::wanted(&req) {
        return csv::answer(
            POOL_HEALTH_HEADER,
            pools.iter().map(|p| PoolHealthRecord {
                pool_id: p.pool_id,
                name: &p.name,
                inflow_intake: p.inflow_intake,
                inflow_import: p.inflow_import,
                inflow_manual: p.inflow_manual,
                inflow_releases: p.inflow_releases,
                inflow_recycles: p.inflow_recycles,
                outflow_claims: p.outflow_claims,
                outflow_assignments: p.outflow_assignments,
                outflow_distributed: p.outflow_distributed,
                median_hours_in_pool: p.median_hours_in_pool,
                backlog: p.backlog,
                never_claimed_over_30_days: p.never_claimed_over_30_days,
            }),
            "pool-health.csv",
        );
    }
    Ok(HttpResponse::Ok().json(PoolHealthReport {
        period: ReportPeriod::new(&p, &state, as_of),
        pools,
    }))
}

// ---------------------------------------------------------------------------------------------
// Follow-up timing

/// The period of the follow-up timing report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimingQuery {
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
}

/// Follow-ups made in one hour of one weekday (organisation time zone), over the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimingCell {
    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    pub weekday: i32,
    /// Hour of day, 0 to 23 (14 = from 14:00 to 14:59).
    pub hour: i32,
    pub follow_ups: i64,
    /// Those that moved the lead's stage forward (any stage but `lost`).
    pub advanced: i64,
    /// Those after which the lead was converted within 7 days.
    pub converted_within_7_days: i64,
    /// Those that advanced the stage or were followed by a conversion within 7 days.
    pub effective: i64,
    /// `effective / follow_ups`; `null` when no follow-ups.
    pub effective_rate: Option<f64>,
}

/// All 168 hours of the week, Monday 0:00 first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimingReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    pub cells: Vec<TimingCell>,
}

/// When contact is most effective: follow-ups of the period by local weekday × hour, and the
/// share that advanced the stage or were followed by the lead's conversion within 7 days.
/// Salespeople see their own follow-ups; managers their teams'; admins everyone's.
#[utoipa::path(
    tag = "reports",
    params(TimingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (CSV with `Accept: text/csv`: one row per weekday and hour, the same columns)",
            content((TimingReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/follow-up-timing")]
async fn follow_up_timing_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<TimingQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::follow_up_timing(conn, &user, &p)
    })
    .await?;
    let mut cells = Vec::with_capacity(168);
    for weekday in 1..=7 {
        for hour in 0..24 {
            let (n, advanced, converted, not_advanced) = rows
                .iter()
                .find(|r| r.weekday == weekday && r.hour == hour)
                .map_or((0, 0, 0, 0), |r| {
                    (
                        r.follow_ups,
                        r.advanced,
                        r.converted,
                        r.converted_not_advanced,
                    )
                });
            let effective = advanced + not_advanced;
            cells.push(TimingCell {
                weekday,
                hour,
                follow_ups: n,
                advanced,
                converted_within_7_days: converted,
                effective,
                effective_rate: rate(effective, n),
            });
        }
    }
    if csv::wanted(&req) {
        return csv::answer(&[], &cells, "follow-up-timing.csv");
    }
    Ok(HttpResponse::Ok().json(TimingReport {
        period: ReportPeriod::new(&p, &state, as_of),
        cells,
    }))
}
