//! Follow-ups: recording one on a lead, a lead's follow-ups, and the follow-up list.

use super::*;
use crate::dto::PageQuery;

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

impl From<FollowUp> for FollowUpResponse {
    fn from(f: FollowUp) -> Self {
        Self {
            type_: f.type_,
            stage_from: f.stage_from,
            stage_to: f.stage_to,
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
        }
    }
}

/// A follow-up to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpRequest {
    #[serde(rename = "type")]
    pub type_: FollowUpType,
    /// What was discussed.
    #[validate(
        length(min = 1, max = 10000),
        custom(function = "crate::routes::non_blank")
    )]
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

/// Records a follow-up on an owned lead or a customer
///
/// For the owner; their manager or an admin too. The lead's recycle time is recomputed in the
/// same transaction; a stage of `won` converts the lead (its claim ends `converted` and the lead
/// stays with its owner as a customer), `lost` ends the claim and the lead goes back to its pool
/// or is closed. On a customer (`converted`), follow-ups record after-sale visits and renewals:
/// they belong to no claim and move no stage (a `stage` other than `won` is a 422).
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = FollowUpRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = FollowUpResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Not the owner or their manager", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_not_owned`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e.g. `next_follow_up_at` not in the future) or `stage_backward`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/follow-ups")]
pub(super) async fn add_follow_up(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<FollowUpRequest>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let input = NewFollowUp {
        type_: req.type_,
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
        follow_up: record.into(),
        lead: lead_response(&state, lead, viewer).await?,
    }))
}

/// Lists a lead's follow-ups, oldest first
///
/// For whoever may read the lead (its owner, the owner's manager, admins); 404 for anyone else.
/// Keyset-paginated.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Lead id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of follow-ups, oldest first", body = FollowUpPage),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/leads/{id}/follow-ups")]
pub(super) async fn lead_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: QueryParams<PageQuery>,
) -> Result<web::Json<FollowUpPage>, AppError> {
    let lead_id = id.into_inner();
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::lifecycle::lead_follow_ups(conn, &user, lead_id, limit, cursor)
    })
    .await?;
    Ok(web::Json(FollowUpPage {
        items: rows.into_iter().map(Into::into).collect(),
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

/// Lists follow-ups across leads, newest first
///
/// Salespeople see their own, managers their teams', admins all; filterable by person, type and
/// time recorded.
#[utoipa::path(
    tag = "lifecycle",
    params(ListFollowUpsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of follow-ups, newest first", body = FollowUpPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/follow-ups")]
pub(super) async fn list_follow_ups(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListFollowUpsQuery>,
) -> Result<web::Json<FollowUpPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let filter = FollowUpFilter {
        user_id: q.user_id,
        type_: q.type_,
        from: q.from,
        to: q.to,
    };
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        service::lifecycle::list_follow_ups(conn, &user, &filter, limit, cursor)
    })
    .await?;
    Ok(web::Json(FollowUpPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
