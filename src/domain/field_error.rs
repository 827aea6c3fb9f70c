//! One field that failed validation: the unit of every 422 answer, built by domain checks and
//! request parsing alike (here, so the domain needs nothing of the HTTP layer).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::text_enum::text_enum;

text_enum! {
    /// Why a field was refused: `required`, `unknown_field`, `invalid_type`, `invalid_value`
    /// (not one of the allowed values), `invalid_format`, `invalid_length`, `out_of_range`,
    /// `invalid_character` (a control character), `blank`, `too_long`, `too_many`, `duplicate`
    /// (listed twice), `not_found` (names something that does not exist), `invalid_phone`,
    /// `no_contact` (none of phone, email, WeChat), `invalid_option` (not an option of the custom
    /// field), `not_allowed`, `not_in_future`, `weak_password`, `invalid_cursor`,
    /// `invalid_window`, `after_to` (a period's `from` after its `to`), `period_too_long`, `invalid_manager`, `empty_condition`, `unknown_tier`,
    /// and for imports `invalid_csv`, `invalid_encoding`, `no_contact_column`, `unknown_column`,
    /// `unknown_target`.
    FieldCode {
        Required = "required",
        UnknownField = "unknown_field",
        InvalidType = "invalid_type",
        InvalidValue = "invalid_value",
        InvalidFormat = "invalid_format",
        InvalidLength = "invalid_length",
        OutOfRange = "out_of_range",
        InvalidCharacter = "invalid_character",
        Blank = "blank",
        TooLong = "too_long",
        TooMany = "too_many",
        Duplicate = "duplicate",
        NotFound = "not_found",
        InvalidPhone = "invalid_phone",
        NoContact = "no_contact",
        InvalidOption = "invalid_option",
        NotAllowed = "not_allowed",
        NotInFuture = "not_in_future",
        WeakPassword = "weak_password",
        InvalidCursor = "invalid_cursor",
        InvalidWindow = "invalid_window",
        AfterTo = "after_to",
        PeriodTooLong = "period_too_long",
        InvalidManager = "invalid_manager",
        EmptyCondition = "empty_condition",
        UnknownTier = "unknown_tier",
        InvalidCsv = "invalid_csv",
        InvalidEncoding = "invalid_encoding",
        NoContactColumn = "no_contact_column",
        UnknownColumn = "unknown_column",
        UnknownTarget = "unknown_target",
    }
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The offending field, as a path into the request (`email`, `tiers[0].max_owned`, or a query
    /// or path parameter name).
    pub field: String,
    /// Stable snake_case reason.
    #[schema(value_type = FieldCode)]
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
        let code = code.into();
        // Every code the service answers is in the documented catalogue: a test run that builds
        // a field error with another code fails here.
        debug_assert!(
            code.parse::<FieldCode>().is_ok(),
            "field error code {code:?} is not in FieldCode"
        );
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}
