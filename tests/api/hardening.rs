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
        res.problem(405, "method_not_allowed");
        assert_eq!(res.header("allow"), Some("GET, HEAD, POST"));
    }
    let res = app
        .send(
            "QUERY",
            "/api/v1/auth/logout-everywhere",
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    res.problem(405, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
    let res = app
        .send(
            "QUERY",
            "/api/v1/no-such-thing",
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    res.problem(404, "not_found");
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

/// A web form's or a file's text that a spreadsheet would run as a formula comes out of every CSV
/// as text (a leading `'`), in the lead export and in an import's rejected rows alike; a number
/// stays a number.
#[actix_web::test]
async fn no_csv_cell_runs_as_a_formula() {
    let app = TestApp::spawn().await;
    let pool = app.pool("Default", true, &[], &[]).await;
    app.lead(
        pool,
        json!({"phone": "13900000003", "name": "=HYPERLINK(\"http://evil.example\",\"点我\")",
               "company": "+cmd|' /C calc'!A0", "needs": "@SUM(A1:A9)", "tags": ["-2+3"]}),
    )
    .await;
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
    let text = String::from_utf8(export.body).unwrap();
    let mut rows =
        csv::ReaderBuilder::new().from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = rows.headers().unwrap().clone();
    let row = rows.records().next().expect("the lead").unwrap();
    let at = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(at("name"), "'=HYPERLINK(\"http://evil.example\",\"点我\")");
    assert_eq!(at("company"), "'+cmd|' /C calc'!A0");
    assert_eq!(at("needs"), "'@SUM(A1:A9)");
    assert_eq!(at("tags"), "'-2+3");

    // A rejected row of an uploaded file comes back neutralised too.
    let file = "姓名,手机\n=1+1,not-a-phone\n".as_bytes();
    let queued = crate::imports::upload(&app, &app.admin.token, file, &[], false)
        .await
        .ok(202);
    let done = crate::imports::wait(&app, queued["id"].as_str().unwrap()).await;
    assert_eq!(done["rejected"], 1, "{done}");
    let rejected = app
        .get(
            &format!("/api/v1/imports/{}/rejected", done["id"].as_str().unwrap()),
            &app.admin.token,
        )
        .await;
    let text = String::from_utf8(rejected.body).unwrap();
    assert!(text.contains("\n'=1+1,"), "{text}");
}

/// Intake knows its caller before it reads a byte of the body: without a valid source token, a
/// malformed, mistyped or oversized body is 401 like any other.
#[actix_web::test]
async fn intake_asks_for_the_credential_before_the_body() {
    let app = TestApp::spawn_without_jobs().await;
    let json = ("Content-Type", "application/json");
    for (headers, body) in [
        (vec![json], b"{not json".to_vec()),
        (vec![("Content-Type", "text/plain")], b"hello".to_vec()),
        (vec![json], vec![b' '; 200_000]),
    ] {
        app.send(
            "POST",
            "/api/v1/intake/leads",
            None,
            &headers,
            Some(body.clone()),
        )
        .await
        .problem(401, "missing_token");
        app.send(
            "POST",
            "/api/v1/intake/leads",
            Some("lpi_made_up_token_0123456789"),
            &headers,
            Some(body),
        )
        .await
        .problem(401, "invalid_token");
    }
}

#[actix_web::test]
async fn a_pool_the_caller_cannot_see_is_answered_like_one_that_does_not_exist() {
    let app = TestApp::spawn_without_jobs().await;
    let outsider = app.user("manager", None).await;
    let member = app.user("sales", None).await;
    let hidden = app.pool("Hidden", false, &[], &[member.id]).await;
    let made_up = uuid::Uuid::now_v7();
    let mut answers = Vec::new();
    for pool_id in [hidden, made_up] {
        let body = json!({"name": "Probe", "phone": "13900001111", "source_channel": "website", "pool_id": pool_id});
        let res = app.post("/api/v1/leads", &outsider.token, &body).await;
        let problem = res.problem(422, "validation_failed");
        answers.push(problem["errors"].clone());
        let csv = format!("name,phone\nProbe,1390000222{}\n", answers.len());
        let res = crate::imports::upload(
            &app,
            &outsider.token,
            csv.as_bytes(),
            &[("pool_id", &pool_id.to_string())],
            false,
        )
        .await;
        let problem = res.problem(422, "validation_failed");
        answers.push(problem["errors"].clone());
    }
    assert_eq!(
        answers[0], answers[2],
        "a new lead: hidden and made-up pools alike"
    );
    assert_eq!(answers[1], answers[3], "an import: alike");
    assert_eq!(answers[0][0]["field"], "pool_id");
    assert_eq!(app.count("leads"), 0);
    // A member may name it.
    let body = json!({"name": "Probe", "phone": "13900001111", "source_channel": "website", "pool_id": hidden});
    app.post("/api/v1/leads", &member.token, &body)
        .await
        .ok(201);
}
