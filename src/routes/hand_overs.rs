//! `/users/{id}/hand-over`, `/hand-overs/{id}`: a departure's hand-over (离职交接), started by a
//! manager or admin and followed while it runs.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::JsonBody;
use crate::AppState;
use crate::auth::Supervisor;
use crate::db;
use crate::domain::hand_over::{HandOverCode, HandOverKind, HandOverOutcome, HandOverStatus};
use crate::error::{AppError, Problem};
use crate::repo::hand_overs::{HandOver, HandOverItem};
use crate::service::lifecycle::HandOverRequest;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(start_hand_over).service(get_hand_over);
}

/// Where to move everything a person holds.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartHandOverRequest {
    /// Receivers (salespeople or managers; a manager's own team members), who take the leads in
    /// turn: the first lead to the first, the second to the second, and so on round; a receiver
    /// who cannot take one (quota, leave) passes it to the next. Customers always go to them.
    /// Up to 100. Empty (or omitted) when `to_pool_id` takes everything.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub to_user_ids: Vec<Uuid>,
    /// Open leads go back to this pool instead (pooled, claimable by its members); customers
    /// still go to `to_user_ids`.
    #[serde(default)]
    pub to_pool_id: Option<Uuid>,
    /// Admins only: receivers take leads beyond their pools' `max_owned_per_user` (recorded on
    /// each claim as `quota_override`).
    #[serde(default)]
    pub override_quota: bool,
    /// Why, for the timeline and the audit trail.
    #[serde(default)]
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
}

/// A hand-over's status as read: `interrupted` is a `running` one whose runner has been silent
/// for a minute (another instance takes it over within 30 s).
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HandOverState {
    /// Leads are being moved.
    Running,
    /// Everything the person held when it ended was dealt with (see `failed` for any left).
    Done,
    /// Stopped on an error (`error`); what moved stays moved.
    Failed,
    /// Running, but its runner stopped; it resumes where it was.
    Interrupted,
}

/// A departure's hand-over: what it was asked, where it stands, and what became of each lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandOverResponse {
    pub id: Uuid,
    /// The person whose leads are handed over.
    pub user_id: Uuid,
    pub requested_by: Uuid,
    pub to_user_ids: Vec<Uuid>,
    pub to_pool_id: Option<Uuid>,
    pub override_quota: bool,
    pub reason: Option<String>,
    pub status: HandOverState,
    pub started_at: DateTime<Utc>,
    /// When its last lead was dealt with.
    pub heartbeat_at: DateTime<Utc>,
    /// `null` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// Leads moved, skipped (no longer theirs when their turn came) and failed (still theirs).
    pub moved: i64,
    pub skipped: i64,
    pub failed: i64,
    /// Leads and customers the person still holds that the hand-over has not dealt with yet
    /// (0 once done; any `failed` ones are still theirs).
    pub remaining: i64,
    /// What failed, for a `failed` hand-over.
    pub error: Option<String>,
    /// Every lead dealt with so far, in order.
    pub items: Vec<HandOverItemResponse>,
}

/// What became of one lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandOverItemResponse {
    pub lead_id: Uuid,
    pub kind: HandOverKind,
    pub outcome: HandOverOutcome,
    /// Its new owner (moved to a person).
    pub to_user_id: Option<Uuid>,
    /// Its pool (moved back to a pool).
    pub to_pool_id: Option<Uuid>,
    /// Why it was not moved (`null` when moved).
    pub code: Option<HandOverCode>,
    /// The same for people.
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<HandOverItem> for HandOverItemResponse {
    fn from(i: HandOverItem) -> Self {
        Self {
            lead_id: i.lead_id,
            kind: i.kind,
            outcome: i.outcome,
            to_user_id: i.to_user_id,
            to_pool_id: i.to_pool_id,
            code: i.code,
            detail: i.detail,
            at: i.at,
        }
    }
}

