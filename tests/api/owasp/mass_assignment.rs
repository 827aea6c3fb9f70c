//! API3: mass assignment refused on every request body of the document.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Access, access_of, call, document, operations, resolve};
use crate::common::TestApp;

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
