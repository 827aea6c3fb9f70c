//! The lead lifecycle over HTTP: follow-ups, release, transfer, close, approvals, the agenda,
//! notifications and the recycle sweep.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::leads::{LeadResponse, lead_response, parse_stored};
use super::page_params;
use crate::AppState;
use crate::auth::{AuthUser, Supervisor};
use crate::db::{
    self,
    models::{Approval, FollowUp, Notification},
};
use crate::domain::claim::ClaimEnd;
use crate::domain::lead::Stage;
use crate::domain::role::Role;
use crate::error::{AppError, Problem};
use crate::repo::lifecycle::{ApprovalScope, FollowUpFilter};
use crate::service::{self, lifecycle::NewFollowUp, lifecycle::Requested};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_follow_up)
        .service(lead_follow_ups)
        .service(list_follow_ups)
        .service(release_lead)
        .service(transfer_lead)
        .service(close_lead)
        .service(list_approvals)
        .service(get_approval)
        .service(approve)
        .service(reject)
        .service(cancel)
        .service(agenda)
        .service(list_notifications)
        .service(read_notification);
}

super::page_type!(FollowUpPage, FollowUpResponse);
super::page_type!(ApprovalPage, ApprovalResponse);
super::page_type!(NotificationPage, NotificationResponse);

crate::domain::lead::text_enum! {
    /// How the customer was contacted.
    FollowUpType {
        Call = "call",
        Visit = "visit",
        Wechat = "wechat",
        Email = "email",
        Sms = "sms",
        Meeting = "meeting",
        Other = "other",
    }
}

/// A follow-up record (append-only; a correction names the record it corrects).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpResponse {
    pub id: Uuid,
    pub lead_id: Uuid,
    /// The hold it was made in.
    pub claim_id: Option<Uuid>,
    /// Who recorded it.
    pub user_id: Uuid,
    #[serde(rename = "type")]
    pub type_: FollowUpType,
    pub content: String,
    pub feedback: Option<String>,
    pub outcome: Option<String>,
    /// The stage change it made, if any.
    pub stage_from: Option<Stage>,
    pub stage_to: Option<Stage>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub corrects_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl FollowUpResponse {
    fn build(f: FollowUp) -> Result<Self, AppError> {
        let stage = |s: Option<String>| -> Result<Option<Stage>, AppError> {
            s.as_deref().map(|s| parse_stored("stage", s)).transpose()
        };
        Ok(Self {
            type_: parse_stored("follow-up type", &f.type_)?,
            stage_from: stage(f.stage_from)?,
            stage_to: stage(f.stage_to)?,
            id: f.id,
            lead_id: f.lead_id,
            claim_id: f.claim_id,
            user_id: f.user_id,
            content: f.content,
            feedback: f.feedback,
            outcome: f.outcome,
            next_follow_up_at: f.next_follow_up_at,
            corrects_id: f.corrects_id,
            created_at: f.created_at,
        })
    }
}

/// A follow-up to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    #[serde(rename = "type")]
    pub type_: FollowUpType,
    /// What was discussed.
    #[validate(length(min = 1, max = 10000), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 10000)]
    pub content: String,
    /// What the customer said.
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub feedback: Option<String>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub outcome: Option<String>,
    /// Advance the pipeline: forward only for the owner (a manager may move it back); `won`
    /// converts the lead, `lost` sends it back to its pool (or closes it, as the rules say).
    pub stage: Option<Stage>,
    /// When to follow up next (in the future); shown on the agenda.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// The record this one corrects (of the same lead).
    pub corrects_id: Option<Uuid>,
}

/// A recorded follow-up and the lead after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpResult {
    pub follow_up: FollowUpResponse,
    pub lead: LeadResponse,
}

