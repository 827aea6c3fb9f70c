//! Bad input is cheap to refuse: list-valued input is counted before it is worked on, error lists
//! are capped, a client that trickles its request is cut off, and text carries no invisible
//! characters.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::common::TestApp;

#[actix_web::test]
async fn a_huge_list_is_refused_on_its_count_and_the_error_list_is_capped() {
    let app = TestApp::spawn_with_settings(&[("LEADPOOL_MAX_BODY_BYTES", "4194304")]).await;
    let pool = app.pool("Default", true, &[], &[]).await;
    let tags: Vec<String> = (0..60_000).map(|i| format!("t{i}")).collect();
    let body = json!({"name": "Many", "phone": "13900000001", "source_channel": "website",
                      "pool_id": pool, "tags": tags});
    let res = app.post("/api/v1/leads", &app.admin.token, &body).await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "tags");
    assert_eq!(problem["errors"][0]["code"], "too_many");
    // Repeats of one tag are one tag.
    let body = json!({"name": "Same", "phone": "13900000002", "source_channel": "website",
                      "pool_id": pool, "tags": vec!["vip"; 5000]});
    let lead = app
        .post("/api/v1/leads", &app.admin.token, &body)
        .await
        .ok(201);
    assert_eq!(lead["tags"], json!(["vip"]));

    let custom: Map<String, Value> = (0..40_000).map(|i| (format!("k{i}"), json!("x"))).collect();
    let body = json!({"name": "Keys", "phone": "13900000003", "source_channel": "website",
                      "pool_id": pool, "custom": custom});
    let res = app.post("/api/v1/leads", &app.admin.token, &body).await;
    assert!(res.body.len() < 64 * 1024, "{} bytes", res.body.len());
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"].as_array().unwrap().len(), 50);
    assert_eq!(problem["error_count"], 40_000);
    assert_eq!(problem["errors"][0]["code"], "unknown_field");
    assert_eq!(problem["detail"], "40000 fields are not valid");
    assert_eq!(app.count("leads"), 1);

    // A routing condition and a field's options are counted the same way.
    let provinces: Vec<String> = (0..20_000).map(|i| format!("p{i}")).collect();
    let res = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({"name": "Wide", "routing": [{"provinces": provinces}]}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "routing[0].provinces");
    assert_eq!(problem["errors"][0]["code"], "too_many");
    let options: Vec<String> = (0..20_000).map(|i| format!("o{i}")).collect();
    let res = app
        .post(
            "/api/v1/lead-fields",
            &app.admin.token,
            &json!({"key": "size", "label": "Size", "type": "select", "options": options}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "options");
    assert_eq!(problem["errors"][0]["code"], "invalid_length");
}

/// Opens a raw connection to the app, sends `head` and `body`, and reads until the server closes
/// the connection (or `wait` passes): the bytes it answered and how long it took to close.
fn trickle(app: &TestApp, head: &str, body: &[u8], wait: Duration) -> (String, Option<Duration>) {
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    let started = Instant::now();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut buf) {
            Ok(0) => break Some(started.elapsed()),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                break Some(started.elapsed());
            }
            Err(_) => break None,
        }
    };
    (String::from_utf8_lossy(&answer).into_owned(), closed)
}

#[actix_web::test]
async fn a_client_that_does_not_finish_its_request_is_cut_off() {
    let app = TestApp::spawn_with_settings(&[("LEADPOOL_CLIENT_TIMEOUT_SECS", "1")]).await;
    let wait = Duration::from_secs(15);
    // A body that never arrives in full: 408, and the connection is closed.
    let head = format!(
        "POST /api/v1/teams HTTP/1.1\r\nHost: leadpool\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n",
        app.admin.token
    );
    let (answer, closed) = trickle(&app, &head, b"{\"na", wait);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(closed.is_some(), "the connection stays open: {answer}");
    // A head that never ends is closed too.
    let (_, closed) = trickle(&app, "GET /api/v1/me HTTP/1.1\r\nHost: lead", b"", wait);
    assert!(closed.is_some(), "a half-sent head holds its connection");
    // Nothing was written, and the service still answers.
    assert_eq!(app.count("teams"), 0);
    app.get("/api/v1/me", &app.admin.token).await.ok(200);
}

#[actix_web::test]
async fn names_carry_no_invisible_or_direction_changing_characters() {
    let app = TestApp::spawn_without_jobs().await;
    let team = app
        .post(
            "/api/v1/teams",
            &app.admin.token,
            &json!({"name": "\u{202E}East\u{200B} Team\u{2069}"}),
        )
        .await
        .ok(201);
    assert_eq!(team["name"], "East Team");
    let res = app
        .post(
            "/api/v1/teams",
            &app.admin.token,
            &json!({"name": "\u{200B}\u{FEFF}\u{202D}"}),
        )
        .await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "name");
    let user = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "Ada\u{200D}\u{061C} Lovelace", "email": "ada@example.com",
                    "role": "sales", "password": "correct horse battery"}),
        )
        .await
        .ok(201);
    assert_eq!(user["name"], "Ada Lovelace");
    let pool = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({"name": "\u{2066}North\u{2069}", "description": "line one\u{202E}\nline two"}),
        )
        .await
        .ok(201);
    assert_eq!(pool["name"], "North");
    assert_eq!(pool["description"], "line one\nline two");
    let pool_id = pool["id"].as_str().unwrap();
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"name": "张\u{200B}伟", "company": "\u{202E}exe.live", "phone": "13900000009",
                    "source_channel": "website", "pool_id": pool_id, "tags": ["v\u{200C}ip"]}),
        )
        .await
        .ok(201);
    assert_eq!(lead["name"], "张伟");
    assert_eq!(lead["company"], "exe.live");
    assert_eq!(lead["tags"], json!(["vip"]));
}
