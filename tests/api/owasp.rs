//! OWASP API Security Top 10 (2023), generated from the OpenAPI document: object-level (API1) and
//! function-level (API5) authorization matrices over every operation, mass assignment (API3) over
//! every request body, and per-person claim rate limits against a script that tries to take a
//! whole pool (API4, API6).

use std::collections::BTreeSet;

use leadpool::clock::Clock;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::common::{Response, TestApp, TestUser};

/// Who may call an operation at all (function level).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// No token needed.
    Public,
    /// Any signed-in person (what they reach is then scoped to them).
    Signed,
    /// Managers and admins.
    Manager,
    /// Admins only.
    Admin,
    /// An intake source's token.
    Intake,
}

/// Every operation of the document and who may call it. The test fails when an operation is
/// added without a line here.
const ACCESS: &[(&str, Access)] = &[
    ("GET /healthz", Access::Public),
    ("GET /readyz", Access::Public),
    // Open unless LEADPOOL_METRICS_TOKEN is set (tests/api/metrics.rs).
    ("GET /metrics", Access::Public),
    ("POST /api/v1/auth/login", Access::Public),
    ("POST /api/v1/auth/refresh", Access::Public),
    ("POST /api/v1/auth/logout", Access::Signed),
    ("POST /api/v1/auth/logout-everywhere", Access::Signed),
    ("GET /api/v1/me", Access::Signed),
    ("GET /api/v1/users", Access::Manager),
    ("POST /api/v1/users", Access::Admin),
    ("GET /api/v1/users/{id}", Access::Manager),
    ("PATCH /api/v1/users/{id}", Access::Admin),
    ("POST /api/v1/users/{id}/sign-out", Access::Admin),
    ("GET /api/v1/teams", Access::Admin),
    ("POST /api/v1/teams", Access::Admin),
    ("GET /api/v1/teams/{id}", Access::Admin),
    ("PATCH /api/v1/teams/{id}", Access::Admin),
    ("GET /api/v1/pools", Access::Signed),
    ("POST /api/v1/pools", Access::Admin),
    ("GET /api/v1/pools/{id}", Access::Signed),
    ("PATCH /api/v1/pools/{id}", Access::Admin),
    ("GET /api/v1/pools/{id}/rules", Access::Signed),
    ("PUT /api/v1/pools/{id}/rules", Access::Admin),
    ("GET /api/v1/pools/{id}/rules/versions", Access::Admin),
    ("POST /api/v1/pools/{id}/rules/preview", Access::Admin),
    ("GET /api/v1/tier-policy", Access::Admin),
    ("PUT /api/v1/tier-policy", Access::Admin),
    ("POST /api/v1/tier-policy/recompute", Access::Admin),
    ("GET /api/v1/pools/{id}/leads", Access::Signed),
    ("POST /api/v1/pools/{id}/next-lead", Access::Signed),
    ("POST /api/v1/pools/{id}/distribute", Access::Manager),
    ("POST /api/v1/leads/{id}/claim", Access::Signed),
    ("POST /api/v1/leads/{id}/assign", Access::Manager),
    ("GET /api/v1/claims", Access::Signed),
    ("GET /api/v1/claim-decisions", Access::Signed),
    ("GET /api/v1/claim-decisions/{id}", Access::Signed),
    ("GET /api/v1/lead-fields", Access::Signed),
    ("POST /api/v1/lead-fields", Access::Admin),
    ("DELETE /api/v1/lead-fields/{key}", Access::Admin),
    ("PATCH /api/v1/lead-fields/{key}", Access::Admin),
    ("GET /api/v1/leads", Access::Signed),
    ("POST /api/v1/leads", Access::Signed),
    ("GET /api/v1/leads/{id}", Access::Signed),
    ("PATCH /api/v1/leads/{id}", Access::Signed),
    ("GET /api/v1/leads/{id}/timeline", Access::Signed),
    ("GET /api/v1/leads/{id}/follow-ups", Access::Signed),
    ("POST /api/v1/leads/{id}/follow-ups", Access::Signed),
    ("GET /api/v1/follow-ups", Access::Signed),
    ("POST /api/v1/leads/{id}/release", Access::Signed),
    ("POST /api/v1/leads/{id}/transfer", Access::Signed),
    ("POST /api/v1/leads/{id}/close", Access::Manager),
    ("GET /api/v1/approvals", Access::Signed),
    ("GET /api/v1/approvals/{id}", Access::Signed),
    ("POST /api/v1/approvals/{id}/approve", Access::Manager),
    ("POST /api/v1/approvals/{id}/reject", Access::Manager),
    ("POST /api/v1/approvals/{id}/cancel", Access::Signed),
    ("GET /api/v1/agenda", Access::Signed),
    ("GET /api/v1/notifications", Access::Signed),
    ("POST /api/v1/notifications/{id}/read", Access::Signed),
    ("POST /api/v1/admin/sweep", Access::Admin),
    ("GET /api/v1/admin/sweeps/{id}", Access::Admin),
    ("POST /api/v1/intake/leads", Access::Intake),
    ("GET /api/v1/intake-sources", Access::Admin),
    ("POST /api/v1/intake-sources", Access::Admin),
    ("DELETE /api/v1/intake-sources/{id}", Access::Admin),
    ("GET /api/v1/intake/quarantine", Access::Admin),
    ("POST /api/v1/intake/quarantine/{id}/accept", Access::Admin),
    ("POST /api/v1/intake/quarantine/{id}/discard", Access::Admin),
    ("POST /api/v1/imports", Access::Manager),
    ("GET /api/v1/imports/{id}", Access::Signed),
    ("GET /api/v1/imports/{id}/rejected", Access::Signed),
    ("GET /api/v1/reports/conversion", Access::Signed),
    ("GET /api/v1/reports/salespeople", Access::Signed),
    ("GET /api/v1/reports/pool-health", Access::Manager),
    ("GET /api/v1/reports/follow-up-timing", Access::Signed),
    ("GET /api/v1/audit", Access::Admin),
];

