//! One field that failed validation: the unit of every 422 answer, built by domain checks and
//! request parsing alike (here, so the domain needs nothing of the HTTP layer).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The offending field, as a path into the request (`email`, `tiers[0].max_owned`, or a query
    /// or path parameter name).
    pub field: String,
    /// Stable snake_case reason, e.g. `required`, `unknown_field`, `invalid_format`, `out_of_range`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}
