//! Access ends when it is taken away: a deactivated user's token is refused, a new role applies,
//! a password change or "sign out everywhere" ends the access tokens already issued, on every
//! instance, within moments (each instance is told through PostgreSQL).

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{PASSWORD, Response, TestApp, TestUser};

/// How long each instance may take to apply a change (the requirement is 5 s; the push usually
/// takes milliseconds).
const WITHIN: Duration = Duration::from_secs(5);

/// Repeats `request` until `done` says its answer shows the change; returns how long it took.
async fn until<F, Fut>(what: &str, mut request: F, done: impl Fn(&Response) -> bool) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let started = Instant::now();
    loop {
        let res = request().await;
        if done(&res) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < WITHIN,
            "{what}: still {} {} after {WITHIN:?}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

fn code(res: &Response) -> String {
    res.json()["code"].as_str().unwrap_or_default().to_string()
}

/// Warms `app`'s memory of `user` and checks the token works there.
async fn works(app: &TestApp, user: &TestUser) {
    app.get("/api/v1/me", &user.token).await.ok(200);
}

#[actix_web::test]
async fn a_deactivated_admin_is_refused_everywhere_at_once() {
    let app = TestApp::spawn_without_jobs().await;
    let other = app.instance().await;
    let rogue = app.user("admin", None).await;
    works(&app, &rogue).await;
    works(&other, &rogue).await;

    app.patch(
        &format!("/api/v1/users/{}", rogue.id),
        &app.admin.token,
        &json!({"active": false}),
    )
    .await
    .ok(200);
    for instance in [&app, &other] {
        until(
            "the deactivated admin's token",
            || instance.get("/api/v1/me", &rogue.token),
            |res| res.status == 401 && code(res) == "account_disabled",
        )
        .await;
    }
    // Nothing an admin could do still works: make an admin, re-activate oneself.
    let res = other
        .post(
            "/api/v1/users",
            &rogue.token,
            &json!({"name": "Accomplice", "email": "accomplice@example.com", "role": "admin", "password": PASSWORD}),
        )
        .await;
    res.problem(401, "account_disabled");
    let res = other
        .patch(
            &format!("/api/v1/users/{}", rogue.id),
            &rogue.token,
            &json!({"active": true}),
        )
        .await;
    res.problem(401, "account_disabled");
    assert_eq!(app.count("users WHERE email = 'accomplice@example.com'"), 0);
    // Deactivation signed them out everywhere: re-activated by another admin, they sign in
    // again; the old token stays revoked.
    app.patch(
        &format!("/api/v1/users/{}", rogue.id),
        &app.admin.token,
        &json!({"active": true}),
    )
    .await
    .ok(200);
    until(
        "the re-activated admin's old token",
        || other.get("/api/v1/me", &rogue.token),
        |res| res.status == 401 && code(res) == "token_revoked",
    )
    .await;
    let back = app.login(&rogue.email, PASSWORD).await;
    works(&other, &back).await;
}

#[actix_web::test]
async fn a_deactivated_salesperson_reads_and_writes_nothing() {
    let app = TestApp::spawn_without_jobs().await;
    let team = app.team("T", None).await;
    let sales = app.user("sales", Some(team)).await;
    let pool = app.pool("P", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13800001111"})).await;
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &sales.token,
        &json!({}),
    )
    .await
    .ok(200);
    let csv = || {
        app.send(
            "GET",
            "/api/v1/leads",
            Some(&sales.token),
            &[("Accept", "text/csv")],
            None,
        )
    };
    assert_eq!(csv().await.status, 200);

    // Not while they still hold the lead: it goes back to the pool first.
    let user = format!("/api/v1/users/{}", sales.id);
    let off = json!({"active": false});
    app.patch(&user, &app.admin.token, &off)
        .await
        .problem(409, "holds_leads");
    app.post(
        &format!("{user}/hand-over"),
        &app.admin.token,
        &json!({"to_pool_id": pool}),
    )
    .await
    .ok(202);
    let lead_path = format!("/api/v1/leads/{lead}");
    until(
        "the hand-over",
        || app.get(&lead_path, &app.admin.token),
        |res| res.status == 200 && res.json()["state"] == "pooled",
    )
    .await;
    app.patch(&user, &app.admin.token, &off).await.ok(200);
    until("the export", csv, |res| res.status == 401).await;
    app.post(
        &format!("/api/v1/leads/{lead}/follow-ups"),
        &sales.token,
        &json!({"type": "call", "content": "还在吗"}),
    )
    .await
    .problem(401, "account_disabled");
    app.post(
        "/api/v1/leads",
        &sales.token,
        &json!({"source_channel": "website", "pool_id": pool, "phone": "13800002222"}),
    )
    .await
    .problem(401, "account_disabled");
    app.get(&format!("/api/v1/leads/{lead}"), &sales.token)
        .await
        .problem(401, "account_disabled");
    assert_eq!(app.count("follow_ups"), 0);
    assert_eq!(app.count("leads"), 1);
    // Nor can they get a new token.
    let res = app
        .post(
            "/api/v1/auth/refresh",
            &app.admin.token,
            &json!({"refresh_token": sales.refresh_token}),
        )
        .await;
    assert_eq!(res.status, 401, "{}", String::from_utf8_lossy(&res.body));
}

#[actix_web::test]
async fn a_new_role_applies_to_tokens_already_issued() {
    let app = TestApp::spawn_without_jobs().await;
    let other = app.instance().await;
    let manager = app.user("manager", None).await;
    other
        .get("/api/v1/audit", &manager.token)
        .await
        .problem(403, "forbidden");
    other.get("/api/v1/users", &manager.token).await.ok(200);
    // Demoted to sales: manager-only reads are refused with the old token.
    app.patch(
        &format!("/api/v1/users/{}", manager.id),
        &app.admin.token,
        &json!({"role": "sales"}),
    )
    .await
    .ok(200);
    until(
        "the demoted manager",
        || other.get("/api/v1/users", &manager.token),
        |res| res.status == 403,
    )
    .await;
    let me = other.get("/api/v1/me", &manager.token).await.ok(200);
    assert_eq!(me["role"], "sales");
    // Promoted to admin: the same token now reads the audit trail.
    app.patch(
        &format!("/api/v1/users/{}", manager.id),
        &app.admin.token,
        &json!({"role": "admin"}),
    )
    .await
    .ok(200);
    until(
        "the promoted user",
        || other.get("/api/v1/audit", &manager.token),
        |res| res.status == 200,
    )
    .await;
}

#[actix_web::test]
async fn a_password_change_or_sign_out_everywhere_ends_every_access_token() {
    let app = TestApp::spawn_without_jobs().await;
    let other = app.instance().await;
    let sales = app.user("sales", None).await;
    // A second sign-in of the same person (another device).
    let phone = app.login(&sales.email, PASSWORD).await;
    for (instance, user) in [(&app, &sales), (&other, &phone)] {
        works(instance, user).await;
    }

    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"password": "a new password 123"}),
    )
    .await
    .ok(200);
    for (instance, user) in [(&app, &sales), (&other, &phone)] {
        until(
            "a token from before the password change",
            || instance.get("/api/v1/me", &user.token),
            |res| res.status == 401 && code(res) == "token_revoked",
        )
        .await;
    }
    // Signed in again with the new password, the person works.
    let again = app.login(&sales.email, "a new password 123").await;
    works(&other, &again).await;

    // Sign out everywhere (the person themselves): this token and every other one end.
    let laptop = app.login(&sales.email, "a new password 123").await;
    works(&other, &laptop).await;
    let res = app
        .send(
            "POST",
            "/api/v1/auth/logout-everywhere",
            Some(&again.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    for user in [&again, &laptop] {
        until(
            "a token from before signing out everywhere",
            || other.get("/api/v1/me", &user.token),
            |res| res.status == 401 && code(res) == "token_revoked",
        )
        .await;
        let res = app
            .json(
                "POST",
                "/api/v1/auth/refresh",
                None,
                &json!({"refresh_token": user.refresh_token}),
            )
            .await;
        assert_eq!(res.status, 401, "the refresh token is revoked too");
    }

    // An admin signs someone out (a lost phone): their tokens end, their password still works.
    let fresh = app.login(&sales.email, "a new password 123").await;
    works(&other, &fresh).await;
    let res = app
        .send(
            "POST",
            &format!("/api/v1/users/{}/sign-out", sales.id),
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 204, "{}", String::from_utf8_lossy(&res.body));
    until(
        "a token from before the admin's sign-out",
        || other.get("/api/v1/me", &fresh.token),
        |res| res.status == 401,
    )
    .await;
    app.login(&sales.email, "a new password 123").await;
    assert_eq!(
        app.count("audit_log WHERE action = 'user.signed_out_everywhere'"),
        2
    );
    // Only admins sign others out.
    let res = app
        .send(
            "POST",
            &format!("/api/v1/users/{}/sign-out", app.admin.id),
            Some(&fresh.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 401, "a signed-out token");
}
