//! Use cases, one file per resource (a folder with one file per action for the larger ones).
//! A function runs inside the caller's transaction unless its documentation says it runs its own
//! (`claims::claim`: one statement, or its own locking transaction when a quota counts;
//! `claims::take_next_lead`; `intake::receive`, which takes the pool and runs the
//! `Idempotency-Key` protocol's transactions); it takes parsed inputs and `now`, enforces the rules
//! and the caller's data scope, and returns rows (listings: a page and its next cursor); services
//! never know actix. Routes reach the database only through services.

pub mod audit;
pub mod auth;
pub mod bulk;
pub mod claims;
pub mod imports;
pub mod intake;
pub mod keys;
pub mod lead_fields;
pub mod leads;
pub mod lifecycle;
pub mod pools;
pub mod reports;
pub mod routing;
pub mod rules;
pub mod teams;
pub mod users;
