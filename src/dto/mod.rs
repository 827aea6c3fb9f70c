//! Answer and query types that more than one route module shows (a type only one route module
//! uses stays beside its handlers). Built from rows and the vault; no business rules here.

pub mod lead;
pub mod shapes;

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

/// Paging of a list that takes no filter.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}
