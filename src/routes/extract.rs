//! Request extractors that answer problem+json: a JSON body, a query string, and the error handlers
//! for actix's own extractors.
//!
//! Malformed JSON is 400 `malformed_body`; JSON of the wrong shape (unknown field, missing field,
//! wrong type) and failed `validator` checks are 422 `validation_failed` with the field's path.

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::AppState;
use crate::error::{AppError, FieldError};

/// Fallback body limit when the app state is not registered (unit tests).
const DEFAULT_BODY_LIMIT: usize = 1 << 20;
/// Fallback client timeout when the app state is not registered (unit tests).
const DEFAULT_CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// 408 for a body that did not arrive within `deadline`.
pub fn timed_out(deadline: std::time::Duration) -> AppError {
    AppError::RequestTimeout {
        secs: deadline.as_secs().max(1),
    }
}

/// A JSON request body, deserialised strictly and validated.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let limit = state.map_or(DEFAULT_BODY_LIMIT, |state| state.config.max_body_bytes);
        let deadline = state.map_or(DEFAULT_CLIENT_TIMEOUT, |state| state.config.client_timeout);
        let is_json = matches!(
            actix_web::HttpMessage::mime_type(req),
            Ok(Some(mime)) if mime.subtype() == actix_web::mime::JSON || mime.suffix() == Some(actix_web::mime::JSON)
        );
        let declared_length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType);
            }
            if declared_length.is_some_and(|n| n > limit) {
                return Err(AppError::PayloadTooLarge { limit });
            }
            let read = async {
                let mut body = Vec::with_capacity(declared_length.unwrap_or(0).min(limit));
                while let Some(chunk) = payload.next().await {
                    let chunk = chunk.map_err(|e| {
                        AppError::MalformedBody(format!("could not read the body: {e}"))
                    })?;
                    if body.len() + chunk.len() > limit {
                        return Err(AppError::PayloadTooLarge { limit });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(body)
            };
            // A JSON body is at most `limit` bytes: it arrives in whole within the deadline, or
            // the connection is given up (a client trickling bytes holds nothing for long).
            let body = actix_web::rt::time::timeout(deadline, read)
                .await
                .map_err(|_| timed_out(deadline))??;
            parse_json(&body).map(JsonBody)
        })
    }
}

/// PostgreSQL text cannot hold U+0000, so no request may carry it.
fn nul_refused() -> AppError {
    AppError::validation(
        "body",
        "invalid_character",
        "text must not contain the NUL character (U+0000)",
    )
}

/// True when a JSON text has a `\u0000` escape (a raw NUL byte is already a JSON syntax error).
fn has_escaped_nul(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice())
            {
                return true;
            }
            i += 2; // skip the escaped character, so `\\u0000` (a literal backslash) is not matched
        } else {
            i += 1;
        }
    }
    false
}

/// Deserialises and validates a JSON document.
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, AppError> {
    // Syntax first: serde_json reports some wrong types (e.g. a number for an enum) as syntax
    // errors, so only a document that is not JSON at all is "malformed".
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| AppError::MalformedBody(format!("the body is not valid JSON: {e}")))?;
    if has_escaped_nul(bytes) {
        return Err(nul_refused());
    }
    // Every request body is an object; serde would otherwise read a struct from an array too.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(AppError::validation(
            "body",
            "invalid_type",
            "the body must be a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        // Wrong in shape: find the other bad fields too (see `shape`).
        super::shape::all_errors::<T>(bytes, field_error(&path, &err.into_inner().to_string()))
    })?;
    value.validate().map_err(validation_error)?;
    Ok(value)
}

/// A query string, deserialised strictly (unknown parameters are refused) and validated.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T> QueryParams<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for QueryParams<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(QueryParams))
    }
}

