//! Operational endpoints: liveness, readiness, and the answer for unknown routes.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::db;
use crate::error::{AppError, Problem};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

/// Readiness and what it depends on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    pub status: String,
    /// A database connection could be had.
    pub database: bool,
    /// Every migration this build knows is applied.
    pub migrations: bool,
}

/// The process is up (it does not check the database).
#[utoipa::path(
    tag = "ops",
    security(()),
    responses((status = 200, description = "Up", body = Health))
)]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
    })
}

/// Ready to serve: the database is reachable and fully migrated. 503 otherwise.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: the database is unreachable or not migrated", body = Readiness),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pool = state.pool.clone();
    let ready = web::block(move || db::readiness(&pool)).await?;
    let ok = ready.database && ready.migrations;
    let body = Readiness {
        status: if ok { "ready" } else { "unavailable" }.into(),
        database: ready.database,
        migrations: ready.migrations,
    };
    Ok(if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    })
}

/// Every path that no route matches: 404 problem+json.
pub async fn no_such_route() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

// `Problem` is referenced here so the schema is registered even before any route returns it.
#[allow(dead_code)]
fn _problem_schema(_: Problem) {}
