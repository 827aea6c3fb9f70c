//! Pure types and rules: no I/O, no HTTP, no SQL. Values here are valid by construction.

pub mod email;
pub mod leave;
pub mod page;
pub mod password;
pub mod role;
