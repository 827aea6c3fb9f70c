//! Pure types and rules: no I/O, no HTTP, no SQL. Values here are valid by construction.

pub mod approval;
pub mod claim;
pub mod custom_field;
pub mod eligibility;
pub mod email;
pub mod error_code;
pub mod event;
pub mod field_error;
pub mod follow_up;
pub mod hand_over;
pub mod import;
pub mod lead;
pub mod leave;
pub mod mask;
pub mod page;
pub mod password;
pub mod period;
pub mod phone;
pub mod recycle;
pub mod role;
pub mod rotation;
pub mod routing;
pub mod rules;
pub mod suspicion;
pub mod text;
pub mod text_enum;
