//! Reports over HTTP: conversion, salespeople, pool health, follow-up timing and the sales funnel,
//! as JSON or (with `Accept: text/csv`) as CSV with the same figures.
//!
//! The figures come from the recorded facts: leads (when created, first claimed, converted),
//! claim records (each hold: how it started, how it ended, its first follow-up) and follow-ups,
//! through their projection into daily rollups (`repo::reports`) plus whatever was recorded since
//! it last caught up, so an answer is exact as of its `as_of`. Periods are whole days in the
//! organisation's time zone (`LEADPOOL_TIMEZONE`), `from` and `to` included.

mod conversion;
mod funnel;
mod pool_health;
mod salespeople;
mod timing;

pub use conversion::*;
pub use funnel::*;
pub use pool_health::*;
pub use salespeople::*;
pub use timing::*;

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
        .service(conversion_report_csv)
        .service(salespeople_report)
        .service(salespeople_report_csv)
        .service(pool_health_report)
        .service(pool_health_report_csv)
        .service(follow_up_timing_report)
        .service(follow_up_timing_report_csv)
        .service(funnel_report)
        .service(funnel_report_csv);
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
pub(super) async fn read<T, F>(state: &AppState, work: F) -> Result<(T, DateTime<Utc>), AppError>
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
