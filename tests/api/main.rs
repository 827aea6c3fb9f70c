//! Black-box API tests: the real app, over HTTP, against a real Postgres database per test.

mod common;

mod auth;
mod errors;
mod openapi;
mod ops;
mod startup;
mod teams;
mod users;
