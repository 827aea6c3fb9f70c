//! Liveness, readiness and the interactive docs.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpServer;
use leadpool::clock::SystemClock;
use leadpool::{AppState, build_app, db};

use crate::common::{TestApp, test_config};

#[actix_web::test]
async fn healthz_and_readyz_when_all_is_well() {
    let app = TestApp::spawn().await;
    let health = app.send("GET", "/healthz", None, &[], None).await.ok(200);
    assert_eq!(health["status"], "ok");
    let ready = app.send("GET", "/readyz", None, &[], None).await.ok(200);
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], true);
    assert_eq!(ready["migrations"], true);
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    // Nothing listens on port 1: the pool cannot connect.
    let url = "postgres://postgres@127.0.0.1:1/leadpool";
    let config = test_config(url);
    let metrics = leadpool::metrics::Metrics::new();
    let pool = db::build_pool(
        url,
        2,
        Duration::from_millis(300),
        true,
        metrics.pool_events(),
    );
    let state = AppState::new(config, pool, Arc::new(SystemClock), metrics);
    let server = HttpServer::new(move || build_app(state.clone()))
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = awc::Client::default();
    let mut res = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], false);

    // Liveness does not depend on the database, and requests that need it answer 503 problem+json.
    let res = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut res = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .send_json(&serde_json::json!({"email": "a@example.com", "password": "whatever-password"}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(
        res.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    assert!(res.headers().contains_key("retry-after"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "service_unavailable");
    handle.stop(false).await;
}

#[actix_web::test]
async fn readyz_is_503_when_migrations_are_missing() {
    let app = TestApp::spawn().await;
    {
        use diesel::connection::SimpleConnection;
        let mut conn = app.pool.get().unwrap();
        conn.batch_execute("DELETE FROM __diesel_schema_migrations")
            .unwrap();
    }
    let ready = app.send("GET", "/readyz", None, &[], None).await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["migrations"], false);
    assert_eq!(ready.json()["database"], true);
}

#[actix_web::test]
async fn the_docs_page_is_served_without_internet() {
    let app = TestApp::spawn().await;
    // `/docs` leads to the page (the client follows the redirect to `/docs/`).
    let res = app.send("GET", "/docs", None, &[], None).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    let res = app.send("GET", "/docs/", None, &[], None).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    let html = String::from_utf8_lossy(&res.body);
    assert!(html.contains("swagger-ui"), "{html}");
    // The page's assets come from this server, not a CDN.
    let init = app
        .send("GET", "/docs/swagger-initializer.js", None, &[], None)
        .await;
    assert_eq!(init.status, 200);
    let init = String::from_utf8_lossy(&init.body);
    assert!(init.contains("/openapi.json"), "{init}");
    assert!(init.contains(r#""validatorUrl": "none""#), "{init}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let res = app
            .send("GET", &format!("/docs/{asset}"), None, &[], None)
            .await;
        assert_eq!(res.status, 200, "{asset}");
        assert!(res.body.len() > 10_000, "{asset}");
    }
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn."),
        "{html}"
    );
}

/// The backend a unit of work on `pool` runs on.
async fn backend_of(pool: &db::DbPool) -> Result<i32, leadpool::error::AppError> {
    use diesel::prelude::*;
    db::connection(pool, |conn| {
        Ok(
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>(
                "pg_backend_pid()",
            ))
            .get_result::<i32>(conn)?,
        )
    })
    .await
}

#[actix_web::test]
async fn a_connection_is_tested_again_once_it_idled_or_its_work_failed() {
    let app = TestApp::spawn_without_jobs().await;
    let metrics = leadpool::metrics::Metrics::new();
    let pool = db::build_pool(
        app.state.config.database_url.expose(),
        1,
        Duration::from_secs(2),
        true,
        metrics.pool_events(),
    );
    // Back from work moments ago: handed out again untested, so a backend killed in between is
    // found by the work itself (which fails), and the failure marks the connection.
    let first = backend_of(&pool).await.unwrap();
    app.sql(&format!("SELECT pg_terminate_backend({first}, 5000)"));
    assert!(
        backend_of(&pool).await.is_err(),
        "the killed backend was used"
    );
    let second = backend_of(&pool).await.expect("tested and replaced");
    assert_ne!(second, first);
    // Idle for longer than FRESH: tested at checkout, so the work never meets the dead backend.
    std::thread::sleep(db::pool::FRESH + Duration::from_millis(100));
    app.sql(&format!("SELECT pg_terminate_backend({second}, 5000)"));
    let third = backend_of(&pool)
        .await
        .expect("tested at checkout and replaced");
    assert_ne!(third, second);
    // Fresh and trusted: the same backend, without a test in front.
    assert_eq!(backend_of(&pool).await.unwrap(), third);
}