/// Records a follow-up on an owned lead (the owner; their manager or an admin too). The lead's
/// recycle time is recomputed in the same transaction; a stage of `won` converts the lead (its
/// claim ends `converted`), `lost` ends the claim and the lead goes back to its pool or is closed.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = FollowUpRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = FollowUpResult),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the owner or their manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e.g. `next_follow_up_at` not in the future) or `stage_backward`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/follow-ups")]
async fn add_follow_up(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<FollowUpRequest>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let input = NewFollowUp {
        type_: req.type_.as_str().into(),
        content: crate::domain::text::multi_line(&req.content),
        feedback: req.feedback.and_then(|t| crate::domain::text::clean(&t)),
        outcome: req.outcome.and_then(|t| crate::domain::text::clean(&t)),
        stage: req.stage,
        next_follow_up_at: req.next_follow_up_at,
        corrects_id: req.corrects_id,
    };
    let now = state.clock.now();
    let (record, lead) = db::transaction(&state.pool, move |conn| {
        service::lifecycle::follow_up(conn, &user, lead_id, input, now)
    })
    .await?;
    Ok(HttpResponse::Created().json(FollowUpResult {
        follow_up: FollowUpResponse::build(record)?,
        lead: lead_response(&state, lead, viewer).await?,
    }))
}

/// Paging.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The follow-ups of a lead, oldest first, for whoever may read the lead.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of follow-ups, oldest first", body = FollowUpPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leads/{id}/follow-ups")]
async fn lead_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<FollowUpPage>, AppError> {
    let lead_id = id.into_inner();
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::leads::get(conn, &user, lead_id)?;
        let mut rows = crate::repo::lifecycle::follow_ups_of_lead(
            conn,
            lead_id,
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |f| f.id);
        Ok((rows, next))
    })
    .await?;
    Ok(web::Json(FollowUpPage {
        items: rows
            .into_iter()
            .map(FollowUpResponse::build)
            .collect::<Result<_, _>>()?,
        next_cursor,
    }))
}

/// Filters of the follow-up list.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFollowUpsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub user_id: Option<Uuid>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_: Option<FollowUpType>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub to: Option<DateTime<Utc>>,
}

/// Follow-ups across leads, newest first: salespeople their own, managers their teams', admins
/// all.
#[utoipa::path(
    tag = "lifecycle",
    params(ListFollowUpsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of follow-ups, newest first", body = FollowUpPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/follow-ups")]
async fn list_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListFollowUpsQuery>,
) -> Result<web::Json<FollowUpPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let (only, managed) = match user.role {
        Role::Admin => (None, None),
        Role::Manager => (None, Some(user.id)),
        Role::Sales => (Some(user.id), None),
    };
    let filter = FollowUpFilter {
        user_id: q.user_id,
        type_: q.type_.map(|t| t.as_str().into()),
        from: q.from,
        to: q.to,
    };
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        let mut rows = crate::repo::lifecycle::follow_ups(
            conn,
            only,
            managed,
            &filter,
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |f| f.id);
        Ok((rows, next))
    })
    .await?;
    Ok(web::Json(FollowUpPage {
        items: rows
            .into_iter()
            .map(FollowUpResponse::build)
            .collect::<Result<_, _>>()?,
        next_cursor,
    }))
}

/// A release or transfer request and its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalResponse {
    pub id: Uuid,
    /// `release` or `transfer`.
    pub kind: String,
    pub lead_id: Uuid,
    /// The hold it is about; when that hold ends first, the request becomes `obsolete`.
    pub claim_id: Uuid,
    pub requester_id: Uuid,
    /// `pending`, `approved`, `rejected`, `cancelled` or `obsolete`.
    pub status: String,
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

/// Either the lead in its new state, or the request waiting for approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOutcome {
    /// The lead now (when done at once).
    pub lead: Option<LeadResponse>,
    /// The pending request (when it needs approval).
    pub approval: Option<ApprovalResponse>,
}

async fn outcome(
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

/// The owner gives a lead back to the pool with a reason code from the pool's list (and a note
/// for `other`), optionally into another pool they belong to. When the pool's rules require
/// approval: 202 with the pending request (the lead stays with the owner and its recycle clock
/// keeps running); otherwise 200 with the lead back in the pool.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = ReleaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Released: the lead, back in the pool", body = RequestOutcome),
        (status = 202, description = "Waiting for a manager's approval", body = RequestOutcome),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the owner releases", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`, `approval_pending`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (unknown reason code, `other` without a note, a pool the caller is not in)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/release")]
