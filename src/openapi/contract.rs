//! The last pass over the generated document: what serde does but utoipa's derive cannot see.
//!
//! - **Required means present.** serde writes every field of an answer, `null` when empty, unless
//!   the field says otherwise; utoipa marks every `Option` field optional. In every schema an
//!   answer uses, each property is therefore made required, except those whose description says
//!   when they are omitted (the words `Omitted when`, on fields with `skip_serializing_if`).
//! - **Requests and answers split where they differ.** A schema used in both whose properties may
//!   be left out of a request (`#[serde(default)]`: `Rules`, `TierPolicy`, `RoutingCondition`)
//!   gets a request twin named `<Name>Input` that keeps them optional; answers keep the name and
//!   list every property as required.
//! - **Declared headers.** Every answer carries `X-Request-Id` (see `crate::request_id`).
//! - **Every failure documented.** Every operation lists the 500 `internal_error` answer.
//!
//! The pass works on the document's JSON form; the API tests check real answers against its result
//! (`tests/api/common/contract.rs`).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

/// The marker of a property an answer may leave out.
pub const OMITTED_WHEN: &str = "Omitted when";

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

/// Applies the pass, answering the document as JSON: the form `/openapi.json` serves (utoipa's
/// types cannot hold every schema written here, such as `{}` for any value).
pub fn finish(api: &OpenApi) -> Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    finish_json(&mut doc);
    doc
}

fn finish_json(doc: &mut Value) {
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let (requests, answers) = uses(doc, &schemas);
    let twins: BTreeSet<String> = requests
        .intersection(&answers)
        .filter(|name| has_optional(&schemas[name.as_str()]))
        .cloned()
        .collect();
    // Request twins, and request-side references moved to them.
    let mut new_schemas = schemas.clone();
    for name in &twins {
        let mut twin = schemas[name.as_str()].clone();
        retarget(&mut twin, &twins);
        new_schemas.insert(input_name(name), twin);
    }
    for name in requests.difference(&answers) {
        if let Some(schema) = new_schemas.get_mut(name) {
            retarget(schema, &twins);
        }
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(method) else {
                    continue;
                };
                if let Some(body) = op.get_mut("requestBody") {
                    retarget(body, &twins);
                }
                if let Some(params) = op.get_mut("parameters") {
                    retarget(params, &twins);
                }
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.entry("500").or_insert_with(internal_error);
                    for response in responses.values_mut() {
                        require_all(response);
                        declare_request_id(response);
                    }
                }
            }
        }
    }
    for name in &answers {
        if let Some(schema) = new_schemas.get_mut(name) {
            require_all(schema);
        }
    }
    doc["components"]["schemas"] = Value::Object(new_schemas);
}

fn input_name(name: &str) -> String {
    format!("{name}Input")
}

/// The schemas requests use and the schemas answers use, each with what they reference.
fn uses(doc: &Value, schemas: &Map<String, Value>) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut requests = BTreeSet::new();
    let mut answers = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            for method in METHODS {
                let Some(op) = item.get(method) else {
                    continue;
                };
                for part in ["requestBody", "parameters"] {
                    if let Some(v) = op.get(part) {
                        collect_refs(v, schemas, &mut requests);
                    }
                }
                if let Some(v) = op.get("responses") {
                    collect_refs(v, schemas, &mut answers);
                }
            }
        }
    }
    (requests, answers)
}

fn ref_name(value: &Value) -> Option<&str> {
    value
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

fn collect_refs(value: &Value, schemas: &Map<String, Value>, into: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = ref_name(value) {
                if into.insert(name.to_string()) {
                    if let Some(schema) = schemas.get(name) {
                        collect_refs(schema, schemas, into);
                    }
                }
            }
            for v in map.values() {
                collect_refs(v, schemas, into);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, schemas, into)),
        _ => {}
    }
}

/// Whether an object schema (or a schema it nests) has a property a request may leave out.
fn has_optional(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                let required: BTreeSet<&str> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if props.keys().any(|k| !required.contains(k.as_str())) {
                    return true;
                }
            }
            map.values().any(has_optional)
        }
        Value::Array(items) => items.iter().any(has_optional),
        _ => false,
    }
}

/// Points references to twinned schemas at their request twins.
fn retarget(value: &mut Value, twins: &BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                if let Some(name) = target.strip_prefix("#/components/schemas/") {
                    if twins.contains(name) {
                        *target = format!("#/components/schemas/{}", input_name(name));
                    }
                }
            }
            map.values_mut().for_each(|v| retarget(v, twins));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| retarget(v, twins)),
        _ => {}
    }
}

/// Marks every property of every object schema inside `value` required, unless its description
/// says when it is omitted. Stops at references (the referenced schema is handled on its own).
fn require_all(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(props) = map.get("properties").and_then(Value::as_object) {
                let required: Vec<Value> = props
                    .iter()
                    .filter(|(_, p)| !says_when_omitted(p))
                    .map(|(k, _)| Value::String(k.clone()))
                    .collect();
                if required.is_empty() {
                    map.remove("required");
                } else {
                    map.insert("required".into(), Value::Array(required));
                }
            }
            map.values_mut().for_each(require_all);
        }
        Value::Array(items) => items.iter_mut().for_each(require_all),
        _ => {}
    }
}

fn says_when_omitted(property: &Value) -> bool {
    property
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| d.contains(OMITTED_WHEN))
}

/// The answer of a failure inside the service, which any operation can give.
fn internal_error() -> Value {
    json!({
        "description": "`internal_error`: the service failed (logged with the request's id; \
                        the answer reveals nothing of it)",
        "content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}
        }}
    })
}

fn declare_request_id(response: &mut Value) {
    let Some(map) = response.as_object_mut() else {
        return;
    };
    let headers = map
        .entry("headers")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(headers) = headers.as_object_mut() {
        headers.entry("X-Request-Id").or_insert_with(|| {
            json!({
                "description": "The request's id: the caller's own `X-Request-Id` when it sent a \
                                sane one (1-128 characters of letters, digits, `-_.:`), else a new \
                                UUID. The service's log line of the request shows it.",
                "schema": {"type": "string"}
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_require_every_property_and_requests_get_twins() {
        let mut doc = json!({
            "paths": {"/x": {"put": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Both"}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}}}}
            }}},
            "components": {"schemas": {
                "Both": {"type": "object", "properties": {"a": {"type": ["integer", "null"]}}},
                "Answer": {"type": "object", "properties": {
                    "rules": {"$ref": "#/components/schemas/Both"},
                    "gone": {"type": "string", "description": "Omitted when empty."}
                }}
            }}
        });
        finish_json(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Both"]["required"], json!(["a"]));
        assert!(schemas["BothInput"].get("required").is_none());
        assert_eq!(schemas["Answer"]["required"], json!(["rules"]));
        let body = &doc["paths"]["/x"]["put"]["requestBody"]["content"]["application/json"];
        assert_eq!(body["schema"]["$ref"], "#/components/schemas/BothInput");
        let headers = &doc["paths"]["/x"]["put"]["responses"]["200"]["headers"];
        assert!(headers["X-Request-Id"].is_object());
    }

    #[test]
    fn the_served_document_is_finished() {
        let doc = crate::openapi_document();
        let lead = &doc["components"]["schemas"]["LeadResponse"];
        let required = lead["required"].as_array().unwrap();
        for name in lead["properties"].as_object().unwrap().keys() {
            assert!(
                required.contains(&json!(name)),
                "LeadResponse.{name} is not required"
            );
        }
        assert!(doc["components"]["schemas"]["RulesInput"].is_object());
    }
}
