//! `GET /metrics`: Prometheus text with requests by route and status, the database pool, claims
//! and refusals, intake outcomes, recycles and sweeps; optionally behind a bearer token.

use std::collections::HashMap;

use leadpool::clock::Clock;
use serde_json::json;

use crate::common::TestApp;

/// The samples of a text exposition: `name{labels}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (key, value) = l.rsplit_once(' ').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let res = app.send("GET", "/metrics", None, &[], None).await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    samples(&String::from_utf8(res.body).unwrap())
}

#[actix_web::test]
async fn metrics_count_requests_claims_intake_and_recycles() {
    let mut app = TestApp::spawn_without_jobs().await;
    let team = app.team("T", None).await;
    let a = app.user("sales", Some(team)).await;
    let b = app.user("sales", Some(team)).await;
    let pool = app.pool("P", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13500000001"})).await;

    // Signing people in above read /me too: count from here.
    let before = scrape(&app).await;
    let me = r#"leadpool_http_requests_total{method="GET",route="/api/v1/me",status="200"}"#;
    let me_timed =
        r#"leadpool_http_request_duration_seconds_count{method="GET",route="/api/v1/me"}"#;
    app.get("/api/v1/me", &a.token).await.ok(200);
    app.get("/api/v1/me", &a.token).await.ok(200);
    app.get("/api/v1/nowhere", &a.token).await;
    app.get(&format!("/api/v1/leads/{}", uuid::Uuid::now_v7()), &a.token)
        .await
        .problem(404, "not_found");
    app.post(&format!("/api/v1/leads/{lead}/claim"), &a.token, &json!({}))
        .await
        .ok(200);
    app.post(&format!("/api/v1/leads/{lead}/claim"), &b.token, &json!({}))
        .await
        .problem(404, "not_found");
    app.post(&format!("/api/v1/leads/{lead}/claim"), &a.token, &json!({}))
        .await
        .problem(409, "lead_already_claimed");

    // Intake: created, merged, quarantined, then over the source's rate.
    let source = app
        .post(
            "/api/v1/intake-sources",
            &app.admin.token,
            &json!({"name": "Form", "channel": "website", "rate_limit_per_minute": 3}),
        )
        .await
        .ok(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    for (body, status) in [
        (json!({"name": "甲", "phone": "13600000001"}), 201),
        (json!({"name": "甲", "phone": "136 0000 0001"}), 200),
        (
            json!({"name": "bot", "phone": "13600000002", "honeypot": "x"}),
            202,
        ),
        (json!({"name": "乙", "phone": "13600000003"}), 429),
    ] {
        let res = app
            .json("POST", "/api/v1/intake/leads", Some(&source), &body)
            .await;
        assert_eq!(res.status, status);
    }

    // The held lead goes unattended past its first-follow-up deadline and is recycled.
    app.travel_to(app.clock.now() + chrono::Duration::hours(25));
    let swept = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(swept["recycled"].as_array().unwrap().len(), 1);

    let m = scrape(&app).await;
    let get = |k: &str| {
        m.get(k)
            .copied()
            .unwrap_or_else(|| panic!("no {k} in {m:?}"))
    };
    assert_eq!(get(me) - before[me], 2.0);
    assert_eq!(get(me_timed) - before[me_timed], 2.0);
    assert_eq!(
        get(
            r#"leadpool_http_requests_total{method="GET",route="/api/v1/leads/{id}",status="404"}"#
        ),
        1.0,
        "routes are patterns, never raw ids"
    );
    assert_eq!(
        get(r#"leadpool_http_requests_total{method="GET",route="unmatched",status="404"}"#),
        1.0
    );
    assert_eq!(
        get(
            r#"leadpool_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",le="+Inf"}"#
        ),
        get(me_timed)
    );
    assert_eq!(get(r#"leadpool_claims_total{how="self_claim"}"#), 1.0);
    assert_eq!(
        get(r#"leadpool_claim_refusals_total{code="lead_already_claimed"}"#),
        1.0
    );
    for (outcome, n) in [
        ("created", 1.0),
        ("merged", 1.0),
        ("quarantined", 1.0),
        ("rate_limited", 1.0),
    ] {
        assert_eq!(
            get(&format!(
                r#"leadpool_intake_leads_total{{outcome="{outcome}"}}"#
            )),
            n,
            "{outcome}"
        );
    }
    assert_eq!(
        get(r#"leadpool_recycles_total{reason="recycled_no_first_follow_up"}"#),
        1.0
    );
    assert_eq!(get("leadpool_sweep_duration_seconds_count"), 1.0);
    assert_eq!(get("leadpool_db_pool_max_connections"), 8.0);
    assert!(get(r#"leadpool_db_pool_connections{state="idle"}"#) >= 1.0);
    assert_eq!(
        get(r#"leadpool_db_pool_connections{state="in_use"}"#),
        0.0,
        "nothing runs now"
    );
    assert!(get("leadpool_db_pool_wait_seconds_count") > 10.0);
    assert_eq!(get("leadpool_db_pool_timeouts_total"), 0.0);
}

/// A request that gets no connection in time is 503 with Retry-After, and counted.
#[actix_web::test]
async fn pool_timeouts_are_503_and_counted() {
    let app = TestApp::spawn_with_settings(&[
        ("LEADPOOL_DB_POOL_SIZE", "2"),
        ("LEADPOOL_DB_TIMEOUT_MS", "200"),
    ])
    .await;
    let held: Vec<_> = (0..2).map(|_| app.pool.get().unwrap()).collect();
    let res = app.get("/api/v1/me", &app.admin.token).await;
    res.problem(503, "service_unavailable");
    assert!(res.header("retry-after").is_some());
    drop(held);
    let m = scrape(&app).await;
    assert_eq!(m["leadpool_db_pool_timeouts_total"], 1.0);
    assert_eq!(
        m[r#"leadpool_http_requests_total{method="GET",route="/api/v1/me",status="503"}"#],
        1.0
    );
}

#[actix_web::test]
async fn metrics_can_require_a_token() {
    let app =
        TestApp::spawn_with_settings(&[("LEADPOOL_METRICS_TOKEN", "scrape-me-0123456789")]).await;
    app.send("GET", "/metrics", None, &[], None)
        .await
        .problem(401, "invalid_token");
    app.send("GET", "/metrics", Some("wrong-token-0123456789"), &[], None)
        .await
        .problem(401, "invalid_token");
    let res = app
        .send("GET", "/metrics", Some("scrape-me-0123456789"), &[], None)
        .await;
    assert_eq!(res.status, 200);
    assert!(
        String::from_utf8(res.body)
            .unwrap()
            .contains("leadpool_http_requests_total")
    );
}
