//! Every failure a client can cause is problem+json with a stable code; never plain text, never a 500.

use serde_json::{Value, json};

use crate::common::TestApp;

#[actix_web::test]
async fn malformed_json_is_400() {
    let app = TestApp::spawn().await;
    let res = app
        .send(
            "POST",
            "/api/v1/teams",
            Some(&app.admin.token),
            &[("Content-Type", "application/json")],
            Some(b"{\"name\": \"East".to_vec()),
        )
        .await;
    res.problem(400, "malformed_body");
    let res = app
        .send(
            "POST",
            "/api/v1/auth/login",
            None,
            &[("Content-Type", "application/json")],
            Some(Vec::new()),
        )
        .await;
    res.problem(400, "malformed_body");
}

#[actix_web::test]
async fn unknown_fields_are_422_and_named() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let body = app
        .patch(
            &format!("/api/v1/users/{}", sales.id),
            &app.admin.token,
            &json!({"name": "New", "id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "id");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    // Nothing was changed.
    let user = app
        .get(&format!("/api/v1/users/{}", sales.id), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(user["name"], "Test sales");
}

#[actix_web::test]
async fn wrong_types_and_missing_fields_name_the_field() {
    let app = TestApp::spawn().await;
    let body = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "A", "email": "a@example.com", "role": "sales"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "password");
    assert_eq!(body["errors"][0]["code"], "required");
    let body = app
        .post("/api/v1/teams", &app.admin.token, &json!({"name": 42}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "name");
    assert_eq!(body["errors"][0]["code"], "invalid_type");
    let body = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "A", "email": "a@example.com", "role": "root", "password": "long enough password"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "role");
}

#[actix_web::test]
async fn several_invalid_fields_are_reported_together() {
    let app = TestApp::spawn().await;
    let body = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "  ", "email": "not-an-email", "role": "sales", "password": "short"}),
        )
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"email") && fields.contains(&"password"),
        "{body}"
    );
}

#[actix_web::test]
async fn a_body_that_is_not_json_by_content_type_is_415() {
    let app = TestApp::spawn().await;
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"email=a&password=b".to_vec()),
    )
    .await
    .problem(415, "unsupported_media_type");
}

#[actix_web::test]
async fn an_oversized_body_is_413() {
    let app = TestApp::spawn().await;
    let huge = json!({"name": "x".repeat(70_000)});
    app.post("/api/v1/teams", &app.admin.token, &huge)
        .await
        .problem(413, "payload_too_large");
}

#[actix_web::test]
async fn bad_path_and_query_parameters_are_problem_json() {
    let app = TestApp::spawn().await;
    let body = app
        .get("/api/v1/users/not-a-uuid", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "id");
    let body = app
        .get("/api/v1/users?limit=201", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "limit");
    let body = app
        .get("/api/v1/users?limit=ten", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "limit");
    let body = app
        .get("/api/v1/users?colour=red", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    let body = app
        .get("/api/v1/users?cursor=forged", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_cursor");
    let body = app
        .get("/api/v1/users?active=maybe", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "active");
}

#[actix_web::test]
async fn unknown_routes_are_404_problem_json() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here", &app.admin.token)
        .await
        .problem(404, "not_found");
    // A known path with a method it does not take is 405 (see hardening.rs).
    app.send("DELETE", "/api/v1/users", Some(&app.admin.token), &[], None)
        .await
        .problem(405, "method_not_allowed");
}

#[actix_web::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestApp::spawn().await;
    let res = app.send("GET", "/healthz", None, &[], None).await;
    let id = res.header("x-request-id").expect("request id");
    assert!(!id.is_empty());
    assert_eq!(res.header("x-content-type-options"), Some("nosniff"));
    let res = app
        .send(
            "GET",
            "/healthz",
            None,
            &[("X-Request-Id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(res.header("x-request-id"), Some("trace-42"));
    let res = app
        .send(
            "GET",
            "/healthz",
            None,
            &[("X-Request-Id", "bad id with spaces")],
            None,
        )
        .await;
    assert_ne!(res.header("x-request-id"), Some("bad id with spaces"));
    // Errors carry it too.
    let res = app.send("GET", "/api/v1/me", None, &[], None).await;
    assert!(res.header("x-request-id").is_some());
}

#[actix_web::test]
async fn nul_characters_are_422_not_500() {
    let app = TestApp::spawn().await;
    let body = app
        .post(
            "/api/v1/teams",
            &app.admin.token,
            &json!({"name": "East\u{0}"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_character");
    let body = app
        .get("/api/v1/users?q=%00", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_character");
}

#[actix_web::test]
async fn null_for_a_field_that_cannot_be_empty_is_422() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    for field in ["name", "email", "role", "active", "password"] {
        let body = app
            .patch(
                &format!("/api/v1/users/{}", sales.id),
                &app.admin.token,
                &json!({ field: null }),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
}

#[actix_web::test]
async fn nul_in_a_custom_field_filter_is_422() {
    let app = TestApp::spawn().await;
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "note", "label": "Note", "type": "text"}),
    )
    .await
    .ok(201);
    let body = app
        .get("/api/v1/leads?custom.note=%00", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_character");
}

fn named_fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A frontend gets every bad field of a body in one answer, whatever is wrong with each: an
/// unknown enum value, a missing field, a wrong type, an unknown field, a failed check.
#[actix_web::test]
async fn every_bad_field_is_named_in_one_answer() {
    let app = TestApp::spawn_without_jobs().await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "", "email": "not-an-email", "role": "emperor", "password": "x"}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    let fields = named_fields(&problem);
    let mut names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    names.dedup();
    assert_eq!(names, ["email", "name", "password", "role"], "{problem}");
    assert!(fields.contains(&("role".to_string(), "invalid_value".to_string())));
    assert!(fields.contains(&("password".to_string(), "weak_password".to_string())));

    let res = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"email": 7, "role": "sales", "tier": "high", "boss": true}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(
        named_fields(&problem),
        [
            ("boss".to_string(), "unknown_field".to_string()),
            ("email".to_string(), "invalid_type".to_string()),
            ("name".to_string(), "required".to_string()),
            ("password".to_string(), "required".to_string()),
            ("tier".to_string(), "invalid_type".to_string()),
        ],
        "{problem}"
    );

    // A pool's rules, nested lists included.
    let pool = app.pool("Rules", true, &[], &[]).await;
    let res = app
        .send(
            "PUT",
            &format!("/api/v1/pools/{pool}/rules"),
            Some(&app.admin.token),
            &[("Content-Type", "application/json")],
            Some(
                serde_json::to_vec(&json!({"claim_mode": "lottery", "no_contact_days": "ten",
                                           "exempt_stages": ["won", "dreaming"], "colour": 1}))
                .unwrap(),
            ),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    let fields = named_fields(&problem);
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    for field in [
        "claim_mode",
        "colour",
        "exempt_stages[1]",
        "no_contact_days",
    ] {
        assert!(names.contains(&field), "{field} in {problem}");
    }

    // A follow-up on a lead.
    let lead = app.lead(pool, json!({"phone": "13900000001"})).await;
    let res = app
        .post(
            &format!("/api/v1/leads/{lead}/follow-ups"),
            &app.admin.token,
            &json!({"type": "telepathy", "content": " ", "next_follow_up_at": "tomorrow"}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    let fields = named_fields(&problem);
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["content", "next_follow_up_at", "type"], "{problem}");
    // Nothing was written by any of them.
    assert_eq!(app.count("follow_ups"), 0);
    assert_eq!(app.count("users"), 1);
}