/// Refuses a query string with a NUL character in any name or value (PostgreSQL text cannot hold
/// it). Used by `parse_query`, and by handlers that read parameters `parse_query` does not see.
pub fn refuse_nul_in_query(query: &str) -> Result<(), AppError> {
    if form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(AppError::validation(
            "query",
            "invalid_character",
            "parameters must not contain the NUL character",
        ));
    }
    Ok(())
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, AppError> {
    refuse_nul_in_query(query)?;
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        AppError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
    })?;
    value.validate().map_err(validation_error)?;
    Ok(value)
}

/// Turns a serde message and the path where it happened into a field error.
pub(crate) fn field_error(path: &str, message: &str) -> FieldError {
    // serde_json appends " at line L column C"; the field path says where already.
    let message = message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
        .to_string();
    let path = if path == "." { "" } else { path };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    let join = |name: String| {
        if path.is_empty() || path == name || path.ends_with(&format!(".{name}")) {
            if path.is_empty() {
                name
            } else {
                path.to_string()
            }
        } else {
            format!("{path}.{name}")
        }
    };
    let (field, code) = if let Some(name) = named("unknown field `") {
        (join(name), "unknown_field")
    } else if let Some(name) = named("missing field `") {
        (join(name), "required")
    } else if message.starts_with("invalid type") {
        (path.to_string(), "invalid_type")
    } else {
        (path.to_string(), "invalid_value")
    };
    let field = if field.is_empty() {
        "body".to_string()
    } else {
        field
    };
    FieldError::new(field, code, message)
}

/// Flattens `validator`'s errors into field errors with stable codes.
pub fn validation_error(errors: ValidationErrors) -> AppError {
    AppError::Validation(validation_errors(errors))
}

