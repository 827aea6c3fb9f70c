//! `/pools`: pools with members and intake routing.

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
use crate::auth::{Admin, AuthUser};
use crate::db;
use crate::domain::routing::RoutingCondition;
use crate::error::{AppError, Problem};
use crate::service::{self, pools::PoolInput, pools::PoolView};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_pools)
        .service(create_pool)
        .service(get_pool)
        .service(update_pool);
}

super::page_type!(PoolPage, PoolResponse);

/// A pool of leads.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolResponse {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// New leads that no routing condition matches go to the default pool.
    pub is_default: bool,
    /// Pools are tried in ascending priority; within a pool, its conditions in order.
    pub routing_priority: i32,
    /// Conditions that route a new lead here (any one matching is enough).
    pub routing: Vec<RoutingCondition>,
    /// Teams whose members may browse and claim.
    pub member_team_ids: Vec<Uuid>,
    /// Whether the people of the teams below a member team are members too.
    pub member_sub_teams: bool,
    /// People who may browse and claim.
    pub member_user_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<PoolView> for PoolResponse {
    fn from(v: PoolView) -> Self {
        Self {
            id: v.pool.id,
            name: v.pool.name,
            description: v.pool.description,
            is_default: v.pool.is_default,
            routing_priority: v.pool.routing_priority,
            routing: v.routing,
            member_team_ids: v.member_team_ids,
            member_sub_teams: v.pool.member_sub_teams,
            member_user_ids: v.member_user_ids,
            created_at: v.pool.created_at,
            updated_at: v.pool.updated_at,
        }
    }
}

/// A new pool.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePoolRequest {
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "华东公海")]
    pub name: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_default: bool,
    #[validate(range(min = -10000, max = 10000))]
    #[schema(minimum = -10000, maximum = 10000)]
    pub routing_priority: Option<i32>,
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub routing: Vec<RoutingCondition>,
    #[serde(default)]
    #[validate(length(max = 500))]
    #[schema(max_items = 500)]
    pub member_team_ids: Vec<Uuid>,
    /// Whether the people of the teams below a member team are members too (default: yes).
    #[serde(default = "crate::routes::yes")]
    pub member_sub_teams: bool,
    #[serde(default)]
    #[validate(length(max = 5000))]
    #[schema(max_items = 5000)]
    pub member_user_ids: Vec<Uuid>,
}

/// Changes to a pool; absent fields stay, member lists and routing are replaced when given.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePoolRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(max = 2000))]
    #[schema(value_type = String, max_length = 2000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = bool)]
    pub is_default: Option<bool>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(range(min = -10000, max = 10000))]
    #[schema(value_type = i32, minimum = -10000, maximum = 10000)]
    pub routing_priority: Option<i32>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(max = 50))]
    #[schema(value_type = Vec<RoutingCondition>, max_items = 50)]
    pub routing: Option<Vec<RoutingCondition>>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(max = 500))]
    #[schema(value_type = Vec<Uuid>, max_items = 500)]
    pub member_team_ids: Option<Vec<Uuid>>,
    /// Whether the people of the teams below a member team are members too.
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = bool)]
    pub member_sub_teams: Option<bool>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(max = 5000))]
    #[schema(value_type = Vec<Uuid>, max_items = 5000)]
    pub member_user_ids: Option<Vec<Uuid>>,
}

/// Lists the pools the caller may see
///
/// Admins see all pools, everyone else the pools they belong to (directly or by team).
/// Keyset-paginated.
#[utoipa::path(
    tag = "pools",
    params(crate::dto::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of pools", body = PoolPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools")]
async fn list_pools(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<crate::dto::PageQuery>,
) -> Result<web::Json<PoolPage>, AppError> {
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::pools::list(conn, &user, cursor, limit)
    })
    .await?;
    Ok(web::Json(PoolPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Creates a pool (admin)
///
/// Making it the default takes that role from the previous default pool. 409 `pool_name_taken`
/// when another pool has the name.
#[utoipa::path(
    tag = "pools",
    request_body = CreatePoolRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = PoolResponse, headers(("Location" = String, description = "The new pool's URL"))),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage pools", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`pool_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (unknown members, empty routing conditions...)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/pools")]
async fn create_pool(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreatePoolRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let name = crate::domain::text::single_line(&req.name);
    let input = PoolInput {
        name: None,
        description: req.description.map(|d| crate::domain::text::multi_line(&d)),
        is_default: Some(req.is_default),
        routing_priority: req.routing_priority,
        routing: Some(req.routing),
        member_team_ids: Some(req.member_team_ids),
        member_sub_teams: Some(req.member_sub_teams),
        member_user_ids: Some(req.member_user_ids),
    };
    let now = state.clock.now();
    let actor = user.id;
    let pool = db::transaction(&state.pool, move |conn| {
        service::pools::create(conn, actor, name, input, now)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/pools/{}", pool.pool.id)))
        .json(PoolResponse::from(pool)))
}

/// Answers one pool
///
/// For admins and the pool's members; 404 for anyone else.
#[utoipa::path(
    tag = "pools",
    params(("id" = Uuid, Path, description = "Pool id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pool", body = PoolResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools/{id}")]
async fn get_pool(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<PoolResponse>, AppError> {
    let id = id.into_inner();
    let pool = db::transaction(&state.pool, move |conn| {
        service::pools::get(conn, &user, id)
    })
    .await?;
    Ok(web::Json(pool.into()))
}

/// Changes a pool (admin)
///
/// Changes its name, description, default flag, routing (and routing priority) or members;
/// absent fields stay. 409 `pool_name_taken` when another pool has the name.
#[utoipa::path(
    tag = "pools",
    params(("id" = Uuid, Path, description = "Pool id")),
    request_body = UpdatePoolRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed pool", body = PoolResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage pools", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`pool_name_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[patch("/pools/{id}")]
async fn update_pool(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    body: JsonBody<UpdatePoolRequest>,
) -> Result<web::Json<PoolResponse>, AppError> {
    let id = id.into_inner();
    let req = body.into_inner();
    let input = PoolInput {
        name: req.name.map(|n| crate::domain::text::single_line(&n)),
        description: req.description.map(|d| crate::domain::text::multi_line(&d)),
        is_default: req.is_default,
        routing_priority: req.routing_priority,
        routing: req.routing,
        member_team_ids: req.member_team_ids,
        member_sub_teams: req.member_sub_teams,
        member_user_ids: req.member_user_ids,
    };
    let now = state.clock.now();
    let actor = user.id;
    let pool = db::transaction(&state.pool, move |conn| {
        service::pools::update(conn, actor, id, input, now)
    })
    .await?;
    Ok(web::Json(pool.into()))
}
