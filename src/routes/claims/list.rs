//! `GET /claims`: holds past and present, scoped to the caller (or as CSV).

use super::*;

/// Filters and paging of claim records.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClaimsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub user_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    /// `true`: open claims only; `false`: ended only.
    pub active: Option<bool>,
    pub started_how: Option<ClaimStart>,
    pub end_reason: Option<ClaimEnd>,
    pub started_from: Option<DateTime<Utc>>,
    pub started_to: Option<DateTime<Utc>>,
    pub ended_from: Option<DateTime<Utc>>,
    pub ended_to: Option<DateTime<Utc>>,
}

/// Lists claim records, newest first
///
/// Salespeople see their own, managers their teams', admins all. Answers a page of records, or,
/// with `Accept: text/csv`, every matching record streamed as CSV.
#[utoipa::path(
    tag = "claims",
    params(ListClaimsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of claim records (with `Accept: text/csv`, the CSV of `GET /claims.csv`)",
            body = ClaimPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/claims")]
pub(super) async fn list_claims(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<ListClaimsQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    list_claims_answer(state, user, query, as_csv).await
}

/// Exports claim records as CSV
///
/// Every claim record `GET /claims` would list with the same filters (no paging: `limit` and
/// `cursor` are ignored), streamed as CSV with the same fields.
#[utoipa::path(
    tag = "claims",
    params(ListClaimsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/claims.csv")]
pub(super) async fn list_claims_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListClaimsQuery>,
) -> Result<HttpResponse, AppError> {
    list_claims_answer(state, user, query, true).await
}

async fn list_claims_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListClaimsQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let filter = ClaimFilter {
        user_id: q.user_id,
        lead_id: q.lead_id,
        pool_id: q.pool_id,
        active: q.active,
        started_how: q.started_how,
        end_reason: q.end_reason,
        started_from: q.started_from,
        started_to: q.started_to,
        ended_from: q.ended_from,
        ended_to: q.ended_to,
    };
    if as_csv {
        return Ok(crate::routes::csv::stream_pages(
            &state,
            "claims.csv",
            CLAIM_CSV_HEADER,
            move |conn, after, limit| {
                service::claims::claims_after(conn, &user, &filter, after, limit)
            },
            |c| c.id,
            |c| Ok(ClaimResponse::from(c)),
        ));
    }
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        service::claims::list_claims(conn, &user, &filter, limit, cursor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(ClaimPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

pub(super) const CLAIM_CSV_HEADER: &[&str] = &[
    "id",
    "lead_id",
    "pool_id",
    "user_id",
    "started_at",
    "started_how",
    "started_by",
    "quota_override",
    "decision_id",
    "active",
    "ended_at",
    "end_reason",
    "ended_by",
];
