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
