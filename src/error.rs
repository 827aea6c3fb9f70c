//! One error type for the whole service, answered as RFC 9457 problem details with a stable `code`.
//!
//! Database errors are mapped here in one place; a 500 is logged with its cause and answered
//! without it.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// The most field errors one problem lists (`error_count` gives them all).
pub const MAX_LISTED_ERRORS: usize = 50;

/// Seconds a client should wait before retrying while the database is unavailable.
const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

pub use crate::domain::error_code::ErrorCode;
pub use crate::domain::field_error::FieldError;

/// RFC 9457 problem details: every error this service answers has this shape.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:leadpool:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// Stable snake_case error code clients can rely on, e.g. `lead_already_claimed`.
    pub code: ErrorCode,
    /// Field-level errors (for `validation_failed`): the first 50, sorted by field. Omitted when
    /// the problem is not about fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For `validation_failed`: how many field errors there were in all (more than `errors`
    /// lists when over 50). Omitted when `errors` is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_count: Option<usize>,
    /// For `duplicate_lead`: the lead this one duplicates. Omitted when the code is another or
    /// the caller may not read that lead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_lead_id: Option<uuid::Uuid>,
    /// For a refused claim, `next-lead` or assignment: the stored decision
    /// (`GET /api/v1/claim-decisions/{id}`). Omitted when the problem is not such a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_id: Option<uuid::Uuid>,
    /// For a refused claim, `next-lead` or assignment: the candidates considered and why each
    /// was skipped. Omitted when the problem is not such a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<crate::domain::eligibility::Candidate>>)]
    pub explanation: Option<serde_json::Value>,
}

