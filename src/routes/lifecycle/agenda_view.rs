//! `GET /agenda`: the caller's holds that need them next.

use super::*;

/// One item of the agenda.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgendaItemResponse {
    pub kind: crate::domain::follow_up::AgendaItemKind,
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

crate::routes::whole_list_type!(AgendaResponse, AgendaItemResponse);

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

/// Answers the caller's agenda: follow-ups due and leads about to be recycled
///
/// The caller's due and overdue next follow-ups and their leads about to go back to the pool
/// (with the rule), soonest first, up to `within_hours` ahead (default 24). Any signed-in user
/// may call it, for their own holds.
#[utoipa::path(
    tag = "lifecycle",
    params(AgendaQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The agenda, soonest first", body = AgendaResponse),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad `within_hours`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/agenda")]
pub(super) async fn agenda(
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
        next_cursor: None,
        items: items
            .into_iter()
            .map(|i| {
                Ok(AgendaItemResponse {
                    kind: i.kind,
                    at: i.at,
                    overdue: i.at < now,
                    reason: i.reason,
                    stage: i.lead.stage,
                    lead_id: i.lead.id,
                    lead_name: i.lead.name,
                    lead_company: i.lead.company,
                })
            })
            .collect::<Result<_, AppError>>()?,
    }))
}
