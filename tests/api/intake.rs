//! Web-form intake: sources, merging into duplicates, batches, idempotency, rate limits,
//! quarantine, and nothing readable at rest.

use chrono::Duration;
use serde_json::{Value, json};

use crate::common::{Response, TestApp};

async fn source(app: &TestApp, rate: i32) -> (String, String) {
    let res = app
        .post(
            "/api/v1/intake-sources",
            &app.admin.token,
            &json!({"name": "官网表单", "channel": "website", "rate_limit_per_minute": rate}),
        )
        .await;
    let body = res.ok(201);
    let token = body["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("lpi_"));
    (body["id"].as_str().unwrap().to_string(), token)
}

async fn push(app: &TestApp, token: &str, body: &Value, key: Option<&str>) -> Response {
    let auth = format!("Bearer {token}");
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    if let Some(key) = key {
        headers.push(("Idempotency-Key", key));
    }
    app.send(
        "POST",
        "/api/v1/intake/leads",
        None,
        &headers,
        Some(serde_json::to_vec(body).unwrap()),
    )
    .await
}

#[actix_web::test]
async fn sources_are_admin_only_and_tokens_are_shown_once() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let (id, _) = source(&app, 60).await;
    let list = app
        .get("/api/v1/intake-sources", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(list["items"][0]["id"], id);
    assert!(list["items"][0].get("token").is_none());
    assert_eq!(list["next_cursor"], json!(null));
    app.get("/api/v1/intake-sources", &sales.token)
        .await
        .problem(403, "forbidden");
    app.post(
        "/api/v1/intake-sources",
        &sales.token,
        &json!({"name": "x", "channel": "ads"}),
    )
    .await
    .problem(403, "forbidden");
}

#[actix_web::test]
async fn a_lead_comes_in_and_a_later_submission_merges_into_it() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 100).await;
    let sales = app.user("sales", None).await;

    let res = push(
        &app,
        &token,
        &json!({"name": "刘洋", "phone": "+86 186 0000 1111", "source_detail": "landing-A"}),
        None,
    )
    .await;
    let created = res.ok(201);
    assert_eq!(created["status"], "created");
    let lead_id = created["lead_id"].as_str().unwrap().to_string();
    let lead = app
        .get(
            &format!("/api/v1/leads/{lead_id}?reveal=contact"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(lead["phone"], "+8618600001111");
    assert_eq!(lead["source_channel"], "website");
    app.give_lead(&lead_id, sales.id);

    // Same phone, written differently, with more details: merged, gaps filled, owner told.
    let res = push(
        &app,
        &token,
        &json!({"name": "刘先生", "phone": "18600001111", "email": "LY@example.com", "city": "深圳", "source_channel": "ads"}),
        None,
    )
    .await;
    let merged = res.ok(200);
    assert_eq!(merged["status"], "merged");
    assert_eq!(merged["lead_id"], json!(lead_id));
    let lead = app
        .get(
            &format!("/api/v1/leads/{lead_id}?reveal=contact"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(lead["name"], "刘洋", "existing values are kept");
    assert_eq!(lead["email"], "ly@example.com", "gaps are filled");
    assert_eq!(lead["city"], "深圳");
    let timeline = app
        .get(&format!("/api/v1/leads/{lead_id}/timeline"), &sales.token)
        .await
        .ok(200);
    let touched = &timeline["items"][1];
    assert_eq!(touched["kind"], "touched");
    assert_eq!(touched["details"]["source_channel"], "ads");
    assert_eq!(touched["details"]["filled"], json!(["city", "email"]));
    assert_eq!(app.count("lead_touches"), 1);
    assert_eq!(
        app.count(&format!("notifications WHERE user_id = '{}'", sales.id)),
        1
    );
    assert_eq!(app.count("leads"), 1);
}

#[actix_web::test]
async fn a_batch_answers_each_lead_and_stores_the_valid_ones() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 100).await;
    let res = push(
        &app,
        &token,
        &json!({"leads": [
            {"name": "A", "phone": "13100000001"},
            {"email": "x@example.com", "phone": "131-0000-0001"},
            {"phone": "12345"},
            {"name": "B", "phone": "13100000002", "colour": "red"},
            {"phone": "13100000003", "honeypot": "I am a bot"}
        ]}),
        None,
    )
    .await;
    let body = res.ok(200);
    let statuses: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec!["created", "merged", "invalid", "invalid", "quarantined"]
    );
    assert_eq!(body["results"][2]["errors"][0]["field"], "leads[2].phone");
    assert_eq!(body["results"][3]["errors"][0]["field"], "leads[3].colour");
    assert_eq!(
        (
            body["created"].as_i64(),
            body["merged"].as_i64(),
            body["invalid"].as_i64(),
            body["quarantined"].as_i64()
        ),
        (Some(1), Some(1), Some(2), Some(1))
    );
    assert_eq!(app.count("leads"), 1);

    let too_many: Vec<Value> = (0..501)
        .map(|i| json!({"phone": format!("132{i:08}")}))
        .collect();
    push(&app, &token, &json!({"leads": too_many}), None)
        .await
        .problem(422, "validation_failed");
    push(&app, &token, &json!({"leads": []}), None)
        .await
        .problem(422, "validation_failed");
}

