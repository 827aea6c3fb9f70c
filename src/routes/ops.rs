//! Operational endpoints: liveness, readiness, and the answer for unknown routes.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::AppState;
use crate::db;
use crate::error::{AppError, ErrorCode, Problem};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
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

/// Liveness probe: the process is up
///
/// It does not check the database: use `GET /readyz` for that. Needs no authentication and
/// always answers 200 `{"status": "ok"}` while the process serves requests.
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

/// Readiness probe: the database is reachable and fully migrated
///
/// Needs no authentication. Answers 200 when ready; otherwise 503 (with `Retry-After: 5`), the
/// body saying which of `database` and `migrations` failed.
#[utoipa::path(
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: the database is unreachable or not migrated", body = Readiness,
            headers(("Retry-After" = u32, description = "Seconds to wait before asking again (5)"))),
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

/// The instance's metrics in the Prometheus text format
///
/// Requests by route and status with latency histograms, the database pool (connections in use
/// and idle, waits, timeouts), claims and refusals by code, recycles by reason, intake outcomes,
/// sweep durations. Never rate-limited. When `LEADPOOL_METRICS_TOKEN` is set, only with
/// `Authorization: Bearer <that token>`.
#[utoipa::path(
    tag = "ops",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "The metrics (text/plain; version=0.0.4)", body = String, content_type = "text/plain"),
        (status = 401, description = "`LEADPOOL_METRICS_TOKEN` is set and the request does not carry it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(expected) = &state.config.metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same_bytes(given.as_bytes(), expected.expose().as_bytes()) {
            return Err(AppError::Unauthorized {
                code: ErrorCode::InvalidToken,
                detail: "send Authorization: Bearer <LEADPOOL_METRICS_TOKEN>".into(),
            });
        }
    }
    let pool = state.pool.clone();
    let metrics = state.metrics.clone();
    let text = web::block(move || metrics.render(&pool)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

/// Compares in time that does not depend on where the bytes differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

// `Problem` is referenced here so the schema is registered even before any route returns it.
#[allow(dead_code)]
fn _problem_schema(_: Problem) {}
