//! `GET /reports/follow-up-timing`: how soon holds get their first follow-up, by hour and weekday.

use super::*;

/// The period of the follow-up timing report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimingQuery {
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
    /// Only the follow-ups of the people of this team and the teams below it (for a manager, one
    /// of the teams they answer for; 403 otherwise).
    pub team_id: Option<Uuid>,
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

/// Reports when contact is most effective, by local weekday and hour
///
/// When contact is most effective: follow-ups of the period by local weekday × hour, and the
/// share that advanced the stage or were followed by the lead's conversion within 7 days.
/// Salespeople see their own follow-ups; managers their teams'; admins everyone's.
#[utoipa::path(
    tag = "reports",
    params(TimingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (with `Accept: text/csv`, the CSV of `GET /reports/follow-up-timing.csv`)",
            body = TimingReport),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A team outside the caller's scope (`team_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/follow-up-timing")]
pub(super) async fn follow_up_timing_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<TimingQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    follow_up_timing_report_answer(state, user, query, as_csv).await
}

/// The follow-up timing report as CSV
///
/// The figures of `GET /reports/follow-up-timing` for the same query, one row per weekday and
/// hour, the same columns.
#[utoipa::path(
    tag = "reports",
    params(TimingQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A team outside the caller's scope (`team_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/follow-up-timing.csv")]
pub(super) async fn follow_up_timing_report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<TimingQuery>,
) -> Result<HttpResponse, AppError> {
    follow_up_timing_report_answer(state, user, query, true).await
}

async fn follow_up_timing_report_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<TimingQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::follow_up_timing(conn, &user, &p, q.team_id)
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
    if as_csv {
        return csv::answer(&[], &cells, "follow-up-timing.csv");
    }
    Ok(HttpResponse::Ok().json(TimingReport {
        period: ReportPeriod::new(&p, &state, as_of),
        cells,
    }))
}
