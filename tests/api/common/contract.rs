//! Every answer a test receives is checked against the committed OpenAPI document (which the drift
//! test keeps equal to the served one): its status is listed for the operation, its media type is
//! declared, and a JSON body matches the schema — every required property present, types and enums
//! as declared, and no property the schema does not require unless the schema says when it is
//! omitted (`Omitted when` in the property's description); `X-Request-Id` on every answer,
//! `Retry-After` on every 429 and 503 and `Content-Disposition` on every CSV are carried and
//! declared.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use leadpool::openapi::OMITTED_WHEN;

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
        serde_json::from_slice(&std::fs::read(path).expect("openapi/openapi.json"))
            .expect("the OpenAPI document is JSON")
    })
}

/// The documented path template a request path falls under: the one with the most literal
/// segments among those that match.
fn template(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    document()["paths"]
        .as_object()?
        .keys()
        .filter_map(|t| {
            let parts: Vec<&str> = t.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in parts.iter().zip(&segments) {
                if p.starts_with('{') && p.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if p == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, t.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// Checks one answer; returns what does not match the document.
pub fn check<'h>(
    method: &str,
    path: &str,
    status: u16,
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
) -> Vec<String> {
    let content_type = header("content-type");
    let Some(template) = template(path) else {
        return Vec::new(); // not a documented path (404s of made-up paths, /docs, /openapi.json)
    };
    let method = if method == "HEAD" { "get" } else { method };
    let Some(op) = document()["paths"][template].get(method.to_ascii_lowercase()) else {
        return Vec::new(); // a method the path does not take: 405, checked by the edge tests
    };
    let where_ = format!("{method} {template} -> {status}");
    let responses = &op["responses"];
    let Some(response) = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
    else {
        return vec![format!("{where_}: status not documented")];
    };
    let media = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    // `Accept: text/csv` on a list or report answers what its `.csv` operation documents.
    let response = match response["content"].get(media) {
        None if media == "text/csv" && status == 200 => {
            &document()["paths"][format!("{template}.csv")]["get"]["responses"]["200"]
        }
        _ => response,
    };
    // The headers the answer must carry are declared, and carried.
    let mut must = vec!["X-Request-Id"];
    if status == 429 || status == 503 {
        must.push("Retry-After");
    }
    if media == "text/csv" && status == 200 {
        must.push("Content-Disposition");
    }
    let mut errors = Vec::new();
    for name in must {
        if header(&name.to_ascii_lowercase()).is_none() {
            errors.push(format!("{where_}: no {name} header"));
        }
        if response["headers"].get(name).is_none() {
            errors.push(format!("{where_}: the {name} header is not declared"));
        }
    }
    if body.is_empty() {
        return errors;
    }
    let Some(declared) = response["content"].get(media) else {
        errors.push(format!("{where_}: media type {media:?} not declared"));
        return errors;
    };
    if !media.ends_with("json") {
        return errors;
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        errors.push(format!("{where_}: body is not JSON"));
        return errors;
    };
    let mut found = Vec::new();
    matches(&value, &declared["schema"], "$", &mut found);
    errors.extend(found.into_iter().map(|e| format!("{where_}: {e}")));
    errors
}

fn resolve(schema: &Value) -> &Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(&document()["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(value: &Value, ty: &str) -> bool {
    match ty {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// Whether `value` matches `schema`; what does not is added to `errors` (with its JSON path).
fn matches(value: &Value, schema: &Value, at: &str, errors: &mut Vec<String>) -> bool {
    let schema = resolve(schema);
    let before = errors.len();
    for (key, one_must) in [("oneOf", true), ("anyOf", true)] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits = options.iter().any(|o| {
                let mut scratch = Vec::new();
                matches(value, o, at, &mut scratch)
            });
            if one_must && !fits {
                errors.push(format!("{at}: {value} matches none of {key}"));
            }
        }
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        if let Some(object) = value.as_object() {
            // A flattened struct: the object holds the properties of every part together.
            object_matches(object, &merged(all), at, errors);
        } else {
            for s in all {
                matches(value, s, at, errors);
            }
        }
    }
    match schema.get("type") {
        Some(Value::String(ty)) if !type_matches(value, ty) => {
            errors.push(format!("{at}: {value} is not of type {ty}"));
            return false;
        }
        Some(Value::Array(types))
            if !types
                .iter()
                .any(|t| t.as_str().is_some_and(|t| type_matches(value, t))) =>
        {
            errors.push(format!("{at}: {value} is not of types {types:?}"));
            return false;
        }
        _ => {}
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !value.is_null() && !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not in the enum"));
        }
    }
    if let Some(object) = value.as_object() {
        object_matches(object, schema, at, errors);
    }
    if let (Some(items), Some(schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            matches(item, schema, &format!("{at}[{i}]"), errors);
        }
    }
    errors.len() == before
}

/// One object schema holding the properties and required names of every part of an `allOf`.
fn merged(parts: &[Value]) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for part in parts {
        let part = resolve(part);
        let part = match part.get("allOf").and_then(Value::as_array) {
            Some(inner) => merged(inner),
            None => part.clone(),
        };
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.clone());
        }
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required.extend(r.iter().cloned());
        }
    }
    serde_json::json!({ "type": "object", "properties": properties, "required": required })
}

fn object_matches(object: &Map<String, Value>, schema: &Value, at: &str, errors: &mut Vec<String>) {
    let properties = schema.get("properties").and_then(Value::as_object);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in &required {
        if !object.contains_key(*name) {
            errors.push(format!("{at}: required property {name:?} missing"));
        }
    }
    let composed = ["oneOf", "anyOf", "allOf"]
        .iter()
        .any(|k| schema.get(*k).is_some());
    for (name, value) in object {
        let here = format!("{at}.{name}");
        match properties.and_then(|p| p.get(name)) {
            Some(property) => {
                if !required.contains(&name.as_str())
                    && !property
                        .get("description")
                        .or_else(|| resolve(property).get("description"))
                        .and_then(Value::as_str)
                        .is_some_and(|d| d.contains(OMITTED_WHEN))
                {
                    errors.push(format!(
                        "{here}: present but not required, and its schema does not say when it is omitted"
                    ));
                }
                matches(value, property, &here, errors);
            }
            None => match schema.get("additionalProperties") {
                Some(Value::Bool(false)) => errors.push(format!("{here}: not allowed")),
                Some(extra @ Value::Object(_)) => {
                    matches(value, extra, &here, errors);
                }
                Some(_) => {}
                None if properties.is_some() && !composed => {
                    errors.push(format!("{here}: not in the schema"))
                }
                None => {}
            },
        }
    }
}
