//! HTTP routes, one file per resource, or a folder with one file per action for the larger ones
//! (`leads/`, `claims/`, `lifecycle/`, `intake/`, `reports/`): extract → validate → a service
//! call, in a transaction unless the service says otherwise (a named claim runs its own
//! statements, see `service::claims::claim`) → response DTO. Handlers are registered through
//! utoipa-actix-web, so routing and the OpenAPI document come from the same place.

pub mod audit;
pub mod auth;
pub mod claims;
pub mod csv;
pub mod extract;
pub mod hand_overs;
pub mod imports;
pub mod intake;
pub mod lead_fields;
pub mod leads;
pub mod lifecycle;
pub mod ops;
pub mod pools;
pub mod reports;
pub mod responses;
pub mod rules;
pub mod rules_explain;
pub mod shape;
pub mod sweeps;
pub mod teams;
pub mod users;

use validator::ValidationError;

use crate::domain::email::Email;
use crate::domain::page::{Cursor, Limit};
use crate::domain::password::check_policy;
use crate::error::AppError;
use utoipa_actix_web::service_config::ServiceConfig;

/// Routes under `/api/v1`.
pub fn configure_api(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    users::configure(cfg);
    hand_overs::configure(cfg);
    teams::configure(cfg);
    pools::configure(cfg);
    rules::configure(cfg);
    // Before the first `/leads/{id}/...` route (see `configure_bulk`).
    leads::configure_bulk(cfg);
    claims::configure(cfg);
    lead_fields::configure(cfg);
    leads::configure(cfg);
    lifecycle::configure(cfg);
    sweeps::configure(cfg);
    intake::configure(cfg);
    imports::configure(cfg);
    reports::configure(cfg);
    audit::configure(cfg);
}

/// Declares a named page type of a keyset-paginated list (named, so that the OpenAPI document
/// references the item schema instead of inlining it).
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("One page of ", stringify!($item), " items, in keyset order.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }
    };
}
pub(crate) use page_type;

/// Declares a list that is answered whole (it is short by nature: field definitions, intake
/// sources, an agenda), shaped as a page so clients read every list alike.
macro_rules! whole_list_type {
    ($name:ident, $item:ty) => {
        #[doc = concat!("Every ", stringify!($item), " item, in one answer.")]
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Always `null`: the list is answered whole.
            pub next_cursor: Option<String>,
        }

        impl From<Vec<$item>> for $name {
            fn from(items: Vec<$item>) -> Self {
                Self {
                    items,
                    next_cursor: None,
                }
            }
        }
    };
}
pub(crate) use whole_list_type;

/// `true`: the serde default of a flag that is on unless the body turns it off.
pub fn yes() -> bool {
    true
}

/// Deserialises an optional field that must not be `null` when present (absent leaves the value
/// alone; `null` is a 422): use with `#[serde(default, deserialize_with = "not_null")]`.
pub fn not_null<'de, T, D>(deserializer: D) -> Result<Option<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Deserialises a field that may be absent (leave alone), `null` (clear) or a value (set) into
/// `Option<Option<T>>`: use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

// Custom `validator` checks, so that every field error of a body is reported in one answer.

fn invalid(
    code: &'static str,
    message: impl Into<std::borrow::Cow<'static, str>>,
) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

/// A text that must have something besides white space and invisible characters.
pub fn non_blank(text: &str) -> Result<(), ValidationError> {
    if crate::domain::text::single_line(text).is_empty() {
        Err(invalid("blank", "must not be empty or only white space"))
    } else {
        Ok(())
    }
}

/// An email address (see [`Email::parse`]).
pub fn email_address(text: &str) -> Result<(), ValidationError> {
    Email::parse(text)
        .map(|_| ())
        .map_err(|_| invalid("invalid_format", "is not a valid email address"))
}

/// A new password that meets the policy.
pub fn password_policy(text: &str) -> Result<(), ValidationError> {
    check_policy(text).map_err(|message| invalid("weak_password", message))
}

/// Parses the paging parameters every list takes.
pub fn page_params(
    limit: Option<i64>,
    cursor: Option<&str>,
) -> Result<(Limit, Option<Cursor>), AppError> {
    let limit = Limit::parse(limit).map_err(|m| AppError::validation("limit", "out_of_range", m));
    let cursor = cursor
        .map(Cursor::decode)
        .transpose()
        .map_err(|m| AppError::validation("cursor", "invalid_cursor", m));
    Ok((limit?, cursor?))
}
