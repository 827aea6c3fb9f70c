//! What every request meets first: its method checked, and API answers marked not to be stored.
//!
//! A known path asked with a method it does not take is answered 405 with `Allow` (see
//! [`Routes`]), a made-up method (`QUERY`, `FOOBAR`) included: no route takes one, and a 5xx
//! would say the server failed. A method outside RFC 9110's set is named `other` in the metrics
//! and the access log (so made-up methods cannot multiply the metrics' series); a path with a
//! control character (`%00`…) names nothing (404); HEAD is served by the GET route, without its
//! body.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError};

use crate::error::AppError;

/// The method's name for metrics and logs: a standard one as it is, anything else `other`.
pub fn label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// Middleware (for `actix_web::middleware::from_fn`): 404 for a control character in the path,
/// HEAD served as GET (the HTTP layer still knows the request was HEAD and sends no body).
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if has_control(req.path()) {
        // No resource has a control character in its name (and a NUL must not reach the
        // database as a text parameter).
        let res = AppError::NotFound.error_response();
        return Ok(req.into_response(res).map_into_right_body());
    }
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Middleware: every answer under `/api/` says `Cache-Control: no-store` (they carry customers'
/// data: revealed contacts, CSV exports), unless the handler chose otherwise.
pub async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let api = req.path().starts_with("/api/");
    let mut res = next.call(req).await?;
    if api && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// The paths of the API document, each with the methods it takes: what a 405 names in `Allow`.
#[derive(Debug, Default)]
pub struct Routes(Vec<(Vec<Option<String>>, Vec<Method>)>);

impl Routes {
    pub fn from_document(doc: &utoipa::openapi::OpenApi) -> Routes {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = segments(path)
                    .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                    .collect();
                let mut methods: Vec<Method> = [
                    (item.get.is_some(), Method::GET),
                    (item.get.is_some(), Method::HEAD),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(has, m)| has.then_some(m))
                .collect();
                methods.dedup();
                (segments, methods)
            })
            .collect();
        Routes(routes)
    }

    /// The methods `path` takes, when some documented path matches it.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let asked: Vec<&str> = segments(path).collect();
        let mut allowed: Vec<Method> = Vec::new();
        for (template, methods) in &self.0 {
            let matches = template.len() == asked.len()
                && template
                    .iter()
                    .zip(&asked)
                    .all(|(t, a)| t.as_deref().is_none_or(|t| t == *a));
            if matches {
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m.clone());
                    }
                }
            }
        }
        (!allowed.is_empty()).then_some(allowed)
    }

    /// What the app answers when no route took the request: 405 with `Allow` when the path is
    /// known, else 404.
    pub fn unmatched(&self, req: &HttpRequest) -> AppError {
        match self.allowed(req.path()) {
            Some(methods) => AppError::MethodNotAllowed {
                allow: methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            None => AppError::NotFound,
        }
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.trim_end_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
}

/// Whether a (percent-encoded) path carries a control character, `%00`–`%1F` or `%7F`.
pub fn has_control(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1].to_ascii_uppercase(), w[2].to_ascii_uppercase()),
                (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F')
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_encoded() {
        assert!(has_control("/api/v1/lead-fields/a%00b"));
        assert!(has_control("/x/%1f"));
        assert!(has_control("/x/%7F"));
        assert!(!has_control("/api/v1/lead-fields/a%20b"));
        assert!(!has_control("/api/v1/leads/%E5%AE%A2"));
    }

    #[test]
    fn labels_name_only_standard_methods() {
        assert_eq!(label(&Method::PATCH), "PATCH");
        assert_eq!(label(&Method::from_bytes(b"FOOBAR").unwrap()), "other");
    }
}

/// The client's address: the peer's, unless the peer is one of `trusted` proxies; then the
/// right-most address of `X-Forwarded-For` that is not a trusted proxy (each proxy appends the
/// address it saw, so entries left of the first untrusted one are the client's to write and
/// prove nothing). `None` when the peer is unknown.
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<std::net::IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<std::net::IpAddr> {
    hop.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

#[cfg(test)]
mod client_address_tests {
    use actix_web::test::TestRequest;

    use super::client_address;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn from(peer: &str, forwarded: Option<&str>, trusted: &[&str]) -> String {
        let mut req = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(value) = forwarded {
            req = req.insert_header(("X-Forwarded-For", value));
        }
        client_address(&req.to_http_request(), &nets(trusted))
            .unwrap()
            .to_string()
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        // No trusted proxy: the header is the client's to write.
        assert_eq!(
            from("203.0.113.9:4000", Some("1.1.1.1"), &[]),
            "203.0.113.9"
        );
        // From a trusted proxy: the right-most hop that is not a proxy.
        assert_eq!(
            from(
                "10.0.0.2:4000",
                Some("6.6.6.6, 198.51.100.4"),
                &["10.0.0.0/8"]
            ),
            "198.51.100.4"
        );
        assert_eq!(
            from(
                "10.0.0.2:4000",
                Some("6.6.6.6, 198.51.100.4:51000, 10.0.0.7"),
                &["10.0.0.0/8"]
            ),
            "198.51.100.4"
        );
        // A trusted proxy that forwarded nothing, or garbage: the proxy itself.
        assert_eq!(from("10.0.0.2:4000", None, &["10.0.0.0/8"]), "10.0.0.2");
        assert_eq!(
            from("10.0.0.2:4000", Some("not-an-ip"), &["10.0.0.0/8"]),
            "10.0.0.2"
        );
        // An untrusted peer's header is ignored even if it names a trusted proxy.
        assert_eq!(
            from("198.51.100.4:1", Some("10.0.0.9"), &["10.0.0.0/8"]),
            "198.51.100.4"
        );
    }
}
