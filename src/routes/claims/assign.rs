//! `POST /leads/{id}/assign`: a manager or an admin gives a pooled lead to a member.

use super::*;

/// A manager's or admin's assignment of a pooled lead.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The salesperson (a member of the pool; for a manager, one of their teams).
    pub user_id: Uuid,
    /// Admins only: assign even over the person's quotas, cooldown or grade restriction
    /// (audited as `lead.assigned_over_quota`).
    #[serde(default)]
    pub quota_override: bool,
}

/// Assigns a pooled lead to a pool member (managers and admins)
///
/// Managers may assign to members of their teams, admins to anyone. The same quota checks as a
/// claim apply (422 with the specific code), unless an admin sets `quota_override` (audited).
/// 409 `lead_already_claimed` when someone holds it.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assigned: the lead in its new state", body = TakenResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not assign; only admins may override quotas", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not in a pool the caller belongs to", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_already_claimed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (unknown `user_id`), `not_pool_member`, `claim_quota_exceeded`, `daily_claim_limit_reached`, `reclaim_cooldown`, `grade_not_allowed`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/{id}/assign")]
pub(super) async fn assign_lead(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<AssignRequest>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let taken = db::transaction(&state.pool, move |conn| {
        service::claims::assign(
            conn,
            &user,
            lead_id,
            req.user_id,
            req.quota_override,
            now,
            tz,
        )
    })
    .await
    .and_then(|taken| taken);
    let taken = counted(&state, taken)?;
    Ok(web::Json(taken_response(&state, taken, viewer).await?))
}
