//! Pending releases and transfers: the list, one, and deciding or cancelling them.

use super::*;
use crate::domain::approval::{ApprovalKind, ApprovalStatus};

/// A release or transfer request and its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalResponse {
    pub id: Uuid,
    pub kind: ApprovalKind,
    pub lead_id: Uuid,
    /// The hold it is about; when that hold ends first, the request becomes `obsolete`.
    pub claim_id: Uuid,
    pub requester_id: Uuid,
    pub status: ApprovalStatus,
    pub reason_code: Option<String>,
    pub note: Option<String>,
    /// Release: the pool the lead goes to.
    pub to_pool_id: Option<Uuid>,
    /// Transfer: the receiver.
    pub to_user_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub comment: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Approval> for ApprovalResponse {
    fn from(a: Approval) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            lead_id: a.lead_id,
            claim_id: a.claim_id,
            requester_id: a.requester_id,
            status: a.status,
            reason_code: a.reason_code,
            note: a.note,
            to_pool_id: a.to_pool_id,
            to_user_id: a.to_user_id,
            decided_by: a.decided_by,
            comment: a.comment,
            decided_at: a.decided_at,
            created_at: a.created_at,
        }
    }
}

/// Which side of approvals to list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalRole {
    /// Requests the caller may decide (their teams'; admins: all).
    Approver,
    /// The caller's own requests.
    Requester,
}

/// Filters of the approval list.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListApprovalsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `approver` (default for managers and admins) or `requester` (default for salespeople).
    #[param(inline)]
    pub role: Option<ApprovalRole>,
    #[param(inline)]
    pub status: Option<ApprovalStatus>,
    /// Only the requests about this lead.
    pub lead_id: Option<Uuid>,
}

/// Lists release and transfer requests, newest first
///
/// As approver (managers: those of their teams and of the teams below them; admins: all) or as
/// requester (the caller's own). The default side is `approver` for managers and admins and
/// `requester` for salespeople, who get 403 when they ask as approver.
#[utoipa::path(
    tag = "approvals",
    params(ListApprovalsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of requests", body = ApprovalPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople approve nothing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/approvals")]
pub(super) async fn list_approvals(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListApprovalsQuery>,
) -> Result<web::Json<ApprovalPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let side = q.role.map(|role| match role {
        ApprovalRole::Approver => service::lifecycle::ApprovalSide::Approver,
        ApprovalRole::Requester => service::lifecycle::ApprovalSide::Requester,
    });
    let status = q.status;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::lifecycle::list_approvals(conn, &user, side, status, q.lead_id, limit, cursor)
    })
    .await?;
    Ok(web::Json(ApprovalPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Answers one release or transfer request
///
/// For its requester, the requester's manager and admins; 404 for anyone else.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The request", body = ApprovalResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/approvals/{id}")]
pub(super) async fn get_approval(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApprovalResponse>, AppError> {
    let id = id.into_inner();
    let a = db::transaction(&state.pool, move |conn| {
        service::lifecycle::get_approval(conn, &user, id)
    })
    .await?;
    Ok(web::Json(a.into()))
}

/// A decision's comment.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

pub(super) async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: Uuid,
    approving: bool,
    body: DecisionRequest,
) -> Result<web::Json<RequestOutcome>, AppError> {
    let now = state.clock.now();
    let tz = state.config.timezone;
    let comment = body.comment.and_then(|c| crate::domain::text::clean(&c));
    let viewer = user.id;
    let (approval, lead) = db::transaction(&state.pool, move |conn| {
        let approval = service::lifecycle::decide(conn, &user, id, approving, comment, now, tz)?;
        // The lead as the decision left it, read in the same transaction.
        let lead = crate::repo::leads::find(conn, approval.lead_id)?;
        Ok((approval, lead))
    })
    .await?;
    let lead = match lead {
        Some(lead) => Some(lead_response(&state, lead, viewer).await?),
        None => None,
    };
    Ok(web::Json(RequestOutcome {
        lead,
        approval: Some(approval.into()),
    }))
}

/// Approves and applies a pending release or transfer (managers and admins)
///
/// For the requester's manager, or an admin. The request is applied in the same transaction: the
/// lead is released or transferred. If the lead left the requester meanwhile (recycled,
/// converted, closed) the request is closed as `obsolete` and nothing is applied.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved and applied (or `obsolete`): the request and the lead as it now stands", body = RequestOutcome),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Not the requester's manager or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; for transfers the receiver's `claim_quota_exceeded`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/approvals/{id}/approve")]
pub(super) async fn approve(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DecisionRequest>,
) -> Result<web::Json<RequestOutcome>, AppError> {
    decide(state, user.0, id.into_inner(), true, body.into_inner()).await
}

/// Rejects a pending release or transfer request (managers and admins)
///
/// For the requester's manager, or an admin: the lead stays with the requester.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected (or `obsolete`): the request and the lead, still with the requester", body = RequestOutcome),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Not the requester's manager or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/approvals/{id}/reject")]
pub(super) async fn reject(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DecisionRequest>,
) -> Result<web::Json<RequestOutcome>, AppError> {
    decide(state, user.0, id.into_inner(), false, body.into_inner()).await
}

/// Cancels a pending release or transfer request (its requester)
///
/// The requester withdraws their own pending request; anyone else who may read it gets 403, and
/// a request already decided answers 409 `approval_already_decided`.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = ApprovalResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only the requester cancels", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/approvals/{id}/cancel")]
pub(super) async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApprovalResponse>, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let a = db::transaction(&state.pool, move |conn| {
        service::lifecycle::cancel(conn, &user, id, now)
    })
    .await?;
    Ok(web::Json(a.into()))
}
