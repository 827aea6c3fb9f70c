//! The recycle sweep: returns due leads to their pools in batches and warns owners of leads due
//! soon. Every instance runs it; due leads are taken with `FOR UPDATE SKIP LOCKED`, so each is
//! recycled exactly once and a sweep never waits for (or blocks) claims of other leads.

use actix_web::web;

use crate::AppState;
use crate::db::transaction_blocking;
use crate::error::AppError;
use crate::service::lifecycle::{SweepReport, sweep_batch, warn};

pub async fn run(state: AppState) {
    loop {
        actix_web::rt::time::sleep(state.config.sweep_interval).await;
        match sweep_all(&state).await {
            Ok(report) if !report.recycled.is_empty() || report.warned > 0 => log::info!(
                "sweep: {} recycled, {} warned",
                report.recycled.len(),
                report.warned
            ),
            Ok(_) => {}
            Err(AppError::Unavailable) => log::warn!("sweep: database unavailable"),
            Err(e) => log::error!("sweep: {e}"),
        }
    }
}

/// Sweeps until nothing is due, then sends the warnings. Between full batches it pauses for
/// `LEADPOOL_SWEEP_PAUSE_PERCENT` percent of the time the batch took, so that a large backlog drains
/// without starving the claims and follow-ups running beside it.
pub async fn sweep_all(state: &AppState) -> Result<SweepReport, AppError> {
    let started = std::time::Instant::now();
    let report = sweep_batches(state).await;
    if let Ok(report) = &report {
        state.metrics.swept(started.elapsed());
        for (_, _, reason) in &report.recycled {
            state.metrics.recycled(reason.as_str());
        }
    }
    report
}

async fn sweep_batches(state: &AppState) -> Result<SweepReport, AppError> {
    let worker = state.clone();
    web::block(move || {
        let mut report = SweepReport::default();
        loop {
            let started = std::time::Instant::now();
            let now = worker.clock.now();
            let size = worker.config.sweep_batch;
            let batch = transaction_blocking(&worker.pool, |conn| sweep_batch(conn, now, size))?;
            let done = (batch.recycled.len() as i64) < size;
            log::debug!(
                "sweep batch: {} recycled in {} ms",
                batch.recycled.len(),
                started.elapsed().as_millis()
            );
            report.recycled.extend(batch.recycled);
            if done {
                break;
            }
            std::thread::sleep(started.elapsed().mul_f64(worker.config.sweep_pause_factor));
        }
        let now = worker.clock.now();
        let started = std::time::Instant::now();
        report.warned = transaction_blocking(&worker.pool, |conn| warn(conn, now))?;
        log::debug!(
            "sweep warnings: {} sent in {} ms",
            report.warned,
            started.elapsed().as_millis()
        );
        Ok(report)
    })
    .await?
}