/// Everything that can go wrong in a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body is not JSON at all (400 `malformed_body`).
    #[error("{0}")]
    MalformedBody(String),
    /// Well-formed input that breaks the contract (422 `validation_failed`).
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    /// Missing or bad credentials (401).
    #[error("{detail}")]
    Unauthorized { code: ErrorCode, detail: String },
    /// Authenticated but not allowed (403 `forbidden`).
    #[error("your role may not do this")]
    Forbidden,
    /// A browser page from an origin not in `LEADPOOL_CORS_ORIGINS` asked to call the API (403
    /// `origin_not_allowed`).
    #[error(
        "this origin may not call the API from a browser; ask an admin to add it to LEADPOOL_CORS_ORIGINS"
    )]
    OriginNotAllowed,
    /// Not there, or not for this caller's eyes (404 `not_found`).
    #[error("no such resource")]
    NotFound,
    /// Conflicts with the current state (409), with a specific code.
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String },
    /// The lead already exists as an open lead (409 `duplicate_lead`).
    #[error("{detail}")]
    DuplicateLead {
        detail: String,
        existing_lead_id: Option<uuid::Uuid>,
    },
    /// A business rule refuses the request (422), with a specific code.
    #[error("{detail}")]
    Rule { code: ErrorCode, detail: String },
    /// A claim, `next-lead` or assignment was refused (409 or 422) and the decision, with every
    /// candidate's reasons, was stored.
    #[error("{detail}")]
    Refused {
        conflict: bool,
        code: ErrorCode,
        detail: String,
        decision_id: uuid::Uuid,
        explanation: serde_json::Value,
    },
    /// The path is known but does not take this method (405 `method_not_allowed`, with `Allow`).
    #[error("this path does not take this method; it takes {allow}")]
    MethodNotAllowed { allow: String },
    /// The body is larger than the configured limit (413).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// The client did not send the whole body in time (408; the connection is closed).
    #[error("the request body did not arrive within {secs} seconds")]
    RequestTimeout { secs: u64 },
    /// The body is not JSON by its content type (415).
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// Too many requests for now (429 with Retry-After).
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// The database refused this transaction because of a concurrent one (deadlock, serialization
    /// failure): nothing was written; retry (503 `retry_later` with Retry-After).
    #[error("a concurrent change got in the way; nothing was stored, retry")]
    Contention,
    /// The database cannot be reached right now (503 with Retry-After).
    #[error("the database is unavailable; retry shortly")]
    Unavailable,
    /// A bug or an unexpected failure (500); the cause is logged, never answered.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn validation(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::MalformedBody(_) => ErrorCode::MalformedBody,
            AppError::Validation(_) => ErrorCode::ValidationFailed,
            AppError::Unauthorized { code, .. } => *code,
            AppError::Forbidden => ErrorCode::Forbidden,
            AppError::OriginNotAllowed => ErrorCode::OriginNotAllowed,
            AppError::NotFound => ErrorCode::NotFound,
            AppError::Conflict { code, .. } => *code,
            AppError::DuplicateLead { .. } => ErrorCode::DuplicateLead,
            AppError::Rule { code, .. } => *code,
            AppError::Refused { code, .. } => *code,
            AppError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            AppError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            AppError::RequestTimeout { .. } => ErrorCode::RequestTimeout,
            AppError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            AppError::TooManyRequests { .. } => ErrorCode::RateLimited,
            AppError::Contention => ErrorCode::RetryLater,
            AppError::Unavailable => ErrorCode::ServiceUnavailable,
            AppError::Internal(_) => ErrorCode::InternalError,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            AppError::MalformedBody(_) => "Malformed request body",
            AppError::Validation(_) => "Validation failed",
            AppError::Unauthorized { .. } => "Unauthorized",
            AppError::Forbidden | AppError::OriginNotAllowed => "Forbidden",
            AppError::NotFound => "Not found",
            AppError::Conflict { .. } | AppError::DuplicateLead { .. } => "Conflict",
            AppError::Rule { .. } => "Refused by a rule",
            AppError::Refused { conflict: true, .. } => "Conflict",
            AppError::Refused { .. } => "Refused by a rule",
            AppError::MethodNotAllowed { .. } => "Method not allowed",
            AppError::PayloadTooLarge { .. } => "Payload too large",
            AppError::RequestTimeout { .. } => "Request timeout",
            AppError::UnsupportedMediaType => "Unsupported media type",
            AppError::TooManyRequests { .. } => "Too many requests",
            AppError::Contention => "Retry later",
            AppError::Unavailable => "Service unavailable",
            AppError::Internal(_) => "Internal server error",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let detail = match self {
            // Never leak the cause of a 500.
            AppError::Internal(_) => "an unexpected error occurred; it has been logged".to_string(),
            AppError::Validation(errors) if errors.len() == 1 => {
                format!("{}: {}", errors[0].field, errors[0].message)
            }
            AppError::Validation(errors) => format!("{} fields are not valid", errors.len()),
            other => other.to_string(),
        };
        Problem {
            type_: format!("urn:leadpool:problem:{}", self.code()),
            title: self.title().to_string(),
            status: self.status_code().as_u16(),
            detail,
            code: self.code(),
            errors: match self {
                AppError::Validation(errors) => {
                    Some(errors.iter().take(MAX_LISTED_ERRORS).cloned().collect())
                }
                _ => None,
            },
            error_count: match self {
                AppError::Validation(errors) => Some(errors.len()),
                _ => None,
            },
            existing_lead_id: match self {
                AppError::DuplicateLead {
                    existing_lead_id, ..
                } => *existing_lead_id,
                _ => None,
            },
            decision_id: match self {
                AppError::Refused { decision_id, .. } => Some(*decision_id),
                _ => None,
            },
            explanation: match self {
                AppError::Refused { explanation, .. } => Some(explanation.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::MalformedBody(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) | AppError::Rule { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Refused { conflict: true, .. } => StatusCode::CONFLICT,
            AppError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::OriginNotAllowed => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } | AppError::DuplicateLead { .. } => StatusCode::CONFLICT,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable | AppError::Contention => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => log::error!("internal error: {cause}"),
            AppError::Unavailable => log::warn!("answering 503: database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        ));
        match self {
            AppError::Unauthorized { .. } => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            AppError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER_SECS));
            }
            AppError::Contention => {
                response.insert_header((header::RETRY_AFTER, 1));
            }
            AppError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, (*retry_after_secs).max(1)));
            }
            AppError::RequestTimeout { .. } => {
                // The rest of the body may still come: the connection cannot be reused.
                response.force_close();
            }
            _ => {}
        }
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::Unavailable
            }
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                // Services map the constraints they expect to specific codes; this is the fallback.
                log::info!(
                    "unmapped unique violation: {}",
                    info.constraint_name().unwrap_or("?")
                );
                AppError::Conflict {
                    code: ErrorCode::Conflict,
                    detail: "this conflicts with an existing record".into(),
                }
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Contention
            }
            DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
                if info.message().contains("deadlock detected") =>
            {
                log::info!("deadlock: {}", info.message());
                AppError::Contention
            }
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        log::warn!("no database connection: {err}");
        AppError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::Internal(format!("blocking task failed: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_opaque() {
        let problem = AppError::internal("relation \"users\" does not exist").to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("relation"));
        assert_eq!(problem.code, ErrorCode::InternalError);
    }

    #[test]
    fn validation_carries_field_errors() {
        let problem =
            AppError::validation("email", "invalid_format", "not an email address").to_problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.type_, "urn:leadpool:problem:validation_failed");
        assert_eq!(problem.errors.unwrap()[0].field, "email");
    }
}
