//! Pure types and rules: no I/O, no HTTP, no SQL. Values here are valid by construction.

pub mod custom_field;
pub mod email;
pub mod lead;
pub mod leave;
pub mod page;
pub mod password;
pub mod phone;
pub mod role;
pub mod routing;
pub mod suspicion;
pub mod text;
