//! The recycle sweep: returns due leads to their pools in batches and warns owners of leads due
//! soon. Every instance runs it; due leads are taken with `FOR UPDATE SKIP LOCKED`, so each is
//! recycled exactly once and a sweep never waits for (or blocks) claims of other leads. An
//! admin's sweep (`POST /admin/sweep`) is the same drain, with its progress kept in `sweep_runs`.

use std::collections::BTreeMap;

use actix_web::web;
use uuid::Uuid;

use crate::AppState;
use crate::db::transaction_blocking;
use crate::error::AppError;
use crate::repo;
use crate::repo::sweeps::SweepRun;
use crate::service::audit::Audit;
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

/// Sweeps until nothing is due, then sends the warnings (the periodic sweep).
pub async fn sweep_all(state: &AppState) -> Result<SweepReport, AppError> {
    drain(state, None).await
}

/// Starts an admin's sweep: records the run, and drains in the background. The receiver gets the
/// drain's report when it ends (the run's row has its progress meanwhile).
pub async fn start_requested(
    state: &AppState,
    actor: Uuid,
) -> Result<
    (
        SweepRun,
        tokio::sync::oneshot::Receiver<Result<SweepReport, AppError>>,
    ),
    AppError,
> {
    let now = state.clock.now();
    let run = SweepRun {
        id: Uuid::now_v7(),
        requested_by: Some(actor),
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
        status: crate::domain::recycle::SweepRunStatus::Running,
        recycled: 0,
        recycled_by_reason: serde_json::json!({}),
        warned: 0,
        error: None,
    };
    let row = run.clone();
    crate::db::transaction(&state.pool, move |conn| {
        Ok(repo::sweeps::insert(conn, &row)?)
    })
    .await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (state, id) = (state.clone(), run.id);
    actix_web::rt::spawn(async move {
        let report = drain(&state, Some(id)).await;
        let (now, error) = (
            state.clock.now(),
            report.as_ref().err().map(|e| e.to_string()),
        );
        let warned = report.as_ref().map_or(0, |r| r.warned as i32);
        let recycled = report.as_ref().map_or(0, |r| r.recycled.len());
        let ended = crate::db::transaction(&state.pool, move |conn| {
            repo::sweeps::finish(conn, id, warned, error.as_deref(), now)?;
            // The recycles are audited one by one (by no one: the rules did it); this records
            // who asked for the sweep.
            Audit::of(Some(actor), "sweep.run", "sweep", Some(id), now)
                .change(
                    None,
                    Some(serde_json::json!({"recycled": recycled, "warned": warned})),
                )
                .write(conn)
        })
        .await;
        if let Err(e) = ended {
            log::error!("sweep {id}: cannot record its end: {e}");
        }
        let _ = tx.send(report);
    });
    Ok((run, rx))
}

/// Sweeps until nothing is due, then sends the warnings. `LEADPOOL_SWEEP_WORKERS` workers drain
/// at once (each batch locks its leads with SKIP LOCKED, so they never take the same lead); with
/// `run`, each batch adds its leads to the run's counts in its own transaction. Between full
/// batches a worker pauses for `LEADPOOL_SWEEP_PAUSE_PERCENT` percent of the time the batch took,
/// so that a large backlog drains without starving the claims and follow-ups running beside it.
async fn drain(state: &AppState, run: Option<Uuid>) -> Result<SweepReport, AppError> {
    let started = std::time::Instant::now();
    let workers = (0..state.config.sweep_workers).map(|_| {
        let worker = state.clone();
        web::block(move || drain_batches(&worker, run))
    });
    let mut report = SweepReport::default();
    for drained in futures_util::future::join_all(workers).await {
        report.recycled.extend(drained??.recycled);
    }
    let worker = state.clone();
    let report = web::block(move || {
        let mut report = report;
        let now = worker.clock.now();
        let started = std::time::Instant::now();
        loop {
            let size = worker.config.sweep_batch;
            let warned = transaction_blocking(&worker.pool, |conn| warn(conn, now, size))?;
            report.warned += warned.count;
            if !warned.more {
                break;
            }
        }
        log::debug!(
            "sweep warnings: {} sent in {} ms",
            report.warned,
            started.elapsed().as_millis()
        );
        Ok::<_, AppError>(report)
    })
    .await??;
    state.metrics.swept(started.elapsed());
    for (_, _, reason) in &report.recycled {
        state.metrics.recycled(reason.as_str());
    }
    Ok(report)
}

/// One worker's part of a drain: batches until one comes back short (nothing more is due, or the
/// other workers hold the rest).
fn drain_batches(worker: &AppState, run: Option<Uuid>) -> Result<SweepReport, AppError> {
    let mut report = SweepReport::default();
    loop {
        let started = std::time::Instant::now();
        let now = worker.clock.now();
        let size = worker.config.sweep_batch;
        let batch = transaction_blocking(&worker.pool, |conn| {
            let batch = sweep_batch(conn, now, size)?;
            if let Some(id) = run {
                let mut by_reason: BTreeMap<&'static str, i32> = BTreeMap::new();
                for (_, _, reason) in &batch.recycled {
                    *by_reason.entry(reason.as_str()).or_default() += 1;
                }
                let by_reason = serde_json::to_value(&by_reason)
                    .map_err(|e| AppError::internal(e.to_string()))?;
                let count = batch.recycled.len() as i32;
                repo::sweeps::progress(conn, id, count, &by_reason, now)?;
            }
            Ok(batch)
        });
        // A batch that failed rolled back (its progress with it): the drain ends there.
        let batch = batch?;
        let done = (batch.recycled.len() as i64) < size;
        log::debug!(
            "sweep batch: {} recycled in {} ms",
            batch.recycled.len(),
            started.elapsed().as_millis()
        );
        report.recycled.extend(batch.recycled);
        if done {
            return Ok(report);
        }
        std::thread::sleep(started.elapsed().mul_f64(worker.config.sweep_pause_factor));
    }
}
