//! The database: connection pool, units of work, start-up preparation and migrations.
//!
//! Diesel is synchronous, so every unit of work runs on actix's blocking pool (`web::block`) as one
//! closure inside one transaction.

pub mod models;
pub mod pool;
pub mod prepared;
pub mod schema;

use std::time::Duration;

use actix_web::web;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Advisory lock key held while migrating and bootstrapping, so several instances starting at
/// once take turns ("leadpool" in ASCII).
const STARTUP_LOCK_KEY: i64 = 0x6c65_6164_706f_6f6c;

pub type DbPool = Pool<pool::Manager>;
pub type DbConn = PooledConnection<pool::Manager>;

/// Builds the pool without connecting: the service starts (and `/readyz` reports) even while the
/// database is briefly away, and a request waits at most `timeout` for a connection. Checkout
/// waits and timeouts go to `events` (the metrics). Without `statement_cache`, no connection keeps
/// prepared statements (for PgBouncer in transaction mode, where a session's next transaction may
/// run on another server connection).
pub fn build_pool(
    database_url: &str,
    size: u32,
    timeout: Duration,
    statement_cache: bool,
    events: Box<dyn diesel::r2d2::HandleEvent>,
) -> DbPool {
    Pool::builder()
        .max_size(size)
        .event_handler(events)
        .connection_customizer(Box::new(Session { statement_cache }))
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(true)
        .build_unchecked(pool::Manager::new(database_url))
}

/// What every new connection is set up with.
#[derive(Debug, Clone, Copy)]
struct Session {
    statement_cache: bool,
}

impl diesel::r2d2::CustomizeConnection<pool::Conn, diesel::r2d2::Error> for Session {
    fn on_acquire(&self, conn: &mut pool::Conn) -> Result<(), diesel::r2d2::Error> {
        // Server messages in English, whatever the server's locale: a deadlock (SQLSTATE 40P01,
        // which diesel does not expose) is recognised by its message. Changing lc_messages needs
        // a superuser or `GRANT SET ON PARAMETER lc_messages`; without it the server's own
        // language stays, and a deadlock under a non-English locale answers 500, not 503.
        {
            use diesel::RunQueryDsl;
            if let Err(e) = diesel::sql_query("SET lc_messages TO 'C'").execute(&mut **conn) {
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| {
                    log::warn!(
                        "cannot set lc_messages for database sessions ({e}); deadlocks are recognised only if the server answers in English"
                    );
                });
            }
        }
        if !self.statement_cache {
            use diesel::connection::{CacheSize, Connection};
            conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        }
        Ok(())
    }
}

/// Runs `work` in one transaction on the blocking pool. An `Err` rolls the transaction back.
pub async fn transaction<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
{
    connection(pool, move |conn| conn.transaction(work)).await
}

/// Runs `work` on one connection without opening a transaction (each statement commits on its
/// own, and `work` may open transactions itself), off the async workers.
pub async fn connection<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
{
    let pool = pool.clone();
    web::block(move || on_pooled(&pool, work)).await?
}

/// Runs `work` on a connection of `pool`, on the current thread. Every use of a pooled connection
/// goes through here: work that fails marks its connection to be tested before its next use
/// (see [`pool`]).
pub fn on_pooled<T, E>(
    pool: &DbPool,
    work: impl FnOnce(&mut PgConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::r2d2::PoolError>,
{
    let mut pooled = pool.get()?;
    let done = work(&mut pooled);
    if done.is_err() {
        pooled.distrust();
    }
    done
}

/// Runs `work` in one read-only transaction that sees a single snapshot (repeatable read), off
/// the async workers: reports made of several queries add up.
pub async fn read_only<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
{
    connection(pool, move |conn| {
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(work)
    })
    .await
}

/// Runs `work` in one transaction, on the current (blocking) thread: for background jobs that are
/// already off the async workers.
pub fn transaction_blocking<T>(
    pool: &DbPool,
    work: impl FnOnce(&mut PgConnection) -> Result<T, AppError>,
) -> Result<T, AppError> {
    on_pooled(pool, |conn| conn.transaction(work))
}

/// Errors preparing the database at start-up; `Display` is the one-line message.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error("cannot connect to the database ({0})")]
    Connect(String),
    #[error("cannot create the database: {0}")]
    Create(String),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error("{0}")]
    Keys(String),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

/// Connects to the database named in `database_url`, creating it first when it does not exist.
/// Whether it exists is asked of the server (not read from an error message, which may be in any
/// language); an instance that loses a creation race to another simply connects.
pub fn connect_or_create(database_url: &str) -> Result<PgConnection, PrepareError> {
    let first_error = match PgConnection::establish(database_url) {
        Ok(conn) => return Ok(conn),
        Err(err) => err.to_string().trim().to_string(),
    };
    let mut url =
        url::Url::parse(database_url).map_err(|e| PrepareError::Connect(e.to_string()))?;
    let name = url.path().trim_start_matches('/').to_string();
    url.set_path("/postgres");
    // If even the maintenance database is out of reach, the server is: report the first error.
    let mut admin = PgConnection::establish(url.as_str())
        .map_err(|_| PrepareError::Connect(first_error.clone()))?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        pg_database::table.filter(pg_database::datname.eq(&name)),
    ))
    .get_result(&mut admin)?;
    if exists {
        return Err(PrepareError::Connect(first_error));
    }
    let statement = format!("CREATE DATABASE {}", quote_ident(&name));
    match diesel::sql_query(statement).execute(&mut admin) {
        Ok(_) => log::info!("created database {name}"),
        // Possibly another instance created it at the same moment; connecting below tells.
        Err(err) => log::info!("CREATE DATABASE {name}: {err}"),
    }
    PgConnection::establish(database_url)
        .map_err(|e| PrepareError::Create(e.to_string().trim().to_string()))
}

diesel::table! {
    /// The catalogue of databases (only what start-up needs).
    pg_database (datname) {
        datname -> Text,
    }
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Applies pending migrations and then runs `after` (e.g. admin bootstrap) while holding the
/// start-up lock, so that concurrent instances never race on either.
pub fn migrate_and_then<T>(
    conn: &mut PgConnection,
    after: impl FnOnce(&mut PgConnection) -> Result<T, PrepareError>,
) -> Result<T, PrepareError> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|applied| {
            for version in applied {
                log::info!("applied migration {version}");
            }
        })
        .map_err(|e| PrepareError::Migrate(e.to_string()))
        .and_then(|()| after(conn));
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"))?;
    result
}

/// Readiness: whether a connection can be had and every embedded migration is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub database: bool,
    pub migrations: bool,
}

pub fn readiness(pool: &DbPool) -> Readiness {
    match pool.get_timeout(Duration::from_secs(2)) {
        Err(_) => Readiness {
            database: false,
            migrations: false,
        },
        Ok(mut conn) => Readiness {
            database: true,
            // In a transaction: behind PgBouncer (transaction mode) it stays on one server.
            migrations: matches!(
                conn.transaction(|conn| conn.has_pending_migration(MIGRATIONS)),
                Ok(false)
            ),
        },
    }
}
