//! The import worker: takes queued (or abandoned) imports and processes them chunk by chunk.
//!
//! Several instances may run it: an import is claimed with `FOR UPDATE SKIP LOCKED` and a lease,
//! and each chunk is locked and marked done in the transaction that writes its rows, so every row
//! is imported exactly once. A worker that dies leaves its lease to expire; the next one resumes at
//! the first unfinished chunk.

use std::collections::HashMap;

use actix_web::web;

use crate::AppState;
use crate::db::transaction_blocking;
use crate::error::{AppError, ErrorCode};
use crate::service::imports;

/// Runs forever, looking for work every `job_interval`.
pub async fn run(state: AppState) {
    loop {
        let worker = state.clone();
        match web::block(move || run_once(&worker)).await {
            Ok(Ok(true)) => continue, // there may be more
            Ok(Ok(false)) => {}
            Ok(Err(AppError::Unavailable)) => {
                log::warn!("import worker: database unavailable; retrying")
            }
            Ok(Err(AppError::Contention)) => {
                log::warn!("import worker: deadlock with other writers; retrying")
            }
            Ok(Err(e)) => log::error!("import worker: {e}"),
            Err(e) => log::error!("import worker stopped unexpectedly: {e}"),
        }
        actix_web::rt::time::sleep(state.config.job_interval).await;
    }
}

/// Processes one import to the end, if any needs work. `Ok(true)` when one was processed.
pub fn run_once(state: &AppState) -> Result<bool, AppError> {
    let now = state.clock.now();
    let Some(import) = transaction_blocking(&state.pool, |conn| imports::claim_next(conn, now))?
    else {
        return Ok(false);
    };
    log::info!(
        "import {}: processing {} rows",
        import.id,
        import.rows_total
    );
    let token = import
        .lease_token
        .ok_or_else(|| AppError::internal("a claimed import has no lease token"))?;
    let mut seen = HashMap::new();
    loop {
        let now = state.clock.now();
        let step = transaction_blocking(&state.pool, |conn| {
            imports::process_next_chunk(conn, &state.vault, import.id, token, &mut seen, now)
        });
        match step {
            Ok(true) => continue,
            Ok(false) => break,
            // Too slow: another worker took over and carries on; nothing to do here.
            Err(AppError::Conflict {
                code: ErrorCode::LeaseLost,
                ..
            }) => {
                log::warn!("import {}: lease lost to another worker", import.id);
                return Ok(true);
            }
            // A passing outage: the lease expires and a worker resumes at this chunk.
            // A deadlock with other writers is passing too: nothing of this chunk was written.
            Err(e @ (AppError::Unavailable | AppError::Contention)) => return Err(e),
            Err(e) => {
                log::error!("import {} failed: {e}", import.id);
                let message = match &e {
                    AppError::Internal(_) => {
                        "an unexpected error stopped the import; see the service log".to_string()
                    }
                    other => other.to_string(),
                };
                transaction_blocking(&state.pool, |conn| {
                    imports::fail(conn, import.id, &message, state.clock.now())
                })?;
                return Ok(true);
            }
        }
    }
    // A bulk load changes the table's statistics a lot: refresh them now rather than waiting for
    // autovacuum, so listings plan well right away.
    if let Err(e) = transaction_blocking(&state.pool, |conn| {
        diesel::RunQueryDsl::execute(diesel::sql_query("ANALYZE leads"), conn)
            .map_err(AppError::from)
    }) {
        log::warn!("import {}: ANALYZE failed: {e}", import.id);
    }
    log::info!("import {}: done", import.id);
    Ok(true)
}
