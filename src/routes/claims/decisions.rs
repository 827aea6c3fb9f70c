//! `GET /claim-decisions`: what claims, assignments and `next-lead` decided, and why.

use super::*;
use crate::domain::claim::{DecisionKind, DecisionOutcome};
use crate::error::ErrorCode;

/// A stored decision: who asked, what was decided, every candidate considered and why each was
/// skipped.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub id: Uuid,
    pub kind: DecisionKind,
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Who asked.
    pub actor_id: Option<Uuid>,
    pub outcome: DecisionOutcome,
    pub chosen_user_id: Option<Uuid>,
    /// For refusals: the error code that was answered.
    pub code: Option<ErrorCode>,
    #[schema(value_type = Vec<Candidate>)]
    pub candidates: Value,
    pub created_at: DateTime<Utc>,
}

impl From<Decision> for DecisionResponse {
    fn from(d: Decision) -> Self {
        Self {
            id: d.id,
            kind: d.kind,
            pool_id: d.pool_id,
            lead_id: d.lead_id,
            actor_id: d.actor_id,
            outcome: d.outcome,
            chosen_user_id: d.chosen_user_id,
            code: d.code,
            candidates: d.candidates,
            created_at: d.created_at,
        }
    }
}

/// Filters and paging of decisions.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDecisionsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Decisions about this person (who asked or who was chosen). Only admins may name someone
    /// else; for everyone else the list is about themselves.
    pub user_id: Option<Uuid>,
    /// `assigned` or `refused`.
    #[param(inline)]
    pub outcome: Option<DecisionOutcome>,
}

/// Lists stored claim decisions, newest first
///
/// Admins read all decisions (filterable, `user_id` included); everyone else only the decisions
/// about themselves (asking about another person answers 403).
#[utoipa::path(
    tag = "claims",
    params(ListDecisionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of decisions", body = DecisionPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins may read decisions about other people", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/claim-decisions")]
pub(super) async fn list_decisions(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListDecisionsQuery>,
) -> Result<web::Json<DecisionPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let filter = DecisionFilter {
        pool_id: q.pool_id,
        lead_id: q.lead_id,
        about: None,
        outcome: q.outcome,
    };
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::claims::list_decisions(conn, &user, q.user_id, filter, limit, cursor)
    })
    .await?;
    Ok(web::Json(DecisionPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Answers one stored claim decision
///
/// For the person who asked, the person chosen, their managers and admins; for anyone else the
/// decision answers 404 like an unknown id.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Decision id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decision", body = DecisionResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such decision, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/claim-decisions/{id}")]
pub(super) async fn get_decision(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<DecisionResponse>, AppError> {
    let id = id.into_inner();
    let decision = db::transaction(&state.pool, move |conn| {
        service::claims::decision(conn, &user, id)
    })
    .await?;
    Ok(web::Json(decision.into()))
}
