//! Black-box API tests: the real app, over HTTP, against a real Postgres database per test.

mod common;

mod audit;
mod auth;
mod claims;
mod departments;
mod errors;
mod hardening;
mod imports;
mod intake;
mod lead_fields;
mod leads;
mod lifecycle;
mod limits;
mod metrics;
mod openapi;
mod ops;
mod owasp;
mod pools;
mod prepared;
mod projection;
mod reports;
mod revocation;
mod rotation;
mod rules;
mod scaling;
mod schema;
mod security;
mod startup;
mod sweeps;
mod teams;
mod users;