async fn release_lead(
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

/// Transfers an owned lead to another salesperson: the owner's request waits for their
/// manager's approval (202); the owner's manager or an admin transfers at once (200). The
/// receiver's `max_owned` quota is checked (422 `claim_quota_exceeded`); the old claim ends
/// `transferred` and the receiver's starts as `transfer`.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = TransferRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Transferred: the lead with its new owner", body = RequestOutcome),
        (status = 202, description = "Waiting for a manager's approval", body = RequestOutcome),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Neither the owner nor their manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`, `approval_pending`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `claim_quota_exceeded`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/transfer")]
async fn transfer_lead(
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
    #[validate(length(min = 1, max = 2000), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Closes a lead for good (manager of its owner, or a member of its pool for a pooled lead;
/// admin): its claim ends `closed` and it leaves the pool system.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = CloseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed", body = LeadResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Salespeople may not close leads", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_open`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/close")]
async fn close_lead(
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

/// Which side of approvals to list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalRole {
    /// Requests the caller may decide (their teams'; admins: all).
    Approver,
    /// The caller's own requests.
    Requester,
}

/// Status of a request.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
    Obsolete,
}

impl ApprovalStatus {
    fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Cancelled => "cancelled",
            ApprovalStatus::Obsolete => "obsolete",
        }
    }
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
}

/// Release and transfer requests, newest first: as approver (managers: their teams'; admins:
/// all) or as requester.
#[utoipa::path(
    tag = "approvals",
    params(ListApprovalsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of requests", body = ApprovalPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Salespeople approve nothing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/approvals")]
async fn list_approvals(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListApprovalsQuery>,
) -> Result<web::Json<ApprovalPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let role = q.role.unwrap_or(match user.role {
        Role::Sales => ApprovalRole::Requester,
        _ => ApprovalRole::Approver,
    });
    let scope = match (role, user.role) {
        (ApprovalRole::Requester, _) => ApprovalScope::RequestedBy(user.id),
        (ApprovalRole::Approver, Role::Admin) => ApprovalScope::All,
        (ApprovalRole::Approver, Role::Manager) => ApprovalScope::ApprovableBy(user.id),
        (ApprovalRole::Approver, Role::Sales) => return Err(AppError::Forbidden),
    };
    let status = q.status.map(|s| s.as_str());
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        let mut rows = crate::repo::lifecycle::list_approvals(
            conn,
            &scope,
            status,
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |a| a.id);
        Ok((rows, next))
    })
    .await?;
    Ok(web::Json(ApprovalPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One request: for its requester, the requester's manager and admins.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The request", body = ApprovalResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/approvals/{id}")]
async fn get_approval(
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

async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: Uuid,
    approving: bool,
    body: DecisionRequest,
) -> Result<web::Json<ApprovalResponse>, AppError> {
    let now = state.clock.now();
    let tz = state.config.timezone;
    let comment = body.comment.and_then(|c| crate::domain::text::clean(&c));
    let a = db::transaction(&state.pool, move |conn| {
        service::lifecycle::decide(conn, &user, id, approving, comment, now, tz)
    })
    .await?;
    Ok(web::Json(a.into()))
}

/// Approves a pending request (the requester's manager, or an admin) and applies it in the same
/// transaction: the lead is released or transferred. If the lead left the requester meanwhile
/// (recycled, converted, closed) the request is closed as `obsolete` and nothing is applied.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved and applied (or `obsolete`)", body = ApprovalResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the requester's manager or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; for transfers the receiver's `claim_quota_exceeded`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/approvals/{id}/approve")]
async fn approve(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DecisionRequest>,
) -> Result<web::Json<ApprovalResponse>, AppError> {
    decide(state, user.0, id.into_inner(), true, body.into_inner()).await
}

/// Rejects a pending request (the requester's manager, or an admin): the lead stays with the
/// requester.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected (or `obsolete`)", body = ApprovalResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the requester's manager or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/approvals/{id}/reject")]
async fn reject(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DecisionRequest>,
) -> Result<web::Json<ApprovalResponse>, AppError> {
    decide(state, user.0, id.into_inner(), false, body.into_inner()).await
}

/// The requester withdraws a pending request.
#[utoipa::path(
    tag = "approvals",
    params(("id" = Uuid, Path, description = "Approval id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Cancelled", body = ApprovalResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the requester cancels", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`approval_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/approvals/{id}/cancel")]
async fn cancel(
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

/// One item of the agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaItemResponse {
    /// `follow_up`: a planned next follow-up; `recycle`: the lead goes back to its pool then.
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Past due.
    pub overdue: bool,
    /// For `recycle`: which rule.
    pub reason: Option<ClaimEnd>,
    pub lead_id: Uuid,
    pub lead_name: Option<String>,
    pub lead_company: Option<String>,
    pub stage: Option<Stage>,
}

/// The agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaResponse {
    pub items: Vec<AgendaItemResponse>,
}

/// The agenda's horizon.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// How far ahead to look, in hours (default 24, at most 720).
    #[validate(range(min = 1, max = 720))]
    #[param(minimum = 1, maximum = 720)]
    pub within_hours: Option<i64>,
}