/// `validator`'s errors as field errors, sorted by field.
pub(crate) fn validation_errors(errors: ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(&errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let code = match error.code.as_ref() {
                        "length" => "invalid_length",
                        "range" => "out_of_range",
                        "email" => "invalid_format",
                        other => other,
                    };
                    let message = error
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| describe(code, &error.params));
                    out.push(FieldError::new(path.clone(), code, message));
                }
            }
            ValidationErrorsKind::Struct(nested) => collect(nested, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, nested) in items {
                    collect(nested, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn describe(
    code: &str,
    params: &std::collections::HashMap<std::borrow::Cow<'static, str>, serde_json::Value>,
) -> String {
    let bound = |name: &str| params.get(name).map(|v| v.to_string());
    match (code, bound("min"), bound("max")) {
        ("invalid_length", Some(min), Some(max)) => {
            format!("must be {min} to {max} characters long")
        }
        ("invalid_length", Some(min), None) => format!("must be at least {min} characters long"),
        ("invalid_length", None, Some(max)) => format!("must be at most {max} characters long"),
        ("out_of_range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("invalid_format", _, _) => "is not in a valid format".to_string(),
        _ => "is not valid".to_string(),
    }
}

/// Error handler for `web::Json` (should a route use it): problem+json like [`JsonBody`].
pub fn json_config_error(err: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let app = match err {
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            AppError::PayloadTooLarge { limit }
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            AppError::Validation(vec![field_error("", &e.to_string())])
        }
        other => AppError::MalformedBody(other.to_string()),
    };
    app.into()
}

/// Error handler for `web::Query`: 422 naming the parameter.
pub fn query_config_error(err: QueryPayloadError, _: &HttpRequest) -> actix_web::Error {
    AppError::Validation(vec![field_error("query", &err.to_string())]).into()
}

/// Error handler for `web::Path`: a malformed id in the path is 422 naming the parameter.
pub fn path_config_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    let field = req
        .match_info()
        .iter()
        .next()
        .map_or_else(|| "path".to_string(), |(name, _)| name.to_string());
    let message = match err {
        PathError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    AppError::Validation(vec![FieldError::new(field, "invalid_format", message)]).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[allow(dead_code)]
        kind: Option<crate::domain::role::Role>,
        #[allow(dead_code)]
        nested: Option<Nested>,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Nested {
        #[allow(dead_code)]
        count: u32,
    }

    fn fields(err: AppError) -> Vec<(String, String)> {
        match err {
            AppError::Validation(list) => list.into_iter().map(|e| (e.field, e.code)).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed() {
        assert!(matches!(
            parse_json::<Sample>(b"{\"name\": "),
            Err(AppError::MalformedBody(_))
        ));
        assert!(matches!(
            parse_json::<Sample>(br#"{"name":"a"} {}"#),
            Err(AppError::MalformedBody(_))
        ));
    }

    #[test]
    fn shape_errors_name_the_field() {
        let err = parse_json::<Sample>(br#"{"name":"a","owner_id":"x"}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("owner_id".to_string(), "unknown_field".to_string())]
        );
        let err = parse_json::<Sample>(br#"{}"#).unwrap_err();
        assert_eq!(fields(err), [("name".to_string(), "required".to_string())]);
        // serde would read a struct from an array; a body is an object.
        let err = parse_json::<Sample>(br#" ["a", null]"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("body".to_string(), "invalid_type".to_string())]
        );
        let err = parse_json::<Sample>(br#"{"name":"a","nested":{"count":"x"}}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("nested.count".to_string(), "invalid_type".to_string())]
        );
        let err = parse_json::<Sample>(br#"{"name":"a","nested":{"extra":1}}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [
                ("nested.count".to_string(), "required".to_string()),
                ("nested.extra".to_string(), "unknown_field".to_string())
            ]
        );
        let err = parse_json::<Sample>(br#"{"name":"a","nested":null,"kind":5}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("kind".to_string(), "invalid_value".to_string())]
        );
    }

    #[test]
    fn nul_characters_are_refused_but_escaped_backslashes_are_not() {
        let err = parse_json::<Sample>(br#"{"name":"a\u0000"}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("body".to_string(), "invalid_character".to_string())]
        );
        assert!(
            !has_escaped_nul(br#"{"name":"\\u0000"}"#),
            "a literal backslash followed by u0000"
        );
        assert!(has_escaped_nul(br#"{"name":"\\\u0000"}"#));
        let err = parse_query::<Q>("limit=1&x=%00").unwrap_err();
        assert_eq!(fields(err)[0].1, "invalid_character");
    }

    #[test]
    fn every_bad_field_is_named_in_one_answer() {
        let err = parse_json::<Sample>(
            br#"{"name":"toolong","kind":"emperor","nested":{"count":"x","extra":1},"owner_id":1}"#,
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                ("kind".to_string(), "invalid_value".to_string()),
                ("name".to_string(), "invalid_length".to_string()),
                ("nested.count".to_string(), "invalid_type".to_string()),
                ("nested.extra".to_string(), "unknown_field".to_string()),
                ("owner_id".to_string(), "unknown_field".to_string()),
            ]
        );
        // A missing field is reported once, not again by the check run on its stand-in.
        let err = parse_json::<Sample>(br#"{"kind":"emperor"}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [
                ("kind".to_string(), "invalid_value".to_string()),
                ("name".to_string(), "required".to_string()),
            ]
        );
    }

    #[test]
    fn validator_errors_have_stable_codes() {
        let err = parse_json::<Sample>(br#"{"name":"toolong"}"#).unwrap_err();
        assert_eq!(
            fields(err),
            [("name".to_string(), "invalid_length".to_string())]
        );
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Q {
        #[allow(dead_code)]
        limit: Option<i64>,
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert!(parse_query::<Q>("limit=5").is_ok());
        let err = parse_query::<Q>("limit=many").unwrap_err();
        assert_eq!(fields(err)[0].0, "limit");
        let err = parse_query::<Q>("limt=5").unwrap_err();
        assert_eq!(
            fields(err),
            [("limt".to_string(), "unknown_field".to_string())]
        );
    }
}
