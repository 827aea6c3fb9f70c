//! Error answers that many operations share, declared once for the OpenAPI document (an
//! operation lists them in its `responses(...)` beside its own).

#![allow(dead_code)] // The types only describe answers; `AppError` builds the real ones.

use utoipa::IntoResponses;

use crate::error::Problem;

/// 401: no access token, or one that is not (or no longer) valid.
#[derive(IntoResponses)]
#[response(
    status = 401,
    description = "Missing or invalid access token",
    content_type = "application/problem+json"
)]
pub struct Unauthenticated(Problem);

/// 503: the database cannot be reached right now.
#[derive(IntoResponses)]
#[response(
    status = 503,
    description = "The database is unavailable",
    content_type = "application/problem+json",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))
)]
pub struct Unavailable(Problem);

/// 400, 413 and 415: a JSON body refused before it is read as the operation's request.
#[derive(IntoResponses)]
pub enum JsonBodyRefused {
    #[response(
        status = 400,
        description = "The body is not JSON (`malformed_body`)",
        content_type = "application/problem+json"
    )]
    Malformed(Problem),
    #[response(
        status = 413,
        description = "The body is too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "The body is not application/json",
        content_type = "application/problem+json"
    )]
    NotJson(Problem),
}
