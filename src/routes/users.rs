//! `/users`: people who sign in.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::{Admin, Supervisor, password};
use crate::db::{self, models::User};
use crate::domain::email::Email;
use crate::domain::leave::on_leave;
use crate::domain::role::Role;
use crate::error::{AppError, Problem};
use crate::service;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(sign_out_user);
}

super::page_type!(UserPage, UserResponse);

/// Who decides a person's tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TierSource {
    Manual,
    Computed,
}

/// A person who signs in.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub name: String,
    /// Lower-cased; unique regardless of case.
    pub email: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    /// Capability tier (1 is the first tier).
    pub tier: Option<i32>,
    /// `manual`: set by an admin and kept; `computed`: set by the tier policy from the person's
    /// record (clear `tier` with `null` to go back to computed).
    pub tier_source: TierSource,
    /// Deactivated users cannot sign in or refresh tokens.
    pub active: bool,
    pub on_leave_from: Option<DateTime<Utc>>,
    pub on_leave_until: Option<DateTime<Utc>>,
    /// Whether the user is on leave right now.
    pub on_leave: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserResponse {
    fn from_row(user: User, now: DateTime<Utc>) -> Result<Self, AppError> {
        Ok(Self {
            role: user.role,
            on_leave: on_leave(user.on_leave_from, user.on_leave_until, now),
            id: user.id,
            name: user.name,
            email: user.email,
            team_id: user.team_id,
            tier: user.tier,
            tier_source: if user.tier_pinned {
                TierSource::Manual
            } else {
                TierSource::Computed
            },
            active: user.active,
            on_leave_from: user.on_leave_from,
            on_leave_until: user.on_leave_until,
            created_at: user.created_at,
            updated_at: user.updated_at,
        })
    }
}

/// A new user with an initial password.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "Zhang Wei")]
    pub name: String,
    #[validate(length(min = 3, max = 254), custom(function = "super::email_address"))]
    #[schema(min_length = 3, max_length = 254, example = "zhang.wei@example.com")]
    pub email: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub tier: Option<i32>,
    /// 10 to 128 characters, no leading or trailing space.
    #[validate(custom(function = "super::password_policy"))]
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
}

/// Changes to a user. Absent fields stay as they are; `null` clears a nullable field.
#[derive(Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(min = 3, max = 254), custom(function = "super::email_address"))]
    #[schema(value_type = String, min_length = 3, max_length = 254)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = Role)]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Uuid>)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[validate(range(min = 1, max = 20))]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 20)]
    pub tier: Option<Option<i32>>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = bool)]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub on_leave_from: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub on_leave_until: Option<Option<DateTime<Utc>>>,
    /// A new password (signs the user out everywhere).
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(custom(function = "super::password_policy"))]
    #[schema(value_type = String, min_length = 10, max_length = 128)]
    pub password: Option<String>,
}

/// Filters and paging for the user list.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Case-insensitive part of the name or email.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
}

/// The address, already checked by `super::email_address` during validation.
fn parse_email(text: &str) -> Result<Email, AppError> {
    Email::parse(text).map_err(|_| {
        AppError::validation("email", "invalid_format", "is not a valid email address")
    })
}

async fn hash_password(password_text: String) -> Result<String, AppError> {
    web::block(move || password::hash(&password_text)).await?
}

/// Lists users (managers and admins)
///
/// Admins see everyone, managers the members of the teams they manage; salespeople get 403.
/// Filterable by role, team, active flag and part of the name or email; oldest first,
/// keyset-paginated.
#[utoipa::path(
    tag = "users",
    params(ListUsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users, oldest first", body = UserPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not list users", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor` (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    user: Supervisor,
    query: QueryParams<ListUsersQuery>,
) -> Result<web::Json<UserPage>, AppError> {
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let filter = service::users::ListUsers {
        role: query.role,
        team_id: query.team_id,
        active: query.active,
        q: query.q,
        cursor,
        limit,
    };
    let now = state.clock.now();
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::users::list(conn, &user, filter)
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|u| UserResponse::from_row(u, now))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(UserPage { items, next_cursor }))
}

/// Creates a user with an initial password (admin)
///
/// The email must be unused regardless of case (409 `email_taken`); the password must meet the
/// policy (422 `weak_password`) and a `team_id` must name a team. Answers the new user.
#[utoipa::path(
    tag = "users",
    request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserResponse, headers(("Location" = String, description = "The new user's URL"))),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins create users", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e.g. `weak_password`, unknown `team_id`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreateUserRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let input = service::users::NewUserInput {
        name: crate::domain::text::single_line(&req.name),
        email: parse_email(&req.email)?,
        role: req.role,
        team_id: req.team_id,
        tier: req.tier,
        password_hash: hash_password(req.password).await?,
    };
    let now = state.clock.now();
    let actor = user.id;
    let created = db::transaction(&state.pool, move |conn| {
        service::users::create(conn, Some(actor), input, now)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/users/{}", created.id)))
        .json(UserResponse::from_row(created, now)?))
}

/// Answers one user (managers and admins)
///
/// Admins see anyone, managers their teams' members and themselves; 404 for anyone else.
/// Salespeople get 403 (they have `/me`).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not read users (they have `/me`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or not one the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
) -> Result<web::Json<UserResponse>, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let found = db::transaction(&state.pool, move |conn| {
        service::users::get(conn, &user, id)
    })
    .await?;
    Ok(web::Json(UserResponse::from_row(found, now)?))
}

/// Changes a user (admin)
///
/// Changes name, email, role, team, tier, active, leave window or password. Deactivating a user or
/// setting a new password signs them out everywhere at once: their refresh tokens are revoked and
/// their access tokens stop working. A role or team change applies from their next request.
/// Deactivating a manager, or making them a salesperson, removes them as their team's manager.
/// The last active admin cannot be demoted or deactivated (409 `last_admin`).
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = UserResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins change users", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`, `last_admin`, or `holds_leads` (deactivating someone who still holds leads or customers: hand them over first with `POST /api/v1/users/{id}/hand-over`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, including unknown fields such as `id` or `created_at`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateUserRequest>,
) -> Result<web::Json<UserResponse>, AppError> {
    let id = id.into_inner();
    let req = body.into_inner();
    let email = req.email.as_deref().map(parse_email).transpose()?;
    let password_hash = match req.password {
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let patch = service::users::UserPatch {
        name: req.name.map(|n| crate::domain::text::single_line(&n)),
        email,
        role: req.role,
        team_id: req.team_id,
        tier: req.tier,
        active: req.active,
        on_leave_from: req.on_leave_from,
        on_leave_until: req.on_leave_until,
        password_hash,
    };
    let now = state.clock.now();
    let actor = user.id;
    let updated = db::transaction(&state.pool, move |conn| {
        service::users::update(conn, actor, id, patch, now)
    })
    .await?;
    // This instance at once; the others when the trigger's notification reaches them.
    state.access.forget(id);
    Ok(web::Json(UserResponse::from_row(updated, now)?))
}

/// Signs a user out everywhere (admin)
///
/// For a lost phone or a shared laptop: every refresh token of the user is revoked and every
/// access token they hold stops working, on every instance within moments. The user may sign in
/// again with their password; to keep them out, deactivate them instead. Audited.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "The user")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of the user ended"),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins sign others out", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/users/{id}/sign-out")]
async fn sign_out_user(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let (id, actor, now) = (id.into_inner(), user.id, state.clock.now());
    db::transaction(&state.pool, move |conn| {
        service::auth::sign_out_everywhere(conn, actor, id, now)
    })
    .await?;
    state.access.forget(id);
    Ok(HttpResponse::NoContent().finish())
}
