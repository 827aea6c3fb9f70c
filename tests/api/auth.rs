//! Signing in, token rotation and token validation.

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;

use leadpool::clock::Clock;

use crate::common::{ADMIN_EMAIL, JWT_SECRET, PASSWORD, TestApp};

#[actix_web::test]
async fn login_answers_a_token_pair_that_works() {
    let app = TestApp::spawn().await;
    let res = app
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"email": "ADMIN@example.com ", "password": PASSWORD}),
        )
        .await;
    let body = res.ok(200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let me = app
        .get("/api/v1/me", body["access_token"].as_str().unwrap())
        .await
        .ok(200);
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["on_leave"], false);
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = TestApp::spawn().await;
    let wrong = app
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"email": ADMIN_EMAIL, "password": "not the password"}),
        )
        .await
        .problem(401, "invalid_credentials");
    let unknown = app
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await
        .problem(401, "invalid_credentials");
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[actix_web::test]
async fn deactivated_users_cannot_sign_in_or_refresh() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"active": false}),
    )
    .await
    .ok(200);
    app.json(
        "POST",
        "/api/v1/auth/login",
        None,
        &json!({"email": sales.email, "password": PASSWORD}),
    )
    .await
    .problem(401, "account_disabled");
    // Deactivation revoked the refresh tokens: the session ends at its next refresh.
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": sales.refresh_token}),
    )
    .await
    .problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let first = app
        .json(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": sales.refresh_token}),
        )
        .await
        .ok(200);
    let second_refresh = first["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, sales.refresh_token);
    app.get("/api/v1/me", first["access_token"].as_str().unwrap())
        .await
        .ok(200);

    // The spent token is presented again: refused, and the family is revoked...
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": sales.refresh_token}),
    )
    .await
    .problem(401, "refresh_token_reused");
    // ...so the legitimate newest token stops working too.
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": second_refresh}),
    )
    .await
    .problem(401, "invalid_refresh_token");
    // Another sign-in (another family) is unaffected.
    let other = app.login(&sales.email, PASSWORD).await;
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": other.refresh_token}),
    )
    .await
    .ok(200);
}

#[actix_web::test]
async fn concurrent_refreshes_with_one_token_have_one_winner() {
    let app = TestApp::spawn().await;
    let body = json!({"refresh_token": app.admin.refresh_token});
    let attempts = (0..8).map(|_| app.json("POST", "/api/v1/auth/refresh", None, &body));
    let results = futures_util::future::join_all(attempts).await;
    let winners = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        winners,
        1,
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r.status == 200 || r.status == 401));
}

#[actix_web::test]
async fn refresh_tokens_expire() {
    let app = TestApp::spawn().await;
    app.clock.advance(Duration::days(15));
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": app.admin.refresh_token}),
    )
    .await
    .problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let res = app
        .post(
            "/api/v1/auth/logout",
            &app.admin.token,
            &json!({"refresh_token": app.admin.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 204);
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": app.admin.refresh_token}),
    )
    .await
    .problem(401, "invalid_refresh_token");
}

#[actix_web::test]
async fn someone_elses_refresh_token_cannot_be_logged_out() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let res = app
        .post(
            "/api/v1/auth/logout",
            &sales.token,
            &json!({"refresh_token": app.admin.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 204);
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": app.admin.refresh_token}),
    )
    .await
    .ok(200);
}

#[actix_web::test]
async fn access_tokens_expire_by_the_clock() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/me", &app.admin.token).await.ok(200);
    app.clock.advance(Duration::minutes(16));
    app.get("/api/v1/me", &app.admin.token)
        .await
        .problem(401, "token_expired");
}

