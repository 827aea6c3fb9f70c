//! The test harness: every test gets its own database, cloned from a migrated template, and the
//! real app served on 127.0.0.1:0, driven over HTTP.
//!
//! `config`: the test settings; `db`: each test's database, cloned from the template; `app`: the
//! served app and its fixtures; `http`: requests and responses. All of it is re-exported here.

mod app;
mod config;
mod contract;
mod db;
mod http;

pub use self::app::*;
pub use self::config::*;
pub use self::db::*;
pub use self::http::*;
