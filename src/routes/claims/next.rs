//! `POST /pools/{id}/next-lead`: the pool hands the caller its next lead.

use super::*;

/// Gives the caller their next lead from a pool they belong to
///
/// In a `round_robin` pool when it is their turn (409 `not_your_turn` when others in the rotation
/// are further behind than `round_robin_max_ahead` allows), in a `capability` pool the next lead of
/// a grade their tier may take; the lead is the oldest pooled one, or the best graded, as the
/// pool's `lead_order` says. 409 `pool_empty` when there is none; 422 with the quota code when the
/// caller is at a quota; 422 `claim_mode_mismatch` in `first_come` pools. Refusals carry their
/// explanation.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Pool id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's next lead, now theirs", body = TakenResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_your_turn`, `pool_empty`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_quota_exceeded`, `daily_claim_limit_reached`, `user_on_leave`, `user_inactive`, `claim_mode_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: more claim attempts this minute than `LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE`; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next minute's attempts"))),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/pools/{id}/next-lead")]
pub(super) async fn next_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let pool_id = id.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let per_minute = state.config.claim_attempts_per_minute;
    let taken = db::connection(&state.pool, move |conn| {
        service::claims::take_next_lead(conn, &user, pool_id, per_minute, now, tz)
    })
    .await
    .and_then(|taken| taken);
    let taken = counted(&state, taken)?;
    Ok(web::Json(taken_response(&state, taken, viewer).await?))
}