#[actix_web::test]
async fn twenty_concurrent_identical_submissions_make_one_lead() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 1000).await;
    let body = json!({"name": "孙丽", "phone": "13122223333", "email": "sl@example.com"});
    let results =
        futures_util::future::join_all((0..20).map(|_| push(&app, &token, &body, None))).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.count("leads"), 1);
    assert_eq!(
        app.count("lead_touches"),
        19,
        "every submission is recorded"
    );
}

#[actix_web::test]
async fn idempotency_keys_replay_refuse_reuse_and_hold_concurrent_retries() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 1000).await;
    let body = json!({"name": "钱多", "phone": "13133334444"});
    let first = push(&app, &token, &body, Some("form-42")).await;
    let first_body = first.ok(201);
    let again = push(&app, &token, &body, Some("form-42")).await;
    assert_eq!(again.ok(201), first_body, "the first answer is replayed");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("lead_touches"), 0, "a replay writes nothing");
    push(
        &app,
        &token,
        &json!({"name": "钱多", "phone": "13133334445"}),
        Some("form-42"),
    )
    .await
    .problem(422, "idempotency_key_reused");

    // Concurrent retries of one new submission: one does the work, the rest wait their turn (409)
    // or get the replay; never a second lead or touch.
    let body = json!({"name": "周全", "phone": "13144445555"});
    let results =
        futures_util::future::join_all((0..8).map(|_| push(&app, &token, &body, Some("form-43"))))
            .await;
    let fresh: Vec<&Response> = results
        .iter()
        .filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(fresh.len(), 1);
    for r in &results {
        assert!(
            (r.status == 201)
                || (r.status == 409 && r.json()["code"] == "idempotency_key_in_progress"),
            "{} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
    }
    assert_eq!(app.count("leads"), 2);
    assert_eq!(app.count("lead_touches"), 0);
    let bad = push(&app, &token, &body, Some("")).await;
    bad.problem(422, "validation_failed");
}

#[actix_web::test]
async fn each_source_is_rate_limited_per_minute() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 3).await;
    let (_, other) = source(&app, 3).await;
    for i in 0..3 {
        push(
            &app,
            &token,
            &json!({"phone": format!("1340000000{i}")}),
            None,
        )
        .await
        .ok(201);
    }
    let limited = push(&app, &token, &json!({"phone": "13400000009"}), None).await;
    limited.problem(429, "rate_limited");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    push(&app, &other, &json!({"phone": "13400000019"}), None)
        .await
        .ok(201);
    app.clock.advance(Duration::seconds(61));
    push(&app, &token, &json!({"phone": "13400000009"}), None)
        .await
        .ok(201);
}