/// One operation of the document.
struct Operation {
    method: String,
    path: String,
    /// The JSON request body's schema, if it takes one.
    body: Option<Value>,
    multipart: bool,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

fn document() -> Value {
    serde_json::to_value(leadpool::openapi_document()).unwrap()
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let content = &op["requestBody"]["content"];
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                body: content.get("application/json").map(|c| c["schema"].clone()),
                multipart: content.get("multipart/form-data").is_some(),
            });
        }
    }
    out
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The simplest value a schema accepts: for an object, its required properties only.
fn example(doc: &Value, schema: &Value) -> Value {
    let schema = resolve(doc, schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return values[0].clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let chosen = alternatives
                .iter()
                .find(|a| resolve(doc, a).get("type") != Some(&json!("null")))
                .unwrap_or(&alternatives[0]);
            return example(doc, chosen);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "string".into(),
    };
    match kind.as_str() {
        "object" => {
            let mut out = Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap();
                out.insert(name.into(), example(doc, &schema["properties"][name]));
            }
            Value::Object(out)
        }
        "array" => {
            let n = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array((0..n).map(|_| example(doc, &schema["items"])).collect())
        }
        "integer" | "number" => {
            let low = schema["minimum"].as_i64().unwrap_or(1).max(1);
            json!(low.min(schema["maximum"].as_i64().unwrap_or(i64::MAX)))
        }
        "boolean" => json!(false),
        "null" => Value::Null,
        _ => match schema["format"].as_str() {
            Some("uuid") => json!(Uuid::now_v7()),
            Some("email") => json!(format!("someone-{}@example.com", Uuid::now_v7().simple())),
            Some("date-time") => json!("2030-01-01T00:00:00Z"),
            Some("date") => json!("2030-01-01"),
            _ => json!("x".repeat(schema["minLength"].as_u64().unwrap_or(1).max(1) as usize)),
        },
    }
}

/// Calls an operation with its path parameters filled in (`ids`: the value for `{id}` and
/// `{key}`), and the example body, with `extra` merged into it.
async fn call(
    app: &TestApp,
    doc: &Value,
    op: &Operation,
    token: Option<&str>,
    id: &str,
    extra: &Map<String, Value>,
) -> Response {
    let path = op.path.replace("{id}", id).replace("{key}", id);
    if op.multipart {
        let csv = "姓名,手机\n张三,13800001234\n";
        return crate::imports::upload(app, token.unwrap_or(""), csv.as_bytes(), &[], true).await;
    }
    match &op.body {
        Some(schema) => {
            let mut body = if op.path == "/api/v1/intake/leads" {
                // One lead (the example of the first alternative would be a batch).
                json!({"name": "张三", "phone": "13800001234"})
            } else {
                example(doc, schema)
            };
            if let Some(object) = body.as_object_mut() {
                object.extend(extra.clone());
            }
            app.json(&op.method, &path, token, &body).await
        }
        None => app.send(&op.method, &path, token, &[], None).await,
    }
}

