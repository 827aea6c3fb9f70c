//! `/lead-fields`: custom lead fields defined at run time.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use crate::AppState;
use crate::auth::{Admin, AuthUser};
use crate::db::{self, models::LeadField};
use crate::domain::custom_field::FieldType;
use crate::domain::role::Role;
use crate::error::{AppError, Problem};
use crate::service::{self, lead_fields::FieldPatch, lead_fields::NewField};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_fields)
        .service(create_field)
        .service(update_field)
        .service(delete_field);
}

/// A custom lead field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldResponse {
    /// Key of the value in a lead's `custom` object, and in filters `custom.<key>=`.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Allowed values of `select` and `multi_select` fields.
    pub options: Vec<String>,
    /// Every new lead must have a value.
    pub required: bool,
    /// `q` searches text fields marked searchable.
    pub searchable: bool,
    /// Display order.
    pub position: i32,
    /// Set when the field was removed (its values are kept, hidden).
    pub removed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LeadField> for FieldResponse {
    fn from(f: LeadField) -> Self {
        Self {
            field_type: f.field_type,
            key: f.key,
            label: f.label,
            options: f.options,
            required: f.required,
            searchable: f.searchable,
            position: f.position,
            removed_at: f.deleted_at,
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A new custom field.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFieldRequest {
    /// Lower-case letter, then letters, digits or `_`; never reused.
    #[validate(length(min = 1, max = 63))]
    #[schema(
        min_length = 1,
        max_length = 63,
        pattern = "^[a-z][a-z0-9_]*$",
        example = "budget_cny"
    )]
    pub key: String,
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "预算 (元)")]
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    #[validate(length(max = 200))]
    #[schema(max_items = 200)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub searchable: bool,
    #[serde(default)]
    pub position: i32,
}

/// Changes to a field; its key and type never change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFieldRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub label: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[validate(length(max = 200))]
    #[schema(value_type = Vec<String>, max_items = 200)]
    pub options: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = bool)]
    pub required: Option<bool>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = bool)]
    pub searchable: Option<bool>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = i32)]
    pub position: Option<i32>,
}

/// Whether to include removed fields.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListFieldsQuery {
    /// Include removed fields (admins only).
    pub include_removed: Option<bool>,
}

super::whole_list_type!(FieldList, FieldResponse);

/// Lists the custom lead fields, in display order
///
/// Any signed-in user may read the active fields; `include_removed=true` also lists removed
/// fields and is for admins only (403 otherwise).
#[utoipa::path(
    tag = "lead-fields",
    params(ListFieldsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The fields", body = FieldList),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "`include_removed` is for admins", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad query parameter", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/lead-fields")]
async fn list_fields(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListFieldsQuery>,
) -> Result<web::Json<FieldList>, AppError> {
    let include_removed = query.into_inner().include_removed.unwrap_or(false);
    if include_removed {
        user.require(&[Role::Admin])?;
    }
    let rows = db::transaction(&state.pool, move |conn| {
        service::lead_fields::list(conn, include_removed)
    })
    .await?;
    let items: Vec<FieldResponse> = rows.into_iter().map(Into::into).collect();
    Ok(web::Json(items.into()))
}

/// Defines a custom lead field (admin)
///
/// Values are validated on every way in from then on. 409 `field_key_taken` when a field, even a
/// removed one, has the key (keys are never reused).
#[utoipa::path(
    tag = "lead-fields",
    request_body = CreateFieldRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = FieldResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`field_key_taken`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/lead-fields")]
async fn create_field(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreateFieldRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let new = NewField {
        key: req.key,
        label: crate::domain::text::single_line(&req.label),
        field_type: req.field_type,
        options: req.options,
        required: req.required,
        searchable: req.searchable,
        position: req.position,
    };
    let now = state.clock.now();
    let actor = user.id;
    let field = db::transaction(&state.pool, move |conn| {
        service::lead_fields::create(conn, actor, new, now)
    })
    .await?;
    // This instance at once; the others when the trigger's notification reaches them.
    state.field_defs.forget();
    Ok(HttpResponse::Created().json(FieldResponse::from(field)))
}

/// Changes a custom lead field (admin)
///
/// Changes the field's label, options, required and searchable flags or position; the key and
/// type stay. 404 for an unknown or removed field.
#[utoipa::path(
    tag = "lead-fields",
    params(("key" = String, Path, description = "Field key")),
    request_body = UpdateFieldRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed field", body = FieldResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such (active) field", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[patch("/lead-fields/{key}")]
async fn update_field(
    state: web::Data<AppState>,
    user: Admin,
    key: web::Path<String>,
    body: JsonBody<UpdateFieldRequest>,
) -> Result<web::Json<FieldResponse>, AppError> {
    let key = key.into_inner();
    let req = body.into_inner();
    let patch = FieldPatch {
        label: req.label.map(|l| crate::domain::text::single_line(&l)),
        options: req.options,
        required: req.required,
        searchable: req.searchable,
        position: req.position,
    };
    let now = state.clock.now();
    let actor = user.id;
    let field = db::transaction(&state.pool, move |conn| {
        service::lead_fields::update(conn, actor, &key, patch, now)
    })
    .await?;
    state.field_defs.forget();
    Ok(web::Json(field.into()))
}

/// Removes a custom lead field (admin)
///
/// The field stops appearing, validating and filtering; stored values are kept. 404 for an
/// unknown or already removed field.
#[utoipa::path(
    tag = "lead-fields",
    params(("key" = String, Path, description = "Field key")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins define fields", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such (active) field", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[delete("/lead-fields/{key}")]
async fn delete_field(
    state: web::Data<AppState>,
    user: Admin,
    key: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = key.into_inner();
    let now = state.clock.now();
    let actor = user.id;
    db::transaction(&state.pool, move |conn| {
        service::lead_fields::remove(conn, actor, &key, now)
    })
    .await?;
    state.field_defs.forget();
    Ok(HttpResponse::NoContent().finish())
}
