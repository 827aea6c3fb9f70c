//! `/admin/sweep`, `/admin/sweeps/{id}`: the recycle sweep run now by an admin, answered at once
//! when it is quick, followed in the background when the backlog is large.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Admin;
use crate::db;
use crate::domain::claim::ClaimEnd;
use crate::domain::recycle::SweepRunStatus;
use crate::error::{AppError, Problem};
use crate::jobs::sweep::start_requested;
use crate::repo::sweeps::SweepRun;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sweep_now).service(get_sweep);
}

/// Where a sweep stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SweepStatus {
    /// Draining: batches are still being recycled.
    Running,
    /// Nothing due is left (as of its last batch) and the warnings are sent.
    Done,
    /// A batch failed (see `error`); what was recycled before it stays recycled.
    Failed,
    /// Marked running, but no batch for a minute: the instance draining it stopped. The
    /// periodic sweep of every instance carries on with whatever is still due.
    Interrupted,
}

/// An admin's sweep: who asked, when, and what it has done.
#[derive(Debug, Serialize, ToSchema)]
pub struct SweepRunResponse {
    pub id: Uuid,
    pub status: SweepStatus,
    pub requested_by: Option<Uuid>,
    pub started_at: DateTime<Utc>,
    /// When its last batch ran (progress moves it).
    pub heartbeat_at: DateTime<Utc>,
    /// `null` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// Leads returned to their pools so far.
    pub recycled_count: i32,
    /// Of those, how many for each recycle reason.
    pub recycled_by_reason: RecycledByReason,
    /// Owners warned of leads due back soon (sent once the drain is done).
    pub warned: i32,
    /// What failed, for a `failed` sweep.
    pub error: Option<String>,
}

/// Leads a sweep recycled, by the rule that sent them back.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RecycledByReason {
    pub recycled_no_first_follow_up: i32,
    pub recycled_no_contact: i32,
    pub recycled_no_progress: i32,
    pub recycled_no_deal: i32,
}

/// A run that is marked running but whose heartbeat has not moved for this long is interrupted.
const HEARTBEAT_LOST: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

impl SweepRunResponse {
    fn new(run: SweepRun, now: DateTime<Utc>) -> Self {
        let counts: BTreeMap<String, i32> =
            serde_json::from_value(run.recycled_by_reason.clone()).unwrap_or_default();
        let count = |reason: ClaimEnd| counts.get(reason.as_str()).copied().unwrap_or(0);
        Self {
            status: match run.status {
                SweepRunStatus::Running if now - run.heartbeat_at > HEARTBEAT_LOST => {
                    SweepStatus::Interrupted
                }
                SweepRunStatus::Running => SweepStatus::Running,
                SweepRunStatus::Done => SweepStatus::Done,
                SweepRunStatus::Failed => SweepStatus::Failed,
            },
            recycled_by_reason: RecycledByReason {
                recycled_no_first_follow_up: count(ClaimEnd::RecycledNoFirstFollowUp),
                recycled_no_contact: count(ClaimEnd::RecycledNoContact),
                recycled_no_progress: count(ClaimEnd::RecycledNoProgress),
                recycled_no_deal: count(ClaimEnd::RecycledNoDeal),
            },
            id: run.id,
            requested_by: run.requested_by,
            started_at: run.started_at,
            heartbeat_at: run.heartbeat_at,
            finished_at: run.finished_at,
            recycled_count: run.recycled,
            warned: run.warned,
            error: run.error,
        }
    }
}

/// What a sweep that finished within the answer did, lead by lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct SweepResponse {
    #[serde(flatten)]
    pub run: SweepRunResponse,
    /// Leads returned to their pools.
    pub recycled: Vec<RecycledLead>,
}

/// A lead the sweep returned to its pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecycledLead {
    pub lead_id: Uuid,
    pub previous_owner_id: Option<Uuid>,
    pub reason: ClaimEnd,
}

async fn run_of(state: &AppState, id: Uuid) -> Result<SweepRunResponse, AppError> {
    let now = state.clock.now();
    let run = db::transaction(&state.pool, move |conn| {
        crate::service::lifecycle::sweep_run(conn, id)
    })
    .await?;
    Ok(SweepRunResponse::new(run, now))
}

/// Runs the recycle sweep now (admin)
///
/// Every lead due back goes to its pool, its claim ending with the rule's reason; then owners of
/// leads due soon are warned. Safe alongside the periodic sweep of every instance (each lead is
/// recycled exactly once). A sweep that finishes within `LEADPOOL_SWEEP_ANSWER_MS` (2 s) answers
/// 200 with every lead it recycled; a larger backlog goes on draining in the background and the
/// answer is 202 with the progress so far and its `Location` (`GET /api/v1/admin/sweeps/{id}`).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sweep is done; what it did", body = SweepResponse),
        (status = 202, description = "The sweep goes on in the background; its progress so far",
            body = SweepRunResponse,
            headers(("Location" = String, description = "`/api/v1/admin/sweeps/{id}`, where its progress is read"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/admin/sweep")]
async fn sweep_now(state: web::Data<AppState>, user: Admin) -> Result<HttpResponse, AppError> {
    let (run, done) = start_requested(&state, user.id).await?;
    match actix_web::rt::time::timeout(state.config.sweep_answer_within, done).await {
        Ok(Ok(report)) => {
            let report = report?;
            Ok(HttpResponse::Ok().json(SweepResponse {
                run: run_of(&state, run.id).await?,
                recycled: report
                    .recycled
                    .into_iter()
                    .map(|(lead_id, previous_owner_id, reason)| RecycledLead {
                        lead_id,
                        previous_owner_id,
                        reason,
                    })
                    .collect(),
            }))
        }
        Ok(Err(_)) => Err(AppError::internal(
            "the sweep's drain ended without a report",
        )),
        Err(_) => Ok(HttpResponse::Accepted()
            .insert_header(("Location", format!("/api/v1/admin/sweeps/{}", run.id)))
            .json(run_of(&state, run.id).await?)),
    }
}

/// Answers the progress of an admin's sweep (admin)
///
/// Its progress while it drains, and what it did once done: its status, how many leads it
/// recycled (by reason) and how many owners it warned. Admins only.
#[utoipa::path(
    tag = "admin",
    params(("id" = Uuid, Path, description = "The sweep, from `POST /admin/sweep`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sweep", body = SweepRunResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such sweep", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/admin/sweeps/{id}")]
async fn get_sweep(
    state: web::Data<AppState>,
    _user: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<SweepRunResponse>, AppError> {
    Ok(web::Json(run_of(&state, id.into_inner()).await?))
}
