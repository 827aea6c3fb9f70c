//! Hardening found by trying the running service as an attacker would: methods at the edge
//! (made-up ones, wrong ones on known paths, HEAD), control characters in paths, answers with
//! customers' data marked not to be stored, hand-overs to people who left.

use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn made_up_methods_are_refused_and_counted_as_other() {
    let app = TestApp::spawn_without_jobs().await;
    for i in 0..20 {
        let method = format!("X{}", "Q".repeat(100 + i));
        let res = app
            .send(&method, "/api/v1/leads", Some(&app.admin.token), &[], None)
            .await;
        res.problem(501, "method_not_implemented");
    }
    let metrics = app.send("GET", "/metrics", None, &[], None).await;
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(!text.contains("QQQQ"), "made-up methods name no series");
    assert!(
        text.contains(r#"method="other""#),
        "they are counted as other"
    );
}

#[actix_web::test]
async fn a_known_path_answers_405_with_allow_and_head_works_on_get_routes() {
    let app = TestApp::spawn_without_jobs().await;
    let res = app
        .send("DELETE", "/api/v1/leads", Some(&app.admin.token), &[], None)
        .await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, HEAD, POST"));
    let res = app
        .send(
            "PUT",
            &format!("/api/v1/leads/{}", uuid::Uuid::now_v7()),
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("GET, HEAD, PATCH"));
    // Unknown paths stay 404.
    app.send(
        "GET",
        "/api/v1/nothing-here",
        Some(&app.admin.token),
        &[],
        None,
    )
    .await
    .problem(404, "not_found");

    let get = app.get("/api/v1/me", &app.admin.token).await;
    let head = app
        .send("HEAD", "/api/v1/me", Some(&app.admin.token), &[], None)
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty(), "HEAD has no body");
    assert_eq!(head.header("content-type"), get.header("content-type"));
    let anonymous = app.send("HEAD", "/api/v1/me", None, &[], None).await;
    assert_eq!(anonymous.status, 401, "HEAD is authenticated like GET");
}

#[actix_web::test]
async fn a_control_character_in_a_path_names_nothing() {
    let app = TestApp::spawn_without_jobs().await;
    app.send(
        "PATCH",
        "/api/v1/lead-fields/a%00b",
        Some(&app.admin.token),
        &[("Content-Type", "application/json")],
        Some(b"{\"label\":\"x\"}".to_vec()),
    )
    .await
    .problem(404, "not_found");
    app.send(
        "DELETE",
        "/api/v1/lead-fields/a%00b",
        Some(&app.admin.token),
        &[],
        None,
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn customers_data_is_marked_not_to_be_stored() {
    let app = TestApp::spawn_without_jobs().await;
    let pool = app.pool("Default", true, &[], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13900000001"})).await;
    let revealed = app
        .get(
            &format!("/api/v1/leads/{lead}?reveal=contact"),
            &app.admin.token,
        )
        .await;
    assert_eq!(revealed.status, 200);
    assert_eq!(revealed.header("cache-control"), Some("no-store"));
    let export = app
        .send(
            "GET",
            "/api/v1/leads",
            Some(&app.admin.token),
            &[("Accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(export.status, 200);
    assert_eq!(export.header("cache-control"), Some("no-store"));
    // The public document may be cached.
    let doc = app.send("GET", "/openapi.json", None, &[], None).await;
    assert_eq!(doc.header("cache-control"), None);
}

#[actix_web::test]
async fn a_transfer_to_a_deactivated_colleague_is_refused_at_once() {
    let app = TestApp::spawn_without_jobs().await;
    let team = app.team("T", None).await;
    let sales = app.user("sales", Some(team)).await;
    let left = app.user("sales", Some(team)).await;
    let pool = app.pool("Default", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13900000002"})).await;
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &sales.token,
        &json!({}),
    )
    .await
    .ok(200);
    app.patch(
        &format!("/api/v1/users/{}", left.id),
        &app.admin.token,
        &json!({"active": false}),
    )
    .await
    .ok(200);
    app.post(
        &format!("/api/v1/leads/{lead}/transfer"),
        &sales.token,
        &json!({"to_user_id": left.id}),
    )
    .await
    .problem(422, "user_inactive");
    assert_eq!(app.count("approvals"), 0, "nothing is left pending");
}
