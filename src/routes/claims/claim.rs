//! `POST /leads/{id}/claim`, and how a claim and a taken lead are shown.

use super::*;

/// A claim record: one stretch of ownership of a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimResponse {
    pub id: Uuid,
    pub lead_id: Uuid,
    /// The pool the lead was taken from.
    pub pool_id: Option<Uuid>,
    /// Who held (holds) the lead.
    pub user_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub started_how: ClaimStart,
    /// Who started it (the claimer, or the manager who assigned).
    pub started_by: Option<Uuid>,
    /// An admin assigned it over the quotas.
    pub quota_override: bool,
    /// The decision that led to it (`GET /api/v1/claim-decisions/{id}`).
    pub decision_id: Option<Uuid>,
    /// Whether the claim is open (the person holds the lead now).
    pub active: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<ClaimEnd>,
    pub ended_by: Option<Uuid>,
}

impl From<Claim> for ClaimResponse {
    fn from(c: Claim) -> Self {
        Self {
            started_how: c.started_how,
            end_reason: c.end_reason,
            active: c.ended_at.is_none(),
            id: c.id,
            lead_id: c.lead_id,
            pool_id: c.pool_id,
            user_id: c.user_id,
            started_at: c.started_at,
            started_by: c.started_by,
            quota_override: c.quota_override,
            decision_id: c.decision_id,
            ended_at: c.ended_at,
            ended_by: c.ended_by,
        }
    }
}

/// A lead that changed hands: its new state, the claim record and the decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakenResponse {
    /// The lead, now owned (contact data in full for its new owner and those above them).
    pub lead: LeadResponse,
    pub claim: ClaimResponse,
    pub decision_id: Uuid,
}

/// Counts a claim, next-lead or assignment in the metrics: taken (by how) or refused (by code).
pub(super) fn counted(state: &AppState, taken: Result<Taken, AppError>) -> Result<Taken, AppError> {
    match &taken {
        Ok(t) => state.metrics.claimed(t.claim.started_how.as_str()),
        Err(e) if actix_web::ResponseError::status_code(e).is_client_error() => {
            state.metrics.claim_refused(e.code().as_str())
        }
        Err(_) => {}
    }
    taken
}

pub(super) async fn taken_response(
    state: &AppState,
    taken: Taken,
    viewer: Uuid,
) -> Result<TakenResponse, AppError> {
    Ok(TakenResponse {
        lead: lead_response(state, taken.lead, viewer).await?,
        claim: taken.claim.into(),
        decision_id: taken.decision.id,
    })
}

/// Claims a pooled lead for the caller
///
/// For members of the lead's pool: first come, or in `capability` pools within the caller's tier.
/// Of many people claiming one lead at once exactly one wins; the others get 409
/// `lead_already_claimed`, or 404 once the lead is out of the pool and not one the caller may read
/// (a colleague's lead answers like an unknown id, and no decision is stored). Quotas are checked
/// in the same transaction and hold under concurrency: 422 `claim_quota_exceeded`
/// (`max_owned_per_user` / the tier's `max_owned`), `daily_claim_limit_reached` (per local calendar
/// day; releasing does not give a claim back), `reclaim_cooldown` (a previous owner within
/// `reclaim_cooldown_days`), `grade_not_allowed` (the tier may not take this grade),
/// `user_on_leave`, `user_inactive`; 422 `claim_mode_mismatch` in `round_robin` pools. Every
/// refusal is stored with its explanation (`decision_id`, `explanation` in the problem body).
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Lead id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Claimed: the lead in its new state", body = TakenResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such lead, not in a pool the caller belongs to, or out of the pool and not the caller's to read (a colleague's lead)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_already_claimed`: taken while the caller claimed it, or already the caller's (or, for a manager, held by someone they manage)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_quota_exceeded`, `daily_claim_limit_reached`, `reclaim_cooldown`, `grade_not_allowed`, `user_on_leave`, `user_inactive`, `claim_mode_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: more claim attempts this minute than `LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE`; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next minute's attempts"))),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/claim")]
pub(super) async fn claim_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let per_minute = state.config.claim_attempts_per_minute;
    // One connection for the attempt's count, the claim (its own transaction when it needs one)
    // and the field definitions the answer shows.
    let cache = state.field_defs.clone();
    let (taken, defs) = db::connection(&state.pool, move |conn| {
        service::claims::count_claim_attempt(conn, user.id, per_minute, now)?;
        let taken = service::claims::claim(conn, &user, lead_id, now, tz)?;
        let defs = match &taken {
            Ok(_) => Some(cache.get(conn)?),
            Err(_) => None,
        };
        Ok((taken, defs))
    })
    .await?;
    let taken = counted(&state, taken)?;
    Ok(web::Json(TakenResponse {
        lead: crate::dto::lead::lead_response_with(
            &state,
            taken.lead,
            viewer,
            defs.as_deref().map_or(&[][..], |d| d.as_slice()),
        )?,
        claim: taken.claim.into(),
        decision_id: taken.decision.id,
    }))
}