fn forge(header: &Header, claims: &serde_json::Value, secret: &str) -> String {
    encode(header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn claims(sub: uuid::Uuid) -> serde_json::Value {
    let now = Utc::now().timestamp();
    json!({"iss": "leadpool", "aud": "leadpool-api", "sub": sub, "role": "admin", "iat": now, "exp": now + 600})
}

#[actix_web::test]
async fn forged_and_malformed_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let header = Header::new(Algorithm::HS256);
    let good = forge(&header, &claims(app.admin.id), JWT_SECRET);
    app.get("/api/v1/me", &good).await.ok(200);

    let mut wrong_audience = claims(app.admin.id);
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims(app.admin.id);
    wrong_issuer["iss"] = json!("evil");
    let mut no_exp = claims(app.admin.id);
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut past = claims(app.admin.id);
    past["exp"] = json!(Utc::now().timestamp() - 60);

    // alg: none, with the signature stripped.
    let b64 = |v: &serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(app.admin.id))
    );
    // Tampered: the payload of an admin token swapped in under a valid signature of another.
    let parts: Vec<&str> = good.split('.').collect();
    let mut escalated = claims(app.admin.id);
    escalated["role"] = json!("manager");
    let tampered = format!("{}.{}.{}", parts[0], b64(&escalated), parts[2]);

    let cases = [
        (
            "wrong key",
            forge(
                &header,
                &claims(app.admin.id),
                "another-secret-another-secret-0123456789",
            ),
        ),
        (
            "wrong audience",
            forge(&header, &wrong_audience, JWT_SECRET),
        ),
        ("wrong issuer", forge(&header, &wrong_issuer, JWT_SECRET)),
        ("missing exp", forge(&header, &no_exp, JWT_SECRET)),
        (
            "HS512",
            forge(
                &Header::new(Algorithm::HS512),
                &claims(app.admin.id),
                JWT_SECRET,
            ),
        ),
        ("alg none", alg_none),
        ("tampered", tampered),
        ("garbage", "not.a.jwt".to_string()),
    ];
    for (name, token) in cases {
        let res = app.get("/api/v1/me", &token).await;
        assert_eq!(res.status, 401, "{name}");
        res.problem(401, "invalid_token");
        assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{name}");
    }
    app.get("/api/v1/me", &forge(&header, &past, JWT_SECRET))
        .await
        .problem(401, "token_expired");
}

#[actix_web::test]
async fn missing_or_non_bearer_credentials_are_401() {
    let app = TestApp::spawn().await;
    app.send("GET", "/api/v1/me", None, &[], None)
        .await
        .problem(401, "missing_token");
    app.send(
        "GET",
        "/api/v1/me",
        None,
        &[("Authorization", "Basic YWRtaW46YWRtaW4=")],
        None,
    )
    .await
    .problem(401, "invalid_token");
}

#[actix_web::test]
async fn a_sales_token_on_admin_routes_is_403() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let manager = app.user("manager", None).await;
    for token in [&sales.token, &manager.token] {
        app.post(
            "/api/v1/users",
            token,
            &json!({"name": "X", "email": "x@example.com", "role": "admin", "password": PASSWORD}),
        )
        .await
        .problem(403, "forbidden");
        app.get("/api/v1/teams", token)
            .await
            .problem(403, "forbidden");
        app.post("/api/v1/teams", token, &json!({"name": "X"}))
            .await
            .problem(403, "forbidden");
        app.patch(
            &format!("/api/v1/users/{}", sales.id),
            token,
            &json!({"role": "admin"}),
        )
        .await
        .problem(403, "forbidden");
    }
    app.get("/api/v1/users", &sales.token)
        .await
        .problem(403, "forbidden");
}

#[actix_web::test]
async fn a_role_change_applies_to_tokens_issued_before_and_after() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    app.get("/api/v1/users", &sales.token)
        .await
        .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"role": "manager"}),
    )
    .await
    .ok(200);
    // On this instance at once (its memory of the caller is dropped in the same request's
    // aftermath; tests/api/revocation.rs covers other instances).
    let started = std::time::Instant::now();
    while app.get("/api/v1/users", &sales.token).await.status != 200 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the new role applies"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let renewed = app
        .json(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": sales.refresh_token}),
        )
        .await
        .ok(200);
    app.get("/api/v1/users", renewed["access_token"].as_str().unwrap())
        .await
        .ok(200);
}

async fn sign_in_from(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
) -> crate::common::Response {
    let body = serde_json::to_vec(&json!({"email": email, "password": password})).unwrap();
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-For", &format!("10.9.9.9, {address}")),
        ],
        Some(body),
    )
    .await
}

fn retry_after(res: &crate::common::Response) -> u64 {
    res.problem(429, "rate_limited");
    res.header("retry-after").unwrap().parse().unwrap()
}

