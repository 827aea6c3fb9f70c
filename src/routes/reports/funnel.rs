//! `GET /reports/funnel`: the sales funnel (销售漏斗) of a period and what is held in each stage now.

use super::*;
use crate::domain::lead::SourceChannel;

/// The period and scope of the funnel.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FunnelQuery {
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
    /// One person's holds (for a manager, one of their people; 403 otherwise).
    pub user_id: Option<Uuid>,
    /// One team's holds, with the teams below it (for a manager, one of theirs; 403 otherwise; for
    /// an admin, an unknown team has no holds).
    pub team_id: Option<Uuid>,
    /// Holds of leads claimed from this pool.
    pub pool_id: Option<Uuid>,
    /// Holds of leads from this source channel.
    pub source: Option<SourceChannel>,
}

/// One stage of the funnel.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelStage {
    /// `new`, `contacted`, `qualified`, `proposal`, `negotiation`, `won`, then `lost`.
    #[schema(value_type = crate::domain::lead::Stage)]
    pub stage: String,
    /// Of the holds started in the period (claims, assignments, transfers, hand-overs), those
    /// that reached the stage, up to now: that started there or beyond (a transfer or hand-over
    /// takes the lead at its stage), or that a follow-up moved there or beyond (new → proposal
    /// reaches contacted and qualified too); for `lost`, those a follow-up moved to lost. So a
    /// stage never counts more holds than the one before it.
    pub reached: i64,
    /// The next stage's `reached` over this one's (`new` → `contacted` ... `negotiation` →
    /// `won`); `null` for `won` and `lost`, and when this stage's `reached` is 0.
    pub conversion_to_next: Option<f64>,
    /// Median hours those holds spent in this stage, over the ones a follow-up moved on (forward,
    /// or to lost): from entering it (the hold's stage change before, or its start: for a hold
    /// that began with a transfer, the transfer) to that follow-up. Exact (over the facts);
    /// `null` when none left it (always for `won` and `lost`).
    pub median_hours_in_stage: Option<f64>,
    /// Leads held now in this stage (a kanban header, not bound to the period): open leads by
    /// stage, and customers as `won`.
    pub current: i64,
}

/// The funnel of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FunnelReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    /// The seven stages in order.
    pub stages: Vec<FunnelStage>,
    /// `won`'s `reached` over `new`'s; `null` when no hold started.
    pub overall_conversion: Option<f64>,
}

/// Reports the sales funnel of a period
///
/// Of the holds started in the period: how many reached each stage (up to now), the
/// stage-to-stage conversion rates, the exact median hours spent in each stage; and (not bound to
/// the period) how many leads are held in each stage now. Scope: salespeople their own holds; managers their people's, optionally one
/// person or one of their teams with the teams below it; admins everyone's; narrowed further by
/// pool and lead source. Exact as of `as_of` (read from the recorded claims and follow-ups).
#[utoipa::path(
    tag = "reports",
    params(FunnelQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The funnel (with `Accept: text/csv`, the CSV of `GET /reports/funnel.csv`)",
            body = FunnelReport),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A person or team outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day, filter, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/funnel")]
pub(super) async fn funnel_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<FunnelQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    funnel_answer(state, user, query, as_csv).await
}

/// The sales funnel as CSV
///
/// The figures of `GET /reports/funnel` for the same query, one row per stage, the same columns.
#[utoipa::path(
    tag = "reports",
    params(FunnelQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A person or team outside the caller's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day, filter, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/funnel.csv")]
pub(super) async fn funnel_report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<FunnelQuery>,
) -> Result<HttpResponse, AppError> {
    funnel_answer(state, user, query, true).await
}

async fn funnel_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<FunnelQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let ask = service::reports::FunnelAsk {
        user_id: q.user_id,
        team_id: q.team_id,
        pool_id: q.pool_id,
        source: q.source.map(|s| s.as_str().to_string()),
    };
    let ((rows, now), as_of) = read(&state, move |conn| {
        service::reports::funnel(conn, &user, &p, ask)
    })
    .await?;
    let reached_of = |i: usize| rows.get(i).map_or(0, |r| r.reached);
    let stages: Vec<FunnelStage> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| FunnelStage {
            stage: r.stage.clone(),
            reached: r.reached,
            // new..negotiation lead on to the next; won and lost end the funnel.
            conversion_to_next: if i < 5 {
                rate(reached_of(i + 1), r.reached)
            } else {
                None
            },
            median_hours_in_stage: r.median_hours.map(round2),
            current: now
                .iter()
                .filter(|n| n.stage.as_deref() == Some(r.stage.as_str()))
                .map(|n| n.leads)
                .sum(),
        })
        .collect();
    if as_csv {
        return csv::answer(
            &[
                "stage",
                "reached",
                "conversion_to_next",
                "median_hours_in_stage",
                "current",
            ],
            &stages,
            "funnel.csv",
        );
    }
    let overall_conversion = rate(reached_of(5), reached_of(0));
    Ok(HttpResponse::Ok().json(FunnelReport {
        period: ReportPeriod::new(&p, &state, as_of),
        stages,
        overall_conversion,
    }))
}
