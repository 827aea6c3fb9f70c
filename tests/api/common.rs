//! The test harness: every test gets its own database, cloned from a migrated template, and the
//! real app served on 127.0.0.1:0, driven over HTTP.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::HttpServer;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use leadpool::clock::{Clock, TestClock};
use leadpool::config::Config;
use leadpool::db::{self, DbPool, quote_ident};
use leadpool::domain::email::Email;
use leadpool::{AppState, build_app, service};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The JWT secret of every test app, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-only-secret-that-is-long-enough-0123456789";
/// The data key of every test app (64 hex characters).
pub const DATA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery";

/// The server-level connection tests use to create and drop their databases.
pub fn server_url() -> String {
    static DOTENV: OnceLock<()> = OnceLock::new();
    DOTENV.get_or_init(|| {
        let _ = dotenvy::dotenv();
    });
    std::env::var("LEADPOOL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `server_url` with another database name.
pub fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).expect("LEADPOOL_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn server() -> PgConnection {
    PgConnection::establish(&server_url()).unwrap_or_else(|e| {
        panic!(
            "cannot reach Postgres at {} ({e}); start it (scripts/test does) or set LEADPOOL_TEST_DATABASE_URL",
            server_url()
        )
    })
}

/// The template's name depends on the migrations, so a changed migration gets a fresh template.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut hasher = Sha256::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<_> = walk(&dir);
        files.sort();
        for file in files {
            hasher.update(file.to_string_lossy().as_bytes());
            hasher.update(std::fs::read(&file).expect("read migration"));
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let name = format!("lp_tmpl_{hex}");
        ensure_template(&name);
        name
    })
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read migrations dir")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Creates the migrated template once, even with several test processes starting together:
/// built under another name, then renamed, while holding an advisory lock.
fn ensure_template(name: &str) {
    let mut conn = server();
    conn.batch_execute("SELECT pg_advisory_lock(7236814917)")
        .expect("lock");
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut conn)
    .expect("query pg_database");
    if !exists {
        let building = format!("{name}_building");
        conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&building)
        ))
        .expect("drop stale template");
        conn.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&building)))
            .expect("create template");
        {
            let mut template =
                PgConnection::establish(&database_url(&building)).expect("connect template");
            template
                .run_pending_migrations(db::MIGRATIONS)
                .expect("migrate template");
            // As start-up does: the report projection, built (empty) in the tests' time zone.
            leadpool::repo::reports::projector::prepare(&mut template, "Asia/Shanghai")
                .expect("prepare the report projection");
        }
        conn.batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&building),
            quote_ident(name)
        ))
        .expect("rename template");
    }
    // Templates of older migrations are no longer needed (one in use is left alone: no FORCE).
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> = diesel::sql_query(format!(
        r"SELECT datname FROM pg_database WHERE datname LIKE 'lp\_tmpl\_%' AND datname <> '{name}'"
    ))
    .load(&mut conn)
    .unwrap_or_default();
    for old in stale {
        let _ = conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}",
            quote_ident(&old.datname)
        ));
    }
    conn.batch_execute("SELECT pg_advisory_unlock(7236814917)")
        .expect("unlock");
}

/// A database of one test's own, dropped when the test ends (pass or fail).
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let template = template_name();
        let name = format!("lp_test_{}", Uuid::now_v7().simple());
        server()
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(template)
            ))
            .expect("clone template");
        let url = database_url(&name);
        Self { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&server_url()) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ));
        }
    }
}

/// One password hash shared by every test user (argon2 is deliberately slow).
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| leadpool::auth::password::hash(PASSWORD).expect("hash"))
        .clone()
}

pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// The test settings with some changed or added.
pub fn test_config_with(database_url: &str, settings: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("LEADPOOL_JWT_SECRET", JWT_SECRET),
        ("LEADPOOL_BIND", "127.0.0.1:0"),
        ("LEADPOOL_DB_POOL_SIZE", "8"),
        ("LEADPOOL_MAX_BODY_BYTES", "65536"),
        ("LEADPOOL_DATA_KEY", DATA_KEY),
        ("LEADPOOL_JOB_INTERVAL_MS", "50"),
        ("LEADPOOL_IMPORT_CHUNK_ROWS", "3"),
        (
            "LEADPOOL_CORS_ORIGINS",
            "https://crm.example.com, http://localhost:5173",
        ),
        // Tests of quotas claim in bursts; the rate limit has its own test at the default.
        ("LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE", "100000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(&vars).expect("test config")
}

/// A response, read completely.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts a problem+json answer with this status and code, and returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert_eq!(body["type"], format!("urn:leadpool:problem:{code}"));
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        body
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
}

/// The real app on 127.0.0.1:0 with its own database and a movable clock.
pub struct TestApp {
    /// First, so it stops before the database is dropped.
    _server: Served,
    pub base: String,
    pub state: AppState,
    pub clock: Arc<TestClock>,
    pub pool: DbPool,
    /// The database, dropped with the app (`None` on a second instance of another app's).
    _db: Option<TestDb>,
    pub admin: TestUser,
    client: awc::Client,
}

