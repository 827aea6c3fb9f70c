//! Quarantined intake (suspected spam or tests): listed, accepted as leads or discarded.

use super::*;
use crate::domain::suspicion::QuarantineStatus;

/// A held submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineResponse {
    pub id: Uuid,
    pub source_id: Uuid,
    #[schema(value_type = Vec<crate::domain::suspicion::QuarantineReason>)]
    pub reasons: Vec<String>,
    pub status: QuarantineStatus,
    /// The submission as received.
    #[schema(value_type = HashMap<String, crate::dto::shapes::AnyValue>)]
    pub payload: Value,
    /// The lead it became, once accepted.
    pub lead_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub(super) fn quarantine_response(
    vault: &crate::crypto::Vault,
    entry: QuarantineEntry,
) -> Result<QuarantineResponse, AppError> {
    Ok(QuarantineResponse {
        payload: service::intake::payload_of(vault, &entry)?,
        id: entry.id,
        source_id: entry.source_id,
        reasons: entry.reasons,
        status: entry.status,
        lead_id: entry.lead_id,
        decided_by: entry.decided_by,
        decided_at: entry.decided_at,
        created_at: entry.created_at,
    })
}

/// Filters and paging of the quarantine.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// Default `pending`.
    #[param(inline)]
    pub status: Option<QuarantineStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Lists suspect intake submissions held for review (admin)
///
/// Oldest first, keyset-paginated; `status` defaults to `pending`. Each entry shows the
/// submission as received and why it was held. Only admins may call it.
#[utoipa::path(
    tag = "intake",
    params(QuarantineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of held submissions", body = QuarantinePage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/intake/quarantine")]
pub(super) async fn list_quarantine(
    state: web::Data<AppState>,
    _admin: Admin,
    query: QueryParams<QuarantineQuery>,
) -> Result<web::Json<QuarantinePage>, AppError> {
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let status = query.status.unwrap_or(QuarantineStatus::Pending);
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::intake::list_quarantine(conn, status, limit, cursor)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|e| quarantine_response(&state.vault, e))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(QuarantinePage { items, next_cursor }))
}

pub(super) async fn decide(
    state: web::Data<AppState>,
    user: Admin,
    id: Uuid,
    accept: bool,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    let now = state.clock.now();
    let vault = state.vault.clone();
    let entry = db::transaction(&state.pool, move |conn| {
        if !accept {
            return service::intake::discard(conn, id, user.id, now);
        }
        let defs = service::lead_fields::field_defs(conn)?;
        service::intake::accept(conn, &vault, &defs, id, user.id, |v| parse_item(v, ""), now)
    })
    .await?;
    Ok(web::Json(quarantine_response(&state.vault, entry)?))
}

/// Accepts a held intake submission as a lead (admin)
///
/// The submission comes in as a lead (created or merged), skipping the suspicion rules; the
/// answer's `lead_id` is that lead. 409 `quarantine_already_decided` when decided before.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Quarantine entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted; `lead_id` is the lead", body = QuarantineResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quarantine_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The submission cannot become a lead (field errors, `no_pool`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/intake/quarantine/{id}/accept")]
pub(super) async fn accept_quarantined(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    decide(state, user, id.into_inner(), true).await
}

/// Discards a held intake submission (admin)
///
/// The entry is marked discarded (audited) and no lead is created; answers the entry. 409
/// `quarantine_already_decided` when decided before.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Quarantine entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Discarded", body = QuarantineResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quarantine_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/intake/quarantine/{id}/discard")]
pub(super) async fn discard_quarantined(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    decide(state, user, id.into_inner(), false).await
}