fn code(res: &Response) -> (u16, String) {
    let code = serde_json::from_slice::<Value>(&res.body)
        .ok()
        .and_then(|b| b["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (res.status, code)
}

fn access_of(op: &Operation) -> Access {
    let name = op.name();
    ACCESS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("{name} has no line in ACCESS"))
        .1
}

/// API5: the table covers the document exactly, and every admin operation refuses managers and
/// salespeople (every manager operation, salespeople) with 403 before looking at anything else.
#[actix_web::test]
async fn function_level_matrix_every_restricted_operation_refuses_lower_roles() {
    let app = TestApp::spawn_without_jobs().await;
    let doc = document();
    let ops = operations(&doc);
    let documented: BTreeSet<String> = ops.iter().map(Operation::name).collect();
    let listed: BTreeSet<String> = ACCESS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(documented, listed, "ACCESS and the document differ");

    let manager = app.user("manager", None).await;
    let sales = app.user("sales", None).await;
    let mut checked = 0;
    let mut failures = Vec::new();
    for op in &ops {
        let lower: Vec<&TestUser> = match access_of(op) {
            Access::Admin => vec![&manager, &sales],
            Access::Manager => vec![&sales],
            Access::Intake => vec![&app.admin, &manager, &sales],
            Access::Public | Access::Signed => continue,
        };
        for user in lower {
            let res = call(
                &app,
                &doc,
                op,
                Some(&user.token),
                &Uuid::now_v7().to_string(),
                &Map::new(),
            )
            .await;
            let expected = if access_of(op) == Access::Intake {
                (401, "invalid_token".to_string())
            } else {
                (403, "forbidden".to_string())
            };
            if code(&res) != expected {
                failures.push(format!(
                    "{} as {}: {} {}",
                    op.name(),
                    user.email,
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} checks");
}

/// API3: no request body takes a field its operation does not document. Ownership, state,
/// timestamps, roles and ids sent where they do not belong are refused with 422 naming the field
/// (`unknown_field`), on every operation that takes a JSON body.
#[actix_web::test]
async fn mass_assignment_is_refused_on_every_request_body() {
    let app = TestApp::spawn_without_jobs().await;
    let doc = document();
    let source = app
        .post(
            "/api/v1/intake-sources",
            &app.admin.token,
            &json!({"name": "Form", "channel": "website"}),
        )
        .await
        .ok(201)["token"]
        .as_str()
        .unwrap()
        .to_string();
    const FORBIDDEN: &[&str] = &[
        "owner_id",
        "state",
        "recycle_at",
        "role",
        "id",
        "created_at",
        "created_by",
        "updated_at",
        "password_hash",
        "token_hash",
        "rules_version",
        "is_admin",
    ];
    let mut checked = 0;
    let mut failures = Vec::new();
    for op in operations(&doc).iter().filter(|op| op.body.is_some()) {
        let schema = resolve(&doc, op.body.as_ref().unwrap());
        let documented: BTreeSet<String> = schema["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let token = if access_of(op) == Access::Intake {
            source.clone()
        } else {
            app.admin.token.clone()
        };
        for field in FORBIDDEN.iter().filter(|f| !documented.contains(**f)) {
            let mut extra = Map::new();
            extra.insert(field.to_string(), json!("2030-01-01T00:00:00Z"));
            let res = call(
                &app,
                &doc,
                op,
                Some(&token),
                &Uuid::now_v7().to_string(),
                &extra,
            )
            .await;
            let body: Value = serde_json::from_slice(&res.body).unwrap_or_default();
            let named = body["errors"].as_array().into_iter().flatten().any(|e| {
                e["field"].as_str().unwrap_or("").ends_with(field) && e["code"] == "unknown_field"
            });
            if res.status != 422 || !named {
                failures.push(format!("{} with {field}: {} {body}", op.name(), res.status));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 200, "only {checked} checks");
}

/// API1: for every operation that takes an id, a salesperson reaching for a colleague's or
/// another team's object, and a manager for another team's, gets exactly the answer a made-up id
/// gets (404, or 403 where the role may not call the operation at all): nothing tells that the
/// object exists. The owner and their manager do reach the same objects (the matrix is not empty
/// because everything is refused).
#[actix_web::test]
async fn object_level_matrix_nobody_reaches_anothers_objects() {
    let app = TestApp::spawn_without_jobs().await;
    let doc = document();
    let manager1 = app.user("manager", None).await;
    let team1 = app.team("East", Some(manager1.id)).await;
    let owner = app.user("sales", Some(team1)).await;
    let colleague = app.user("sales", Some(team1)).await;
    let manager2 = app.user("manager", None).await;
    let team2 = app.team("West", Some(manager2.id)).await;
    let stranger = app.user("sales", Some(team2)).await;
    let pool1 = app.pool("East pool", true, &[team1], &[]).await;
    app.pool("West pool", false, &[team2], &[]).await;

    // The owner's objects: a lead with a follow-up, its claim decision, a pending release, a
    // rejected transfer (which leaves them a notification), and an import by their manager.
    let lead = app
        .lead(pool1, json!({"name": "王五", "phone": "13700000001"}))
        .await;
    let second = app.lead(pool1, json!({"phone": "13700000002"})).await;
    let claimed = app
        .post(
            &format!("/api/v1/leads/{lead}/claim"),
            &owner.token,
            &json!({}),
        )
        .await
        .ok(200);
    let decision = claimed["decision_id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/leads/{second}/claim"),
        &owner.token,
        &json!({}),
    )
    .await
    .ok(200);
    app.post(
        &format!("/api/v1/leads/{lead}/follow-ups"),
        &owner.token,
        &json!({"type": "call", "content": "聊了需求"}),
    )
    .await
    .ok(201);
    let release = app
        .post(
            &format!("/api/v1/leads/{lead}/release"),
            &owner.token,
            &json!({"reason_code": "no_need"}),
        )
        .await
        .ok(202);
    let approval = release["approval"]["id"].as_str().unwrap().to_string();
    let transfer = app
        .post(
            &format!("/api/v1/leads/{second}/transfer"),
            &owner.token,
            &json!({"to_user_id": colleague.id}),
        )
        .await
        .ok(202);
    let transfer_id = transfer["approval"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/approvals/{transfer_id}/reject"),
        &manager1.token,
        &json!({"comment": "no"}),
    )
    .await
    .ok(200);
    let notes = app.get("/api/v1/notifications", &owner.token).await.ok(200);
    let notification = notes["items"][0]["id"].as_str().unwrap().to_string();
    let import = crate::imports::upload(
        &app,
        &manager1.token,
        "姓名,手机\n赵六,13700000003\n".as_bytes(),
        &[],
        true,
    )
    .await
    .ok(202)["id"]
        .as_str()
        .unwrap()
        .to_string();

    let sweep = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Which object each family of paths is about, and who legitimately reads it.
    let object_of = |path: &str| -> Option<(String, &TestUser)> {
        let rest = path.strip_prefix("/api/v1/")?;
        let family = rest.split('/').next()?;
        Some(match family {
            "leads" => (lead.to_string(), &owner),
            "approvals" => (approval.clone(), &owner),
            "claim-decisions" => (decision.clone(), &owner),
            "notifications" => (notification.clone(), &owner),
            "imports" => (import.clone(), &manager1),
            "users" => (owner.id.to_string(), &manager1),
            "pools" => (pool1.to_string(), &owner),
            "teams" => (team1.to_string(), &app.admin),
            "lead-fields" => ("budget".to_string(), &app.admin),
            "intake-sources" | "intake" => (Uuid::now_v7().to_string(), &app.admin),
            "admin" => (sweep.clone(), &app.admin),
            _ => return None,
        })
    };
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "budget", "label": "Budget", "type": "number"}),
    )
    .await
    .ok(201);

    let mut checked = 0;
    let mut failures = Vec::new();
    let ops = operations(&doc);
    for op in ops.iter().filter(|op| op.path.contains('{')) {
        let (object, reader) = object_of(&op.path)
            .unwrap_or_else(|| panic!("{}: which object is this about?", op.name()));
        // Pool members share their pool: the colleague is one of them, and may try to claim its
        // leads (and learn that someone was quicker: 409).
        let outsiders: Vec<&TestUser> =
            if op.path.starts_with("/api/v1/pools/") || op.path.ends_with("/claim") {
                vec![&stranger, &manager2]
            } else {
                vec![&colleague, &stranger, &manager2]
            };
        let made_up = if op.path.contains("{key}") {
            "no_such_field".to_string()
        } else {
            Uuid::now_v7().to_string()
        };
        let mut extra = Map::new();
        if op.path.ends_with("/transfer") {
            extra.insert("to_user_id".into(), json!(colleague.id));
        }
        if op.path.ends_with("/assign") {
            extra.insert("user_id".into(), json!(colleague.id));
        }
        if op.path.ends_with("/release") {
            extra.insert("reason_code".into(), json!("no_need"));
        }
        for outsider in outsiders {
            let theirs = call(&app, &doc, op, Some(&outsider.token), &object, &extra).await;
            let nobodys = call(&app, &doc, op, Some(&outsider.token), &made_up, &extra).await;
            let (status, code_of_theirs) = code(&theirs);
            if (status, code_of_theirs.clone()) != code(&nobodys)
                || !(status == 404 || status == 403)
            {
                failures.push(format!(
                    "{} as {}: {} {} (a made-up id: {:?})",
                    op.name(),
                    outsider.email,
                    status,
                    String::from_utf8_lossy(&theirs.body),
                    code(&nobodys)
                ));
            }
            checked += 1;
        }
        // The legitimate reader gets through on reads.
        let reader = match access_of(op) {
            Access::Admin => &app.admin,
            Access::Manager if reader.id == owner.id => &manager1,
            _ => reader,
        };
        if op.method == "GET" {
            let res = call(&app, &doc, op, Some(&reader.token), &object, &Map::new()).await;
            if res.status != 200 {
                failures.push(format!(
                    "{} as its reader: {} {}",
                    op.name(),
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 80, "only {checked} checks");
}

/// API4 and API6: a script claiming a whole pool as fast as it can is stopped by the per-person
/// claim rate (429 with Retry-After, counted across attempts that fail too) and by the quotas;
/// the next minute it may try again, and it never holds more than its quota.
#[actix_web::test]
async fn a_script_claiming_a_whole_pool_is_stopped_by_rate_and_quota() {
    // The production default (the other tests claim in bursts with a high limit).
    let mut app =
        TestApp::spawn_with_settings(&[("LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE", "30")]).await;
    let team = app.team("Bots", None).await;
    let bot = app.user("sales", Some(team)).await;
    let pool = app.pool("Big pool", true, &[team], &[]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"max_owned_per_user": 40, "max_claims_per_day": 1000}),
    )
    .await
    .ok(200);
    let mut leads = Vec::new();
    for i in 0..70 {
        leads.push(
            app.lead(pool, json!({"phone": format!("1360000{i:04}")}))
                .await,
        );
    }
    // Land at the start of a minute, so the whole burst falls in one window.
    let now = app.clock.now();
    let next_minute = now + chrono::Duration::seconds(60 - now.timestamp() % 60);
    app.travel_to(next_minute);

    let limit = app.state.config.claim_attempts_per_minute as usize;
    assert_eq!(limit, 30);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for lead in &leads {
        let res = app
            .post(
                &format!("/api/v1/leads/{lead}/claim"),
                &bot.token,
                &json!({}),
            )
            .await;
        if res.status == 429 {
            retry_after = res.header("retry-after").map(str::to_string);
            res.problem(429, "rate_limited");
        }
        statuses.push(res.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        limit,
        "{statuses:?}"
    );
    assert!(statuses[limit..].iter().all(|s| *s == 429), "{statuses:?}");
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // Next-lead counts against the same limit.
    app.post(
        &format!("/api/v1/pools/{pool}/next-lead"),
        &bot.token,
        &json!({}),
    )
    .await
    .problem(429, "rate_limited");

    // Each following minute the bot may go on, until the quota stops it for good.
    let mut held = limit;
    let mut next = limit;
    let mut refusals = Vec::new();
    for round in 1..4 {
        app.travel_to(next_minute + chrono::Duration::minutes(round));
        while next < leads.len() {
            let lead = leads[next];
            let res = app
                .post(
                    &format!("/api/v1/leads/{lead}/claim"),
                    &bot.token,
                    &json!({}),
                )
                .await;
            match res.status {
                200 => {
                    held += 1;
                    next += 1;
                }
                429 => break,
                _ => {
                    refusals.push(code(&res));
                    next += 1;
                }
            }
        }
    }
    assert_eq!(held, 40, "the quota caps what the script holds");
    assert!(!refusals.is_empty());
    assert!(
        refusals
            .iter()
            .all(|r| *r == (422, "claim_quota_exceeded".to_string())),
        "{refusals:?}"
    );
    let mine = app
        .get("/api/v1/leads?state=owned&limit=200", &bot.token)
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 40);
}
