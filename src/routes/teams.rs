//! `/teams`: teams of salespeople and their managers (admin).

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::Admin;
use crate::db::{self, models::Team};
use crate::error::{AppError, Problem};
use crate::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_teams)
        .service(create_team)
        .service(get_team)
        .service(update_team);
}

super::page_type!(TeamPage, TeamResponse);

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamResponse {
    pub id: Uuid,
    /// Unique regardless of case.
    pub name: String,
    /// The manager who approves the team's requests and reads its reports, and those of every
    /// team below it.
    pub manager_id: Option<Uuid>,
    /// The team this one sits below (departments nest); `null` at the top.
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Team> for TeamResponse {
    fn from(team: Team) -> Self {
        Self {
            id: team.id,
            name: team.name,
            manager_id: team.manager_id,
            parent_id: team.parent_id,
            created_at: team.created_at,
            updated_at: team.updated_at,
        }
    }
}

/// A new team.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeamRequest {
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "East China")]
    pub name: String,
    /// An active user whose role is manager or admin.
    pub manager_id: Option<Uuid>,
    /// The team it sits below (a department of that one).
    pub parent_id: Option<Uuid>,
}

/// Changes to a team. Absent fields stay as they are; `manager_id: null` removes the manager,
/// `parent_id: null` puts the team at the top.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeamRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub manager_id: Option<Option<Uuid>>,
    /// Moves the team (and every team below it) under another one.
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
}

/// Lists teams (admin)
///
/// Every team with its manager, oldest first, keyset-paginated. Only admins may call it.
#[utoipa::path(
    tag = "teams",
    params(crate::dto::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of teams, oldest first", body = TeamPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage teams", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `cursor` (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/teams")]
async fn list_teams(
    state: web::Data<AppState>,
    _admin: Admin,
    query: QueryParams<crate::dto::PageQuery>,
) -> Result<web::Json<TeamPage>, AppError> {
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::teams::list(conn, cursor, limit)
    })
    .await?;
    Ok(web::Json(TeamPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Creates a team (admin)
///
/// The name must be unique regardless of case (409 `team_name_taken`); a `manager_id` must be an
/// active user whose role is manager or admin (422 `invalid_manager`); a `parent_id` an existing
/// team (422 `not_found`). A manager answers for their teams and every team below them (reads,
/// actions, approvals, reports).
#[utoipa::path(
    tag = "teams",
    request_body = CreateTeamRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = TeamResponse, headers(("Location" = String, description = "The new team's URL"))),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage teams", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`team_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e.g. `invalid_manager`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/teams")]
async fn create_team(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreateTeamRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let now = state.clock.now();
    let name = crate::domain::text::single_line(&req.name);
    let actor = user.id;
    let team = db::transaction(&state.pool, move |conn| {
        service::teams::create(conn, actor, name, req.manager_id, req.parent_id, now)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/teams/{}", team.id)))
        .json(TeamResponse::from(team)))
}

/// Answers one team (admin)
///
/// The team's name and manager. Only admins may call it; 404 for an unknown id.
#[utoipa::path(
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The team", body = TeamResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage teams", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/teams/{id}")]
async fn get_team(
    state: web::Data<AppState>,
    _admin: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<TeamResponse>, AppError> {
    let id = id.into_inner();
    let team = db::transaction(&state.pool, move |conn| service::teams::get(conn, id)).await?;
    Ok(web::Json(team.into()))
}

/// Renames a team, changes its manager or moves it in the tree (admin)
///
/// Absent fields stay as they are; `manager_id: null` removes the manager, `parent_id: null` puts
/// the team at the top. The same rules as on creation apply: 409 `team_name_taken`, 422
/// `invalid_manager`, `not_found` for an unknown parent. A team cannot be put below itself or a
/// team below it (422 on `parent_id`, also when two moves at once would make such a loop). A move
/// takes effect at once: from then on the managers above the new place answer for the team.
#[utoipa::path(
    tag = "teams",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = UpdateTeamRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed team", body = TeamResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage teams", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`team_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e.g. `invalid_manager`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[patch("/teams/{id}")]
async fn update_team(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateTeamRequest>,
) -> Result<web::Json<TeamResponse>, AppError> {
    let id = id.into_inner();
    let req = body.into_inner();
    let now = state.clock.now();
    let name = req.name.map(|n| crate::domain::text::single_line(&n));
    let actor = user.id;
    let team = db::transaction(&state.pool, move |conn| {
        service::teams::update(conn, actor, id, name, req.manager_id, req.parent_id, now)
    })
    .await?;
    Ok(web::Json(team.into()))
}
