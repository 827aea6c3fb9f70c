//! leadpool: a shared lead pool (公海) for sales teams.
//!
//! This crate builds the whole HTTP application; `main.rs` only reads settings, prepares the
//! database and serves it, and the integration tests drive the very same app.
//!
//! No `unwrap`/`expect` outside tests: a failure is an `AppError` (a 500 that is logged), not a
//! panic. The few invariants that truly cannot fail say why where they are allowed.

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod auth;
pub mod clock;
pub mod config;
pub mod cors;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod dto;
pub mod edge;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod repo;
pub mod request_id;
pub mod routes;
pub mod service;
pub mod spreadsheet;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, Logger, from_fn};
use actix_web::{App, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::tokens::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Vault;
use crate::db::DbPool;
use crate::metrics::Metrics;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<TokenKeys>,
    pub vault: Arc<Vault>,
    pub metrics: Arc<Metrics>,
    /// Where reports, listings and exports read: a replica when `DATABASE_READ_URL` is set,
    /// else the same pool as `pool`.
    pub read_pool: DbPool,
    /// Callers' current access (active, role, token version), kept fresh by a listener.
    pub access: Arc<crate::auth::access::AccessCache>,
    /// The active custom field definitions, for showing leads, kept fresh by a listener.
    pub field_defs: Arc<crate::service::lead_fields::FieldDefsCache>,
}

impl AppState {
    /// `metrics` should be the ones the pool reports to (`db::build_pool`).
    #[allow(
        clippy::expect_used,
        reason = "main refuses to start without a data key (config.vault()), and the tests' configs carry one"
    )]
    pub fn new(config: Config, pool: DbPool, clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        let tokens = TokenKeys::new(
            config.jwt_secret.expose().as_bytes(),
            config.access_token_ttl,
            config.refresh_token_ttl,
        );
        // `Config::from_env` always resolves the data key; a test config must give one.
        let read_pool = match &config.database_read_url {
            Some(url) => db::build_pool(
                url.expose(),
                config.db_pool_size,
                config.db_timeout,
                config.db_statement_cache,
                metrics.pool_events(),
            ),
            None => pool.clone(),
        };
        let vault = config.vault().expect("a data key is configured");
        let access = crate::auth::access::AccessCache::new(config.access_cache_ttl);
        let field_defs = crate::service::lead_fields::FieldDefsCache::new(config.access_cache_ttl);
        // LISTEN needs a session of its own: the direct URL when DATABASE_URL is a pooler's.
        let listen_url = config
            .database_migration_url
            .as_ref()
            .unwrap_or(&config.database_url)
            .expose()
            .to_string();
        let listeners: Vec<std::sync::Weak<dyn crate::notify::Listener>> = vec![
            Arc::downgrade(&access) as std::sync::Weak<dyn crate::notify::Listener>,
            Arc::downgrade(&field_defs) as std::sync::Weak<dyn crate::notify::Listener>,
        ];
        crate::notify::spawn(listen_url, listeners);
        Self {
            pool,
            config: Arc::new(config),
            clock,
            tokens: Arc::new(tokens),
            vault: Arc::new(vault),
            read_pool,
            metrics,
            access,
            field_defs,
        }
    }
}

/// Registers every documented route on a utoipa-aware app: the API under `/api/v1` and the
/// operational endpoints at the root.
fn register<T>(app: utoipa_actix_web::UtoipaApp<T>) -> utoipa_actix_web::UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(openapi::base())
        .configure(routes::ops::configure)
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::configure_api))
}

/// The OpenAPI document, exactly as `/openapi.json` serves it.
pub fn openapi_document() -> serde_json::Value {
    openapi::finish(&register(App::new().into_utoipa_app()).split_for_parts().1)
}

/// The complete application: routes, documentation, extractor error handlers and middleware.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let state_origins = state.config.cors_origins.clone();
    let (app, api) = register(
        App::new()
            .into_utoipa_app()
            .app_data(web::Data::new(state))
            .app_data(web::JsonConfig::default().error_handler(routes::extract::json_config_error))
            .app_data(
                web::QueryConfig::default().error_handler(routes::extract::query_config_error),
            )
            .app_data(web::PathConfig::default().error_handler(routes::extract::path_config_error)),
    )
    .split_for_parts();
    let document = openapi::finish(&api);
    let origins: std::sync::Arc<[String]> = state_origins.into();
    // The validator badge would send the document to an outside service: off.
    let docs_config = utoipa_swagger_ui::Config::default().validator_url("none");
    let known = Arc::new(edge::Routes::from_document(&api));
    app.service(
        SwaggerUi::new("/docs/{_:.*}")
            .external_url_unchecked("/openapi.json", document)
            .config(docs_config),
    )
    .service(web::redirect("/docs", "/docs/"))
    // No route took it: 405 with `Allow` on a known path, else 404.
    .default_service(web::to(move |req: actix_web::HttpRequest| {
        let answer = known.unmatched(&req);
        async move { Err::<actix_web::HttpResponse, _>(answer) }
    }))
    .wrap(
        DefaultHeaders::new()
            .add(("X-Content-Type-Options", "nosniff"))
            .add(("X-Frame-Options", "DENY"))
            .add(("Referrer-Policy", "no-referrer")),
    )
    .wrap(from_fn(move |req, next| {
        cors::handle(origins.clone(), req, next)
    }))
    .wrap(from_fn(edge::no_store))
    .wrap(from_fn(edge::guard))
    .wrap(from_fn(request_id::assign))
    .wrap(from_fn(metrics::record))
    // The path only (`%U`), never the query string: searches carry phone numbers and emails.
    .wrap(
        Logger::new(r#"%{x-request-id}o %a "%{method}xi %U" %s %b %Dms"#)
            .custom_request_replace("method", |req| edge::label(req.method()).to_string()),
    )
}
