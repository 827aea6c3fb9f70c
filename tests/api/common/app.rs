//! The real app on 127.0.0.1:0 with its own database and a movable clock, its signed-in users,
//! and the fixtures tests build their data with.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::HttpServer;
use diesel::prelude::*;
use leadpool::clock::{Clock, TestClock};
use leadpool::db::{self, DbPool};
use leadpool::domain::email::Email;
use leadpool::{AppState, build_app, service};
use serde_json::{Value, json};
use uuid::Uuid;

use super::config::{ADMIN_EMAIL, PASSWORD, test_config_with};
use super::db::TestDb;

/// One password hash shared by every test user (argon2 is deliberately slow).
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| leadpool::auth::password::hash(PASSWORD).expect("hash"))
        .clone()
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
    pub(super) client: awc::Client,
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
