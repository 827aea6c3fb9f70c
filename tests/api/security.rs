//! Browser-facing configuration: CORS only for the configured origins (never `*`, never with
//! credentials), and the security headers on every answer.

use crate::common::TestApp;

#[actix_web::test]
async fn cors_answers_only_the_configured_origins() {
    let app = TestApp::spawn_without_jobs().await;
    // A preflight from an allowed origin.
    let res = app
        .send(
            "OPTIONS",
            "/api/v1/leads",
            None,
            &[
                ("Origin", "https://crm.example.com"),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization, content-type",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("https://crm.example.com")
    );
    assert!(
        res.header("access-control-allow-methods")
            .unwrap()
            .contains("PATCH")
    );
    assert!(
        res.header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    assert_eq!(res.header("access-control-allow-credentials"), None);

    // A preflight from any other origin is refused, as problem+json.
    let res = app
        .send(
            "OPTIONS",
            "/api/v1/leads",
            None,
            &[
                ("Origin", "https://evil.example.net"),
                ("Access-Control-Request-Method", "GET"),
            ],
            None,
        )
        .await;
    res.problem(403, "origin_not_allowed");
    assert_eq!(res.header("access-control-allow-origin"), None);

    // Actual requests: the allowed origin gets its own origin back (and Vary), others nothing.
    let res = app
        .send(
            "GET",
            "/api/v1/me",
            Some(&app.admin.token),
            &[("Origin", "http://localhost:5173")],
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    assert!(res.header("vary").unwrap_or("").contains("Origin"));
    assert!(
        res.header("access-control-expose-headers")
            .unwrap()
            .contains("Retry-After")
    );
    let res = app
        .send(
            "GET",
            "/api/v1/me",
            Some(&app.admin.token),
            &[("Origin", "https://crm.example.com.evil.net")],
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("access-control-allow-origin"), None);

    // Security headers on answers of every kind, errors included.
    for res in [
        app.get("/api/v1/me", &app.admin.token).await,
        app.send("GET", "/api/v1/nowhere", None, &[], None).await,
        app.send("GET", "/healthz", None, &[], None).await,
    ] {
        assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(res.header("x-frame-options"), Some("DENY"));
        assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    }
}

/// API8: whatever goes wrong inside, the answer names no table, query, file or stack: a lead
/// whose stored contact data cannot be decrypted (a corrupted row) is a plain 500 problem with
/// the request id to look it up in the log.
#[actix_web::test]
async fn internal_failures_reveal_no_sql_paths_or_stack() {
    let app = TestApp::spawn_without_jobs().await;
    let pool = app.pool("P", true, &[], &[]).await;
    let lead = app
        .lead(pool, serde_json::json!({"phone": "13700000009"}))
        .await;
    app.sql(&format!(
        "UPDATE leads SET phone_enc = '\\x00010203'::bytea WHERE id = '{lead}'"
    ));
    let res = app
        .send(
            "GET",
            &format!("/api/v1/leads/{lead}?reveal=contact"),
            Some(&app.admin.token),
            &[("X-Request-Id", "trace-me-42")],
            None,
        )
        .await;
    let body = res.problem(500, "internal_error");
    assert_eq!(res.header("x-request-id"), Some("trace-me-42"));
    let text = body.to_string().to_lowercase();
    for leak in [
        "decrypt",
        "select",
        "update",
        "leads",
        "diesel",
        "postgres",
        "panicked",
        "src/",
        ".rs",
        "backtrace",
        "phone_enc",
    ] {
        assert!(!text.contains(leak), "{leak} in {text}");
    }
}

/// API4: an import file over `LEADPOOL_MAX_IMPORT_BYTES` is refused with 413 problem+json before
/// anything is stored.
#[actix_web::test]
async fn an_import_over_the_size_limit_is_413() {
    let app = TestApp::spawn_with_settings(&[("LEADPOOL_MAX_IMPORT_BYTES", "2048")]).await;
    let mut file = String::from("姓名,手机\n");
    for i in 0..200 {
        file.push_str(&format!("客户{i},1370000{i:04}\n"));
    }
    assert!(file.len() > 2048);
    let res = crate::imports::upload(&app, &app.admin.token, file.as_bytes(), &[], false).await;
    res.problem(413, "payload_too_large");
    let stored = app.dump_as_text(&["imports"]);
    assert!(stored.is_empty(), "{stored}");
}
