//! `GET /leads/{id}/timeline`: what happened to a lead, oldest first.

use super::*;

/// One entry of a lead's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub kind: crate::domain::event::LeadEventKind,
    /// Who did it (absent for integrations and the system).
    pub actor_id: Option<Uuid>,
    /// What happened: for `updated`, each changed field with `from` and `to` (contact fields are
    /// only named in `contact_changed`, never shown); for `touched`, the channel and the fields
    /// it filled.
    #[schema(value_type = HashMap<String, crate::dto::shapes::AnyValue>)]
    pub details: Value,
    pub at: DateTime<Utc>,
}

impl From<LeadEvent> for TimelineEntry {
    fn from(e: LeadEvent) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            details: e.details,
            at: e.created_at,
        }
    }
}

/// Answers a lead's history, oldest first
///
/// Creation, later submissions (touches) and edits, along with the other events `kind` names
/// (claims and their ends, transfers, follow-ups, approvals, recycle warnings, closing);
/// keyset-paginated. For those who may read the lead (its owner, the owner's manager, admins);
/// 404 for anyone else.
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), crate::dto::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the timeline, oldest first", body = TimelinePage),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/leads/{id}/timeline")]
pub(super) async fn lead_timeline(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: crate::routes::extract::QueryParams<crate::dto::PageQuery>,
) -> Result<web::Json<TimelinePage>, AppError> {
    let id = id.into_inner();
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::leads::timeline(conn, &user, id, cursor, limit)
    })
    .await?;
    Ok(web::Json(TimelinePage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