/// Guessing is slowed per account from one address and per address, with delays that grow; but
/// a stranger's guesses never lock a person out: from their own address, or from a busy shared
/// one where they have not failed, their right password goes through.
#[actix_web::test]
async fn password_guessing_is_slowed_without_locking_anyone_out() {
    // The test's requests come through a "proxy" on 127.0.0.1 that names the client.
    let mut app = TestApp::spawn_with_settings(&[
        ("LEADPOOL_TRUSTED_PROXIES", "127.0.0.1/32"),
        ("LEADPOOL_JOB_INTERVAL_MS", "3600000"),
    ])
    .await;
    let target = app.user("sales", None).await;
    let other = app.user("sales", None).await;
    let attacker = "198.51.100.66";
    for _ in 0..5 {
        sign_in_from(&app, attacker, &target.email, "guess guess guess")
            .await
            .problem(401, "invalid_credentials");
    }
    // The fifth failure delays the next try from there by a second, even the right password...
    let res = sign_in_from(&app, attacker, &target.email.to_uppercase(), PASSWORD).await;
    assert_eq!(retry_after(&res), 1);
    // ...but the victim, from where they work, signs in; so does anyone else from there.
    sign_in_from(&app, "203.0.113.5", &target.email, PASSWORD)
        .await
        .ok(200);
    sign_in_from(&app, attacker, &other.email, PASSWORD)
        .await
        .ok(200);
    // Each further failure doubles the delay.
    for expected in [2, 4, 8] {
        let later = app.clock.now() + Duration::seconds(expected / 2 + 1);
        app.travel_to(later);
        sign_in_from(&app, attacker, &target.email, "guess guess guess")
            .await
            .problem(401, "invalid_credentials");
        let res = sign_in_from(&app, attacker, &target.email, PASSWORD).await;
        assert_eq!(retry_after(&res), expected as u64);
    }
    // The window closes; a success forgets the account's failures from there.
    let later = app.clock.now() + Duration::seconds(901);
    app.travel_to(later);
    sign_in_from(&app, attacker, &target.email, PASSWORD)
        .await
        .ok(200);
    for _ in 0..4 {
        sign_in_from(&app, attacker, &target.email, "guess guess guess")
            .await
            .problem(401, "invalid_credentials");
    }
    sign_in_from(&app, attacker, &target.email, PASSWORD)
        .await
        .ok(200);

    // Fifty failures from one address (each on a made-up account) slow the address down...
    let shared = "198.51.100.77";
    for i in 0..50 {
        sign_in_from(
            &app,
            shared,
            &format!("nobody{i}@example.com"),
            "guess guess guess",
        )
        .await
        .problem(401, "invalid_credentials");
    }
    // ...for the accounts that failed from it,
    let res = sign_in_from(&app, shared, "nobody0@example.com", "guess guess guess").await;
    assert_eq!(retry_after(&res), 1);
    // while one that has not still signs in from there.
    sign_in_from(&app, shared, &other.email, PASSWORD)
        .await
        .ok(200);
    // Once it fails from there too, it waits with the address.
    sign_in_from(&app, shared, &target.email, "guess guess guess")
        .await
        .problem(401, "invalid_credentials");
    let res = sign_in_from(&app, shared, &target.email, PASSWORD).await;
    assert!(retry_after(&res) >= 1);
    // Failures counted in the database, where every instance sees them, under the client's
    // address as the trusted proxy named it.
    let rows = app.dump_as_text(&["login_failures"]);
    assert!(rows.contains("\"key\":\"address:198.51.100.77\""), "{rows}");
    assert!(!rows.contains("10.9.9.9"), "{rows}");
}

#[actix_web::test]
async fn login_and_refresh_answer_who_is_signed_in() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let body = app
        .json(
            "POST",
            "/api/v1/auth/login",
            None,
            &json!({"email": sales.email, "password": PASSWORD}),
        )
        .await
        .ok(200);
    let me = app
        .get("/api/v1/me", body["access_token"].as_str().unwrap())
        .await
        .ok(200);
    assert_eq!(body["user"]["id"], sales.id.to_string());
    assert_eq!(body["user"]["role"], "sales");
    assert_eq!(body["user"]["name"], me["name"]);
    // A role changed since sign-in shows at the next refresh, as the token does.
    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"role": "manager"}),
    )
    .await
    .ok(200);
    let refreshed = app
        .json(
            "POST",
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": body["refresh_token"]}),
        )
        .await
        .ok(200);
    assert_eq!(refreshed["user"]["id"], sales.id.to_string());
    assert_eq!(refreshed["user"]["role"], "manager");
}
