//! The OpenAPI document: served = committed, and complete enough for client generators.

use serde_json::Value;

use crate::common::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

#[actix_web::test]
async fn served_document_matches_the_committed_file() {
    let app = TestApp::spawn().await;
    let res = app.send("GET", "/openapi.json", None, &[], None).await;
    let served = res.ok(200);
    if std::env::var_os("LEADPOOL_UPDATE_OPENAPI").is_some() {
        std::fs::write(
            COMMITTED,
            serde_json::to_string_pretty(&served).unwrap() + "\n",
        )
        .unwrap();
    }
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(COMMITTED).expect("openapi/openapi.json exists"),
    )
    .expect("openapi/openapi.json is JSON");
    assert!(
        served == committed,
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json` and commit it"
    );
}

#[test]
fn the_cli_prints_the_same_document() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadpool"))
        .arg("openapi")
        .output()
        .expect("run leadpool openapi");
    assert!(out.status.success());
    let printed: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(
        printed,
        serde_json::to_value(leadpool::openapi_document()).unwrap()
    );
}

#[test]
fn every_operation_is_documented_for_clients() {
    let doc = serde_json::to_value(leadpool::openapi_document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: tags"
            );
            assert!(
                operation_ids.insert(op["operationId"].as_str().expect("operationId").to_string()),
                "{name}: unique operationId"
            );
            let responses = op["responses"].as_object().unwrap();
            for (status, response) in responses {
                assert!(
                    response["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{name} {status}: description"
                );
                if status.starts_with('4') || status.starts_with('5') && path.starts_with("/api") {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{name} {status}: problem+json"
                    );
                }
            }
            if path.starts_with("/api/v1")
                && path != "/api/v1/auth/login"
                && path != "/api/v1/auth/refresh"
            {
                let scheme = &op["security"][0];
                assert!(
                    scheme["bearer"] == serde_json::json!([])
                        || scheme["intake_token"] == serde_json::json!([]),
                    "{name}: bearer security"
                );
                assert!(responses.contains_key("401"), "{name}: documents 401");
            }
            // A path id that is not a UUID is answered 422 before the handler runs.
            let uuid_in_path = op["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["in"] == "path" && p["schema"]["format"] == "uuid")
            });
            if uuid_in_path {
                assert!(
                    responses.contains_key("422"),
                    "{name}: documents 422 for its id"
                );
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{name}: documents {status}");
                }
            }
        }
    }
}

/// OWASP API9 (inventory): every handler in the source is in the document, and every operation
/// of the document is served (none falls through to the unknown-route answer).
#[actix_web::test]
async fn every_route_served_is_in_the_document_and_back() {
    let doc = serde_json::to_value(leadpool::openapi_document()).unwrap();
    let documented: std::collections::BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect();
    // Handlers in the source: `#[get("/path")]` and friends (utoipa-actix-web mounts the ones in
    // `routes/` under /api/v1 except the operations endpoints).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
    let mut in_source = std::collections::BTreeSet::new();
    // Route files, in `routes/` and its resource folders (`routes/leads/list.rs`...).
    let mut files = Vec::new();
    let mut dirs = vec![dir.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("web::resource(") && !text.contains(".route("),
            "{}: routes are registered as documented handlers only",
            path.display()
        );
        for method in ["get", "post", "put", "patch", "delete"] {
            let marker = format!("#[{method}(\"");
            for piece in text.split(&marker).skip(1) {
                let route = piece.split('"').next().unwrap();
                let full = if path.ends_with("ops.rs") {
                    route.to_string()
                } else {
                    format!("/api/v1{route}")
                };
                in_source.insert(format!("{} {full}", method.to_uppercase()));
            }
        }
    }
    assert_eq!(in_source, documented, "handlers and documented operations");

    // Every documented operation is routed: unauthenticated, each answers something else than the
    // 404 of unknown paths (401 for most).
    let app = crate::common::TestApp::spawn_without_jobs().await;
    for op in &documented {
        let (method, path) = op.split_once(' ').unwrap();
        let path = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    "00000000-0000-0000-0000-000000000000"
                } else {
                    seg
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let res = app.send(method, &path, None, &[], None).await;
        assert_ne!(res.status, 404, "{op} is documented but not served");
    }
}
