//! Start-up only: settings, logging, database preparation, then serve (or print the OpenAPI
//! document with `leadpool openapi`).

#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::HttpServer;
use leadpool::clock::{Clock, SystemClock};
use leadpool::config::Config;
use leadpool::crypto::Vault;
use leadpool::domain::email::Email;
use leadpool::{AppState, auth, build_app, db, service};

const USAGE: &str = "usage: leadpool [serve|openapi]\n  serve    run the HTTP service (default)\n  openapi  print the OpenAPI document to stdout";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => serve(),
        ["openapi"] => match serde_json::to_string_pretty(&leadpool::openapi_document()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("leadpool: cannot render the OpenAPI document: {e}");
                ExitCode::FAILURE
            }
        },
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("leadpool: cannot read .env: {e}");
            return ExitCode::from(2);
        }
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("leadpool: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if config.jwt_secret_generated {
        log::warn!(
            "LEADPOOL_JWT_SECRET is not set: using a random secret for this process only. \
             Every token will stop working when the service restarts, and several instances \
             will not accept each other's tokens. Set LEADPOOL_JWT_SECRET (32+ bytes) in production."
        );
    }

    if config.data_key_from_file {
        log::warn!(
            "LEADPOOL_DATA_KEY is not set: contact data is encrypted with the development key in {} \
             (created on first start). Keep that file, or the data cannot be read again; in \
             production set LEADPOOL_DATA_KEY instead.",
            config.data_key_file.display()
        );
    }
    let vault = match config.vault() {
        Ok(vault) => vault,
        Err(e) => {
            eprintln!("leadpool: configuration error: {e}");
            return ExitCode::from(2);
        }
    };

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    log::info!("preparing database {}", config.database_url_redacted());
    if let Err(e) = prepare_database(&config, &vault, clock.as_ref()) {
        eprintln!("leadpool: {e}");
        return ExitCode::FAILURE;
    }

    let metrics = leadpool::metrics::Metrics::new();
    let pool = db::build_pool(
        config.database_url.expose(),
        config.db_pool_size,
        config.db_timeout,
        config.db_statement_cache,
        metrics.pool_events(),
    );
    let bind = config.bind;
    let state = AppState::new(config, pool, clock, metrics);
    let result = actix_web::rt::System::new().block_on(async move {
        leadpool::jobs::spawn_all(state.clone());
        let head_timeout = state.config.client_timeout;
        let server = HttpServer::new(move || build_app(state.clone()))
            .shutdown_timeout(10)
            // A request's head must arrive within the client timeout (a JSON body too: see
            // routes::extract), or the connection is closed.
            .client_request_timeout(head_timeout)
            .bind(bind)?;
        for addr in server.addrs() {
            log::info!("leadpool listening on http://{addr} (API docs at http://{addr}/docs/)");
        }
        // actix-web stops gracefully on SIGTERM and SIGINT: it stops accepting, lets requests in
        // flight finish (up to the shutdown timeout), then returns.
        server.run().await
    });
    match result {
        Ok(()) => {
            log::info!("leadpool stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("leadpool: cannot serve on {bind}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Creates the database if needed, applies migrations and creates the first admin, holding the
/// start-up lock so several instances starting together take turns.
fn prepare_database(config: &Config, vault: &Vault, clock: &dyn Clock) -> Result<(), String> {
    let url = config
        .database_migration_url
        .as_ref()
        .unwrap_or(&config.database_url);
    let mut conn = db::connect_or_create(url.expose()).map_err(|e| e.to_string())?;
    let admin = config.admin.clone();
    let time_zone = config.timezone.name();
    let now = clock.now();
    warn_without_autovacuum(&mut conn);
    db::migrate_and_then(&mut conn, |conn| {
        match service::keys::check_and_register(conn, vault, now) {
            Ok(Ok(())) => {}
            Ok(Err(refusal)) => return Err(db::PrepareError::Keys(refusal)),
            Err(e) => {
                return Err(db::PrepareError::Migrate(format!(
                    "cannot check the keys: {e}"
                )));
            }
        }
        match leadpool::repo::reports::projector::prepare(conn, time_zone) {
            Ok(true) => {
                log::warn!("report projection built from the facts in the time zone {time_zone}")
            }
            Ok(false) => {}
            Err(e) => {
                return Err(db::PrepareError::Migrate(format!(
                    "cannot prepare the report projection in {time_zone}: {e}"
                )));
            }
        }
        let Some(admin) = admin else {
            return Ok(());
        };
        let email = Email::parse(&admin.email)
            .map_err(|_| db::PrepareError::Migrate("LEADPOOL_ADMIN_EMAIL is not valid".into()))?;
        let hash = auth::password::hash(admin.password.expose())
            .map_err(|e| db::PrepareError::Migrate(e.to_string()))?;
        match service::users::bootstrap_admin(conn, email.clone(), hash, now) {
            Ok(true) => log::info!("created the first admin, {email}"),
            Ok(false) => log::info!("users exist; LEADPOOL_ADMIN_EMAIL is not used"),
            Err(e) => {
                return Err(db::PrepareError::Migrate(format!(
                    "cannot create the first admin: {e}"
                )));
            }
        }
        Ok(())
    })
    .map_err(|e| e.to_string())
}

/// Claimed leads leave dead rows at the head of each pool's queue; without autovacuum they pile
/// up and every claim slows down. Say so at start-up.
fn warn_without_autovacuum(conn: &mut diesel::PgConnection) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        autovacuum: String,
    }
    if let Ok(s) = diesel::sql_query("SHOW autovacuum").get_result::<Setting>(conn) {
        if s.autovacuum != "on" {
            log::warn!(
                "PostgreSQL runs with autovacuum off: claims and the recycle sweep slow down as dead rows accumulate; turn it on, or VACUUM the leads table regularly"
            );
        }
    }
}
