//! Requests to the served app, and its responses read completely.

use std::collections::HashMap;

use serde_json::Value;

use super::app::TestApp;

/// A response, read completely.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts a problem+json answer with this status and code, and returns the body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert_eq!(body["type"], format!("urn:leadpool:problem:{code}"));
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
        body
    }

    /// Every problem+json answer any test receives carries a code of the catalogue: the enum of
    /// `ErrorCode` in the committed OpenAPI document (which the drift test keeps equal to the
    /// served one); a 429 or 503 one carries `Retry-After`.
    #[track_caller]
    fn check_code_is_catalogued(&self) {
        static CATALOGUE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        // (A HEAD answer has the headers of a problem but no body.)
        if self.header("content-type") != Some("application/problem+json") || self.body.is_empty() {
            return;
        }
        let catalogue = CATALOGUE.get_or_init(|| {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
            let document: Value =
                serde_json::from_slice(&std::fs::read(path).expect("openapi/openapi.json"))
                    .expect("the OpenAPI document is JSON");
            document["components"]["schemas"]["ErrorCode"]["enum"]
                .as_array()
                .expect("ErrorCode lists its codes")
                .iter()
                .map(|c| c.as_str().expect("a code is text").to_string())
                .collect()
        });
        let body = self.json();
        let code = body["code"].as_str().unwrap_or_default();
        assert!(
            catalogue.iter().any(|c| c == code),
            "problem code {code:?} is not in the catalogue (ErrorCode): {body}"
        );
        // As the document declares: every 429 and 503 problem says when to retry.
        if self.status == 429 || self.status == 503 {
            assert!(
                self.header("retry-after")
                    .is_some_and(|v| v.parse::<u64>().is_ok()),
                "a {} without Retry-After: {body}",
                self.status
            );
        }
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()
    }
}

impl TestApp {
    /// Sends a request with optional bearer token, extra headers and raw body.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        let method_name = method;
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            req = req.insert_header(("Authorization", format!("Bearer {token}")));
        }
        for (name, value) in headers {
            req = req.insert_header((*name, *value));
        }
        let mut res = match body {
            Some(body) => req.send_body(body).await,
            None => req.send().await,
        }
        .expect("request failed");
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = res
            .body()
            .limit(64 << 20)
            .await
            .expect("read body")
            .to_vec();
        let response = Response {
            status,
            headers,
            body,
        };
        response.check_code_is_catalogued();
        let mismatches = super::contract::check(
            method_name,
            path,
            response.status,
            |name| response.header(name),
            &response.body,
        );
        if let Ok(log) = std::env::var("LEADPOOL_CONTRACT_LOG") {
            // Survey mode: collect every mismatch of a whole run instead of stopping at the first.
            use std::io::Write;
            if !mismatches.is_empty() {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(log)
                    .expect("contract log");
                for m in &mismatches {
                    let _ = writeln!(f, "{m}");
                }
            }
            return response;
        }
        assert!(
            mismatches.is_empty(),
            "the answer does not match the OpenAPI document:\n{}\nbody: {}",
            mismatches.join("\n"),
            String::from_utf8_lossy(&response.body)
        );
        response
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send("GET", path, Some(token), &[], None).await
    }

    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        self.send(
            method,
            path,
            token,
            &[("Content-Type", "application/json")],
            Some(serde_json::to_vec(body).unwrap()),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.json("POST", path, Some(token), body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.json("PATCH", path, Some(token), body).await
    }
}