/// The app served on 127.0.0.1:0 from a thread (and actix system) of its own, so that dropping
/// it can wait for the server to stop: the app's state, its pools and its listener go with it.
struct Served {
    addr: std::net::SocketAddr,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Served {
    fn start(state: AppState) -> Served {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let head_timeout = state.config.client_timeout;
                    let server = HttpServer::new(move || build_app(state.clone()))
                        .workers(1)
                        .client_request_timeout(head_timeout)
                        .disable_signals()
                        .listen(listener)
                        .expect("listen")
                        .run();
                    tx.send(server.handle()).expect("hand the handle over");
                    let _ = server.await;
                });
            })
            .expect("server thread");
        let handle = rx.recv().expect("the server started");
        Served {
            addr,
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // The server runs on its own thread, so waiting here cannot block it (the stop is
        // awaited on a thread of its own: this one may be running a test's actix system).
        let stop = self.handle.stop(false);
        let _ = std::thread::spawn(move || actix_web::rt::System::new().block_on(stop)).join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl TestApp {
    /// The app with its background jobs running, as in production.
    pub async fn spawn() -> TestApp {
        let app = Self::spawn_without_jobs().await;
        leadpool::jobs::spawn_all(app.state.clone());
        app
    }

    /// The app without background jobs: the test runs them step by step.
    pub async fn spawn_without_jobs() -> TestApp {
        Self::spawn_with_settings(&[]).await
    }

    /// The app without background jobs, with some settings changed.
    pub async fn spawn_with_settings(settings: &[(&str, &str)]) -> TestApp {
        let _ = env_logger::builder().is_test(true).try_init();
        let db = actix_web::rt::task::spawn_blocking(TestDb::new)
            .await
            .expect("create db");
        let config = test_config_with(&db.url, settings);
        let clock = Arc::new(TestClock::new());
        let metrics = leadpool::metrics::Metrics::new();
        let pool = db::build_pool(
            &db.url,
            config.db_pool_size,
            config.db_timeout,
            config.db_statement_cache,
            metrics.pool_events(),
        );
        let state = AppState::new(config, pool.clone(), clock.clone(), metrics);
        let server = Served::start(state.clone());

        let (bootstrap_pool, now) = (pool.clone(), clock.now());
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = bootstrap_pool.get().expect("conn");
            service::users::bootstrap_admin(
                &mut conn,
                Email::parse(ADMIN_EMAIL).unwrap(),
                password_hash(),
                now,
            )
            .expect("bootstrap admin")
        })
        .await
        .expect("bootstrap");

        let client = awc::Client::builder()
            .timeout(Duration::from_secs(30))
            .finish();
        let mut app = TestApp {
            base: format!("http://{}", server.addr),
            state,
            clock,
            pool,
            _db: Some(db),
            admin: TestUser {
                id: Uuid::nil(),
                email: ADMIN_EMAIL.into(),
                token: String::new(),
                refresh_token: String::new(),
            },
            client,
            _server: server,
        };
        app.admin = app.login(ADMIN_EMAIL, PASSWORD).await;
        app
    }

    /// Another instance of the service on this app's database (its own pool, memory and
    /// listener), as a second server behind a load balancer; it shares the clock and the admin.
    pub async fn instance(&self) -> TestApp {
        let config = (*self.state.config).clone();
        let metrics = leadpool::metrics::Metrics::new();
        let pool = db::build_pool(
            config.database_url.expose(),
            config.db_pool_size,
            config.db_timeout,
            config.db_statement_cache,
            metrics.pool_events(),
        );
        let state = AppState::new(config, pool.clone(), self.clock.clone(), metrics);
        let server = Served::start(state.clone());
        TestApp {
            base: format!("http://{}", server.addr),
            state,
            clock: self.clock.clone(),
            pool,
            _db: None,
            admin: self.admin.clone(),
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .finish(),
            _server: server,
        }
    }

    /// Sends a request with optional bearer token, extra headers and raw body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = match body {
            Some(body) => req.send_body(body).await,
            None => req.send().await,
        }
        .expect("request failed");
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = res
            .body()
            .limit(64 << 20)
            .await
            .expect("read body")
            .to_vec();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send("GET", path, Some(token), &[], None).await
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.send(
            method,
            path,
            token,
            &[("Content-Type", "application/json")],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.json("POST", path, Some(token), body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.json("PATCH", path, Some(token), body).await
    }

    /// Signs in and returns the user with fresh tokens.
    pub async fn login(&self, email: &str, password: &str) -> TestUser {
        let res = self
            .json(
                "POST",
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        let tokens = res.ok(200);
        let token = tokens["access_token"].as_str().unwrap().to_string();
        let me = self.get("/api/v1/me", &token).await.ok(200);
        TestUser {
            id: me["id"].as_str().unwrap().parse().unwrap(),
            email: email.to_string(),
            token,
            refresh_token: tokens["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// Creates a user through the API (as the admin) and signs them in.
    pub async fn user(&self, role: &str, team_id: Option<Uuid>) -> TestUser {
        let email = format!("{role}-{}@example.com", Uuid::now_v7().simple());
        let res = self
            .post(
                "/api/v1/users",
                &self.admin.token,
                &json!({"name": format!("Test {role}"), "email": email, "role": role, "team_id": team_id, "password": PASSWORD}),
            )
            .await;
        res.ok(201);
        self.login(&email, PASSWORD).await
    }

    /// Creates a pool (as the admin) with these members; the first pool made default is the
    /// fallback for routing.
    pub async fn pool(
        &self,
        name: &str,
        is_default: bool,
        team_ids: &[Uuid],
        user_ids: &[Uuid],
    ) -> Uuid {
        let res = self
            .post(
                "/api/v1/pools",
                &self.admin.token,
                &json!({"name": name, "is_default": is_default, "member_team_ids": team_ids, "member_user_ids": user_ids}),
            )
            .await;
        res.ok(201)["id"].as_str().unwrap().parse().unwrap()
    }

    /// `SELECT count(*) FROM {from}`: a table, with a WHERE clause if need be.
    pub fn count(&self, from: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.pool.get().unwrap();
        diesel::sql_query(format!("SELECT count(*) AS n FROM {from}"))
            .get_result::<Count>(&mut **conn)
            .unwrap()
            .n
    }

    /// Runs SQL against this test's database (for setting up states no endpoint makes yet, and
    /// for reading what is stored).
    pub fn sql(&self, statement: &str) {
        use diesel::connection::SimpleConnection;
        self.pool.get().unwrap().batch_execute(statement).unwrap();
    }

    /// Every row of the given tables as JSON text, one per line: what a database dump shows.
    pub fn dump_as_text(&self, tables: &[&str]) -> String {
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            text: String,
        }
        let query = tables
            .iter()
            .map(|t| format!("SELECT row_to_json(r)::text AS text FROM {t} r"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut conn = self.pool.get().unwrap();
        diesel::sql_query(query)
            .load::<Text>(&mut **conn)
            .unwrap()
            .into_iter()
            .map(|r| r.text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Creates `n` users of `role` straight in the database (no password hashing per user) with
    /// access tokens minted by the app's keys: for tests that need many people.
    pub fn quick_users(&self, n: usize, role: &str, team_id: Option<Uuid>) -> Vec<TestUser> {
        let now = self.clock.now();
        let hash = password_hash();
        let team = team_id.map_or("NULL".to_string(), |t| format!("'{t}'"));
        let mut users = Vec::with_capacity(n);
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let id = Uuid::now_v7();
            let email = format!("{role}-{}@example.com", id.simple());
            values.push(format!(
                "('{id}', 'Quick {role}', '{email}', '{role}', {team}, '{hash}', now(), now())"
            ));
            let token = self
                .state
                .tokens
                .issue_access(id, role.parse().unwrap(), 0, now)
                .unwrap();
            users.push(TestUser {
                id,
                email,
                token,
                refresh_token: String::new(),
            });
        }
        self.sql(&format!(
            "INSERT INTO users (id, name, email, role, team_id, password_hash, created_at, updated_at) VALUES {}",
            values.join(", ")
        ));
        users
    }

    /// A new access token for `user` at the test clock's time (after moving the clock past the
    /// tokens' lifetime).
    pub fn fresh(&self, user: &TestUser) -> TestUser {
        use diesel::prelude::*;
        use leadpool::db::schema::users;
        let (role, version): (String, i32) = users::table
            .find(user.id)
            .select((users::role, users::token_version))
            .first(&mut **self.pool.get().unwrap())
            .unwrap();
        TestUser {
            token: self
                .state
                .tokens
                .issue_access(user.id, role.parse().unwrap(), version, self.clock.now())
                .unwrap(),
            ..user.clone()
        }
    }

    /// Moves the clock and renews the admin's token for the new time.
    pub fn travel_to(&mut self, at: chrono::DateTime<chrono::Utc>) {
        self.clock.set(at);
        self.admin = self.fresh(&self.admin);
    }

    /// Enters a lead (as the admin) into `pool_id` and returns its id.
    pub async fn lead(&self, pool_id: Uuid, fields: Value) -> Uuid {
        let mut body = json!({"source_channel": "website", "pool_id": pool_id});
        for (k, v) in fields.as_object().expect("an object") {
            body[k] = v.clone();
        }
        let res = self.post("/api/v1/leads", &self.admin.token, &body).await;
        res.ok(201)["id"].as_str().unwrap().parse().unwrap()
    }

    /// Gives a lead to a person with a claim record, as an assignment does, whatever the rules
    /// (for tests of other features that need an owned lead).
    pub fn give_lead(&self, lead_id: impl std::fmt::Display, user_id: Uuid) {
        let now = self.clock.now();
        self.sql(&format!(
            "BEGIN;
             UPDATE leads SET state = 'owned', stage = 'new', owner_id = '{user_id}' WHERE id = '{lead_id}';
             INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how)
                SELECT '{}', id, pool_id, '{user_id}', '{now}', '{}', 'manager_assign' FROM leads WHERE id = '{lead_id}';
             COMMIT;",
            Uuid::now_v7(),
            now.date_naive()
        ));
    }

    /// Ends `lead_id`'s open claim and puts it back in its pool, the way a release does (for
    /// states the lifecycle endpoints make).
    pub fn end_claim(&self, lead_id: Uuid, reason: &str) {
        let now = self.clock.now();
        self.sql(&format!(
            "BEGIN;
             UPDATE claims SET ended_at = '{now}', end_reason = '{reason}' WHERE lead_id = '{lead_id}' AND ended_at IS NULL;
             UPDATE leads SET state = 'pooled', owner_id = NULL, stage = NULL WHERE id = '{lead_id}';
             COMMIT;"
        ));
    }

    /// Creates a team (as the admin).
    pub async fn team(&self, name: &str, manager_id: Option<Uuid>) -> Uuid {
        let res = self
            .post(
                "/api/v1/teams",
                &self.admin.token,
                &json!({"name": name, "manager_id": manager_id}),
            )
            .await;
        res.ok(201)["id"].as_str().unwrap().parse().unwrap()
    }
}