fn response(
    job: HandOver,
    items: Vec<HandOverItem>,
    remaining: i64,
    now: DateTime<Utc>,
) -> HandOverResponse {
    let count = |o: HandOverOutcome| items.iter().filter(|i| i.outcome == o).count() as i64;
    HandOverResponse {
        status: match job.status {
            HandOverStatus::Running
                if now - job.heartbeat_at > crate::jobs::hand_overs::HEARTBEAT_LOST =>
            {
                HandOverState::Interrupted
            }
            HandOverStatus::Running => HandOverState::Running,
            HandOverStatus::Done => HandOverState::Done,
            HandOverStatus::Failed => HandOverState::Failed,
        },
        moved: count(HandOverOutcome::Moved),
        skipped: count(HandOverOutcome::Skipped),
        failed: count(HandOverOutcome::Failed),
        remaining,
        id: job.id,
        user_id: job.user_id,
        requested_by: job.requested_by,
        to_user_ids: job.to_user_ids,
        to_pool_id: job.to_pool_id,
        override_quota: job.override_quota,
        reason: job.reason,
        started_at: job.started_at,
        heartbeat_at: job.heartbeat_at,
        finished_at: job.finished_at,
        error: job.error,
        items: items.into_iter().map(Into::into).collect(),
    }
}

/// Hands over everything a person holds (manager or admin)
///
/// For someone leaving (离职交接) or moving on: their open leads (with their agenda and pending
/// requests) and their customers go to `to_user_ids` in turn, or the open leads back to
/// `to_pool_id`. Each lead moves in its own transaction, only if the person still holds it when
/// its turn comes (a lead they release, or the sweep recycles, meanwhile is `skipped`): its claim
/// ends `reassigned` and the receiver's starts as `manager_assign` (quotas apply unless an admin
/// sets `override_quota`), audited as `lead.handed_over` (`customer.handed_over`), the receivers
/// notified. Answers 202 at once with the hand-over; follow it at `Location`. Then deactivate
/// the person (`PATCH /api/v1/users/{id}` answers 409 `holds_leads` while they hold anything).
///
/// ```sh
/// curl -X POST "$API/users/$LEAVER/hand-over" -H "Authorization: Bearer $TOKEN" \
///   -H 'Content-Type: application/json' -d '{"to_user_ids": ["'$A'", "'$B'"], "reason": "离职"}'
/// ```
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The person whose leads are handed over")),
    request_body = StartHandOverRequest,
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Started: the hand-over so far", body = HandOverResponse,
            headers(("Location" = String, description = "`/api/v1/hand-overs/{id}`, where it is followed"))),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not hand over", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or (for a manager) not in their teams", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: no receiver and no pool, an unknown, deactivated or repeated receiver (a manager's: outside their teams), the person themself among the receivers, an unknown pool, `override_quota` from a manager", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/users/{id}/hand-over")]
async fn start_hand_over(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<StartHandOverRequest>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let (actor, user_id, now) = (user.0, id.into_inner(), state.clock.now());
    let request = HandOverRequest {
        to_user_ids: body.to_user_ids,
        to_pool_id: body.to_pool_id,
        override_quota: body.override_quota,
        reason: body.reason,
    };
    let (job, remaining) = db::transaction(&state.pool, move |conn| {
        let job = crate::service::lifecycle::start(conn, &actor, user_id, request, now)?;
        let remaining = crate::repo::hand_overs::remaining(conn, job.id, user_id)?;
        Ok((job, remaining))
    })
    .await?;
    let id = job.id;
    crate::jobs::hand_overs::spawn(state.get_ref().clone(), job.clone());
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", format!("/api/v1/hand-overs/{id}")))
        .json(response(job, Vec::new(), remaining, now)))
}

/// Follows a hand-over (manager or admin)
///
/// Its progress while it runs and every lead's outcome. Admins read any; managers those of
/// people in their teams (404 otherwise).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The hand-over, from `POST /users/{id}/hand-over`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The hand-over", body = HandOverResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not read hand-overs", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hand-over, or not of someone in the manager's teams", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/hand-overs/{id}")]
async fn get_hand_over(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
) -> Result<web::Json<HandOverResponse>, AppError> {
    let (actor, id, now) = (user.0, id.into_inner(), state.clock.now());
    let answer = db::read_only(&state.pool, move |conn| {
        let job = crate::repo::hand_overs::find(conn, id)?.ok_or(AppError::NotFound)?;
        if actor.role == crate::domain::role::Role::Manager
            && !crate::repo::users::is_managed_by(conn, job.user_id, actor.id)?
        {
            return Err(AppError::NotFound);
        }
        let items = crate::repo::hand_overs::items(conn, id)?;
        let remaining = crate::repo::hand_overs::remaining(conn, id, job.user_id)?;
        Ok(response(job, items, remaining, now))
    })
    .await?;
    Ok(web::Json(answer))
}