#[actix_web::test]
async fn a_batch_counts_each_of_its_leads_against_the_limit() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 3).await;
    let batch = |phones: &[&str]| json!({"leads": phones.iter().map(|p| json!({"phone": p})).collect::<Vec<_>>()});
    // Larger than a minute's limit: it could never pass, so it is refused as such.
    let res = push(
        &app,
        &token,
        &batch(&["13500000001", "13500000002", "13500000003", "13500000004"]),
        None,
    )
    .await;
    let problem = res.problem(422, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "leads");
    // Two leads then two more: the second batch brings the minute to four of three.
    push(&app, &token, &batch(&["13500000011", "13500000012"]), None)
        .await
        .ok(200);
    push(&app, &token, &batch(&["13500000013", "13500000014"]), None)
        .await
        .problem(429, "rate_limited");
    assert_eq!(app.count("leads"), 2, "the refused batch stored nothing");
    app.clock.advance(Duration::seconds(61));
    push(
        &app,
        &token,
        &batch(&["13500000013", "13500000014", "13500000015"]),
        None,
    )
    .await
    .ok(200);
    assert_eq!(app.count("leads"), 5);
}

#[actix_web::test]
async fn suspect_submissions_wait_in_quarantine_for_an_admin() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 100).await;
    let sales = app.user("sales", None).await;
    let held = push(
        &app,
        &token,
        &json!({"name": "Real Person", "phone": "13155556666", "honeypot": "filled"}),
        None,
    )
    .await;
    let held = held.ok(202);
    assert_eq!(held["status"], "quarantined");
    let junk = push(
        &app,
        &token,
        &json!({"needs": "nothing to reach me by"}),
        None,
    )
    .await
    .ok(202);
    push(&app, &token, &json!({"phone": "13800138000"}), None)
        .await
        .ok(202);
    push(&app, &token, &json!({"email": "bot@mailinator.com"}), None)
        .await
        .ok(202);
    assert_eq!(app.count("leads"), 0);

    let list = app
        .get("/api/v1/intake/quarantine", &app.admin.token)
        .await
        .ok(200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0]["reasons"], json!(["honeypot"]));
    assert_eq!(items[0]["payload"]["phone"], "13155556666");
    assert_eq!(items[1]["reasons"], json!(["empty"]));
    assert_eq!(items[2]["reasons"], json!(["placeholder"]));
    assert_eq!(items[3]["reasons"], json!(["disposable_email"]));
    app.get("/api/v1/intake/quarantine", &sales.token)
        .await
        .problem(403, "forbidden");

    let id = held["quarantine_id"].as_str().unwrap();
    let accepted = app
        .post(
            &format!("/api/v1/intake/quarantine/{id}/accept"),
            &app.admin.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(accepted["status"], "accepted");
    let lead_id = accepted["lead_id"].as_str().unwrap();
    app.get(&format!("/api/v1/leads/{lead_id}"), &app.admin.token)
        .await
        .ok(200);
    app.post(
        &format!("/api/v1/intake/quarantine/{id}/accept"),
        &app.admin.token,
        &json!({}),
    )
    .await
    .problem(409, "quarantine_already_decided");
    let junk_id = junk["quarantine_id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/intake/quarantine/{junk_id}/accept"),
        &app.admin.token,
        &json!({}),
    )
    .await
    .problem(422, "validation_failed");
    let discarded = app
        .post(
            &format!("/api/v1/intake/quarantine/{junk_id}/discard"),
            &app.admin.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(discarded["status"], "discarded");
    let pending = app
        .get("/api/v1/intake/quarantine?status=pending", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(pending["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn only_live_source_tokens_may_push() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (id, token) = source(&app, 100).await;
    let body = json!({"phone": "13177778888"});
    app.send(
        "POST",
        "/api/v1/intake/leads",
        None,
        &[("Content-Type", "application/json")],
        Some(serde_json::to_vec(&body).unwrap()),
    )
    .await
    .problem(401, "missing_token");
    push(&app, &app.admin.token, &body, None)
        .await
        .problem(401, "invalid_token");
    push(&app, "lpi_not-a-real-token", &body, None)
        .await
        .problem(401, "invalid_token");
    let res = app
        .send(
            "DELETE",
            &format!("/api/v1/intake-sources/{id}"),
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    push(&app, &token, &body, None)
        .await
        .problem(401, "invalid_token");
}

#[actix_web::test]
async fn nothing_submitted_is_readable_at_rest() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (_, token) = source(&app, 100).await;
    let body = json!({"name": "吴敏", "phone": "13199990000", "email": "wumin@example.com", "wechat": "wumin_wx"});
    push(&app, &token, &body, Some("k1")).await.ok(201);
    push(
        &app,
        &token,
        &json!({"phone": "13199990000", "email": "wumin@example.com"}),
        Some("k2"),
    )
    .await
    .ok(200);
    push(
        &app,
        &token,
        &json!({"phone": "13199990001", "email": "wumin2@example.com", "honeypot": "x"}),
        None,
    )
    .await
    .ok(202);
    let all = app.dump_as_text(&[
        "lead_touches",
        "intake_quarantine",
        "idempotency_keys",
        "leads",
        "lead_events",
    ]);
    for secret in [
        "13199990000",
        "13199990001",
        "wumin@example.com",
        "wumin2@example.com",
        "wumin_wx",
    ] {
        assert!(
            !all.contains(secret),
            "{secret} is readable in the database"
        );
    }
}

#[actix_web::test]
async fn without_any_pool_intake_leads_are_held_not_lost() {
    let app = TestApp::spawn().await;
    let (_, token) = source(&app, 100).await;
    let held = push(
        &app,
        &token,
        &json!({"name": "周到", "phone": "13166667777"}),
        None,
    )
    .await
    .ok(202);
    let id = held["quarantine_id"].as_str().unwrap().to_string();
    let list = app
        .get("/api/v1/intake/quarantine", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(list["items"][0]["reasons"], json!(["no_pool"]));
    // Accepting before a pool exists is refused with the reason; after, the lead comes in.
    app.post(
        &format!("/api/v1/intake/quarantine/{id}/accept"),
        &app.admin.token,
        &json!({}),
    )
    .await
    .problem(422, "no_pool");
    app.pool("Default", true, &[], &[]).await;
    let accepted = app
        .post(
            &format!("/api/v1/intake/quarantine/{id}/accept"),
            &app.admin.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert!(accepted["lead_id"].is_string());
}

#[actix_web::test]
async fn a_key_taken_over_by_a_retry_fences_out_the_first_request() {
    use leadpool::clock::Clock;
    use leadpool::service::intake::{
        KeyState, begin_idempotent, finish_idempotent, hold_idempotent, request_hash,
    };
    let app = TestApp::spawn().await;
    let (source_id, _) = source(&app, 100).await;
    let source_id: uuid::Uuid = source_id.parse().unwrap();
    let vault = app.state.vault.clone();
    let body = json!({"phone": "13188889999"});
    let hash = request_hash(&vault, &body);
    let mut conn = app.pool.get().unwrap();
    let now = app.clock.now();
    let KeyState::Fresh(first) =
        begin_idempotent(&mut conn, &vault, source_id, "k", hash.clone(), now).unwrap()
    else {
        panic!("a new key is fresh");
    };
    // While the first is running, a retry is told to wait...
    assert!(begin_idempotent(&mut conn, &vault, source_id, "k", hash.clone(), now).is_err());
    // ...but once it looks abandoned, the retry takes the key over.
    let later = now + Duration::seconds(61);
    let KeyState::Fresh(second) =
        begin_idempotent(&mut conn, &vault, source_id, "k", hash.clone(), later).unwrap()
    else {
        panic!("an abandoned key is taken over");
    };
    assert_ne!(first, second);
    // The first request, still alive, can neither start its work nor record an answer.
    assert_eq!(
        hold_idempotent(&mut conn, source_id, "k", first)
            .unwrap_err()
            .code(),
        "idempotency_key_in_progress"
    );
    assert!(
        finish_idempotent(
            &mut conn,
            &vault,
            source_id,
            "k",
            first,
            201,
            &json!({"x": 1}),
            later
        )
        .is_err()
    );
    hold_idempotent(&mut conn, source_id, "k", second).unwrap();
    finish_idempotent(
        &mut conn,
        &vault,
        source_id,
        "k",
        second,
        201,
        &json!({"status": "created"}),
        later,
    )
    .unwrap();
    match begin_idempotent(&mut conn, &vault, source_id, "k", hash, later).unwrap() {
        KeyState::Replay { status, body } => {
            assert_eq!((status, body), (201, json!({"status": "created"})))
        }
        KeyState::Fresh(_) => panic!("a finished key replays"),
    }
}
