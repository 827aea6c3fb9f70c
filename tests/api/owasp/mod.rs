//! OWASP API Security Top 10 (2023), generated from the OpenAPI document: object-level (API1) and
//! function-level (API5) authorization matrices over every operation, mass assignment (API3) over
//! every request body, and per-person claim rate limits against a script that tries to take a
//! whole pool (API4, API6).
//! Here: the access table and the machinery that calls any operation of the document.

mod function_level;
mod mass_assignment;
mod object_level;
mod rate_limits;

use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::common::{Response, TestApp};

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
    ("POST /api/v1/users/{id}/hand-over", Access::Manager),
    ("GET /api/v1/hand-overs/{id}", Access::Manager),
    ("GET /api/v1/teams", Access::Admin),
    ("POST /api/v1/teams", Access::Admin),
    ("GET /api/v1/teams/{id}", Access::Admin),
    ("PATCH /api/v1/teams/{id}", Access::Admin),
    ("GET /api/v1/pools", Access::Signed),
    ("POST /api/v1/pools", Access::Admin),
    ("GET /api/v1/pools/{id}", Access::Signed),
    ("PATCH /api/v1/pools/{id}", Access::Admin),
    ("GET /api/v1/pools/{id}/rules", Access::Signed),
    ("GET /api/v1/pools/{id}/rules/explain", Access::Signed),
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
    ("GET /api/v1/claims.csv", Access::Signed),
    ("GET /api/v1/claim-decisions", Access::Signed),
    ("GET /api/v1/claim-decisions/{id}", Access::Signed),
    ("GET /api/v1/lead-fields", Access::Signed),
    ("POST /api/v1/lead-fields", Access::Admin),
    ("DELETE /api/v1/lead-fields/{key}", Access::Admin),
    ("PATCH /api/v1/lead-fields/{key}", Access::Admin),
    ("GET /api/v1/leads", Access::Signed),
    ("GET /api/v1/leads.csv", Access::Signed),
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
    ("POST /api/v1/leads/bulk/assign", Access::Manager),
    ("POST /api/v1/leads/bulk/transfer", Access::Signed),
    ("POST /api/v1/leads/bulk/release", Access::Signed),
    ("POST /api/v1/leads/bulk/close", Access::Manager),
    ("POST /api/v1/leads/bulk/update", Access::Signed),
    ("POST /api/v1/leads/{id}/reopen", Access::Manager),
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
    ("GET /api/v1/imports", Access::Signed),
    ("GET /api/v1/imports/{id}", Access::Signed),
    ("GET /api/v1/imports/{id}/rejected", Access::Signed),
    ("GET /api/v1/reports/conversion", Access::Signed),
    ("GET /api/v1/reports/conversion.csv", Access::Signed),
    ("GET /api/v1/reports/salespeople", Access::Signed),
    ("GET /api/v1/reports/salespeople.csv", Access::Signed),
    ("GET /api/v1/reports/pool-health", Access::Manager),
    ("GET /api/v1/reports/pool-health.csv", Access::Manager),
    ("GET /api/v1/reports/follow-up-timing", Access::Signed),
    ("GET /api/v1/reports/follow-up-timing.csv", Access::Signed),
    ("GET /api/v1/reports/funnel", Access::Signed),
    ("GET /api/v1/reports/funnel.csv", Access::Signed),
    ("GET /api/v1/audit", Access::Admin),
    ("GET /api/v1/audit.csv", Access::Admin),
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
