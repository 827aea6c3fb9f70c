//! `GET /reports/pool-health`: each pool's stock, waiting time and churn (or as CSV).

use super::*;

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
pub(super) struct PoolHealthRecord<'a> {
    pub(super) pool_id: Uuid,
    pub(super) name: &'a str,
    pub(super) inflow_intake: i64,
    pub(super) inflow_import: i64,
    pub(super) inflow_manual: i64,
    pub(super) inflow_releases: i64,
    pub(super) inflow_recycles: i64,
    pub(super) outflow_claims: i64,
    pub(super) outflow_assignments: i64,
    pub(super) outflow_distributed: i64,
    pub(super) median_hours_in_pool: Option<f64>,
    pub(super) backlog: i64,
    pub(super) never_claimed_over_30_days: i64,
}

pub(super) const POOL_HEALTH_HEADER: &[&str] = &[
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

/// Reports pool health: inflow, outflow, backlog and churn (managers and admins)
///
/// Inflow (new leads by way in, releases, recycles), outflow (claims, assignments, round robin),
/// the backlog now, median time in the pool before a claim, leads never claimed for over 30 days,
/// and per-person recycle churn. Managers see the pools their teams belong to; admins all.
#[utoipa::path(
    tag = "reports",
    params(PoolHealthQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (with `Accept: text/csv`, the CSV of `GET /reports/pool-health.csv`)",
            body = PoolHealthReport),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A salesperson, or `pool_id` of a pool the manager's teams are not members of", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or pool id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/pool-health")]
pub(super) async fn pool_health_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<PoolHealthQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    pool_health_report_answer(state, user, query, as_csv).await
}

/// The pool health report as CSV
///
/// The figures of `GET /reports/pool-health` for the same query, one row per pool, without
/// `churn`.
#[utoipa::path(
    tag = "reports",
    params(PoolHealthQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A salesperson, or `pool_id` of a pool the manager's teams are not members of", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or pool id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/pool-health.csv")]
pub(super) async fn pool_health_report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<PoolHealthQuery>,
) -> Result<HttpResponse, AppError> {
    pool_health_report_answer(state, user, query, true).await
}

async fn pool_health_report_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<PoolHealthQuery>,
    as_csv: bool,
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
    if as_csv {
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
