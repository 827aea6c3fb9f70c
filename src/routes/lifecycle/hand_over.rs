//! Giving a lead up: release (back to its pool), transfer (to a colleague) and close (for good).

use super::*;

/// A release.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRequest {
    /// One of the pool's `release_reasons`.
    #[validate(length(min = 1, max = 40))]
    #[schema(min_length = 1, max_length = 40, example = "unreachable")]
    pub reason_code: String,
    /// Required for `other`.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Release into another pool the caller belongs to (default: the lead's pool).
    pub to_pool_id: Option<Uuid>,
}

/// What a release, transfer or decision did: the lead in its new state and the request, where
/// there is one.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOutcome {
    /// The lead now: after a release or transfer done at once, and after an approval's decision
    /// (`null` while a request waits for approval).
    pub lead: Option<LeadResponse>,
    /// The request: pending (202 of a release or transfer) or just decided; `null` when the
    /// change needed no approval.
    pub approval: Option<ApprovalResponse>,
}

pub(super) async fn outcome(
    state: &AppState,
    requested: Requested,
    viewer: Uuid,
) -> Result<HttpResponse, AppError> {
    Ok(match requested {
        Requested::Done(lead) => HttpResponse::Ok().json(RequestOutcome {
            lead: Some(lead_response(state, lead, viewer).await?),
            approval: None,
        }),
        Requested::Pending(approval) => HttpResponse::Accepted().json(RequestOutcome {
            lead: None,
            approval: Some(approval.into()),
        }),
    })
}

/// Releases an owned lead back to a pool (its owner, their manager, an admin)
///
/// The owner gives a lead back to the pool with a reason code from the pool's list (and a note for
/// `other`), optionally into another pool they belong to. When the pool's rules require approval:
/// 202 with the pending request (the lead stays with the owner and its recycle clock keeps
/// running); otherwise 200 with the lead back in the pool. The owner's manager, or an admin,
/// releases at once (200; they are the approvers), into the lead's pool or another pool they
/// belong to (an admin: any pool).
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = ReleaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Released: the lead, back in the pool", body = RequestOutcome),
        (status = 202, description = "Waiting for a manager's approval", body = RequestOutcome),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Neither the owner, nor their manager, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`, `approval_pending`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (unknown reason code, `other` without a note, a pool the caller is not in)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/release")]
pub(super) async fn release_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<ReleaseRequest>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let now = state.clock.now();
    let note = req.note.and_then(|n| crate::domain::text::clean(&n));
    let requested = db::transaction(&state.pool, move |conn| {
        service::lifecycle::release(
            conn,
            &user,
            lead_id,
            req.reason_code,
            note,
            req.to_pool_id,
            now,
        )
    })
    .await?;
    outcome(&state, requested, viewer).await
}

/// A transfer.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to_user_id: Uuid,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Transfers an owned lead to another salesperson
///
/// The owner's request waits for their manager's approval (202); the owner's manager or an admin
/// transfers at once (200). The receiver's `max_owned` quota is checked (422
/// `claim_quota_exceeded`); the old claim ends `transferred` and the receiver's starts as
/// `transfer`.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = TransferRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Transferred: the lead with its new owner", body = RequestOutcome),
        (status = 202, description = "Waiting for a manager's approval", body = RequestOutcome),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Neither the owner nor their manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`, `approval_pending`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `claim_quota_exceeded`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/transfer")]
pub(super) async fn transfer_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<TransferRequest>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let reason = req.reason.and_then(|n| crate::domain::text::clean(&n));
    let requested = db::transaction(&state.pool, move |conn| {
        service::lifecycle::transfer(conn, &user, lead_id, req.to_user_id, reason, now, tz)
    })
    .await?;
    outcome(&state, requested, viewer).await
}

/// Why a lead is closed.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// e.g. invalid, spam, lost for good.
    #[validate(
        length(min = 1, max = 2000),
        custom(function = "crate::routes::non_blank")
    )]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Closes a lead for good (managers and admins)
///
/// For the manager of its owner, or a manager who is a member of its pool for a pooled lead; and
/// admins. Its claim ends `closed` and it leaves the pool system. A customer (`converted`) is
/// closed too: it leaves its owner, keeping its stage; `POST /leads/{id}/reopen` gives it back.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = CloseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = LeadResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not close leads", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_open`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/close")]
pub(super) async fn close_lead(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<CloseRequest>,
) -> Result<web::Json<LeadResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let reason = crate::domain::text::multi_line(&body.into_inner().reason);
    let now = state.clock.now();
    let lead = db::transaction(&state.pool, move |conn| {
        service::lifecycle::close(conn, &user, lead_id, reason, now)
    })
    .await?;
    Ok(web::Json(lead_response(&state, lead, viewer).await?))
}

/// Reopens a closed customer (managers and admins)
///
/// For the manager of the person who won it, and admins: the lead is `converted` again, with
/// that person as its owner. Only a closed lead that had been won can be reopened (409 `conflict`
/// otherwise). Audited (`lead.reopened`) and on the timeline (`reopened`).
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reopened: the customer, with its owner again", body = LeadResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not reopen leads", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: not a closed customer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/reopen")]
pub(super) async fn reopen_lead(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
) -> Result<web::Json<LeadResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let now = state.clock.now();
    let lead = db::transaction(&state.pool, move |conn| {
        service::lifecycle::reopen(conn, &user, lead_id, now)
    })
    .await?;
    Ok(web::Json(lead_response(&state, lead, viewer).await?))
}
