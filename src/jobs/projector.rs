//! The report projector: every instance runs it, and at each tick one of them folds what was
//! committed since the projection's watermark into the rollups (the others find the projection
//! held and skip). See `repo::reports::projector`.

use actix_web::web;

use crate::AppState;
use crate::error::AppError;
use crate::repo::reports::projector::{self, Fold};

pub async fn run(state: AppState) {
    loop {
        actix_web::rt::time::sleep(state.config.projector_interval).await;
        match fold(&state).await {
            Ok(_) => {}
            Err(AppError::Unavailable) => log::warn!("report projector: database unavailable"),
            Err(e) => log::error!("report projector: {e}"),
        }
    }
}

/// One fold, off the async workers; `None` when another instance was folding.
pub async fn fold(state: &AppState) -> Result<Option<Fold>, AppError> {
    let pool = state.pool.clone();
    let started = std::time::Instant::now();
    let done = web::block(move || {
        crate::db::on_pooled(&pool, |conn| -> Result<Option<Fold>, AppError> {
            Ok(projector::fold(conn)?)
        })
    })
    .await??;
    match done {
        Some(Fold::Folded(n)) => {
            state.metrics.folded(n, started.elapsed());
            if n > 0 {
                log::debug!(
                    "report projector: {n} entries folded in {:?}",
                    started.elapsed()
                );
            }
        }
        Some(Fold::Rebuilt) => log::info!(
            "report projection built from the facts in {:?}",
            started.elapsed()
        ),
        None => {}
    }
    Ok(done)
}