/// The caller's due and overdue next follow-ups and their leads about to go back to the pool
/// (with the rule), soonest first.
#[utoipa::path(
    tag = "lifecycle",
    params(AgendaQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agenda, soonest first", body = AgendaResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `within_hours`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/agenda")]
async fn agenda(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<AgendaQuery>,
) -> Result<web::Json<AgendaResponse>, AppError> {
    let now = state.clock.now();
    let horizon = now + Duration::hours(query.into_inner().within_hours.unwrap_or(24));
    let items = db::connection(&state.pool, move |conn| {
        service::lifecycle::agenda(conn, &user, horizon)
    })
    .await?;
    Ok(web::Json(AgendaResponse {
        items: items
            .into_iter()
            .map(|i| {
                Ok(AgendaItemResponse {
                    kind: i.kind.into(),
                    at: i.at,
                    overdue: i.at < now,
                    reason: i
                        .reason
                        .as_deref()
                        .map(|r| parse_stored("recycle reason", r))
                        .transpose()?,
                    stage: i
                        .lead
                        .stage
                        .as_deref()
                        .map(|s| parse_stored("stage", s))
                        .transpose()?,
                    lead_id: i.lead.id,
                    lead_name: i.lead.name,
                    lead_company: i.lead.company,
                })
            })
            .collect::<Result<_, AppError>>()?,
    }))
}

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    /// `recycle_warning`, `recycled`, `duplicate_touch`, `approval_decided`, `lead_transferred`.
    pub kind: String,
    pub lead_id: Option<Uuid>,
    pub message: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            lead_id: n.lead_id,
            message: n.message,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// Filters of the notification list.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only unread ones.
    pub unread: Option<bool>,
}

/// The caller's notifications, newest first.
#[utoipa::path(
    tag = "lifecycle",
    params(NotificationsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/notifications")]
async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<NotificationsQuery>,
) -> Result<web::Json<NotificationPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let unread = q.unread.unwrap_or(false);
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        let mut rows = crate::repo::lifecycle::notifications_of(
            conn,
            user.id,
            unread,
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |n| n.id);
        Ok((rows, next))
    })
    .await?;
    Ok(web::Json(NotificationPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Notification id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Read", body = NotificationResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notification of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/notifications/{id}/read")]
async fn read_notification(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<NotificationResponse>, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let n = db::transaction(&state.pool, move |conn| {
        crate::repo::lifecycle::mark_read(conn, id, user.id, now)?.ok_or(AppError::NotFound)
    })
    .await?;
    Ok(web::Json(n.into()))
}
