//! Recomputes computed tiers from the tier policy on a schedule. Several instances may run it: the
//! work is idempotent, and a transaction-scoped advisory lock lets one instance do it at a time.

use actix_web::web;

use crate::AppState;
use crate::db::transaction_blocking;
use crate::error::AppError;
use crate::service::rules::recompute_tiers;

/// Advisory lock key of the tier job ("tiers" in ASCII).
const TIER_JOB_LOCK: i64 = 0x0074_6965_7273;

pub async fn run(state: AppState) {
    loop {
        actix_web::rt::time::sleep(state.config.tier_recompute_interval).await;
        let worker = state.clone();
        match web::block(move || run_once(&worker)).await {
            Ok(Ok(Some(changed))) if changed > 0 => {
                log::info!("tiers recomputed: {changed} people changed tier")
            }
            Ok(Ok(_)) => {}
            Ok(Err(AppError::Unavailable)) => log::warn!("tier job: database unavailable"),
            Ok(Err(e)) => log::error!("tier job: {e}"),
            Err(e) => log::error!("tier job stopped unexpectedly: {e}"),
        }
    }
}

/// Recomputes once unless another instance is doing it; `None` when it was.
pub fn run_once(state: &AppState) -> Result<Option<usize>, AppError> {
    let now = state.clock.now();
    transaction_blocking(&state.pool, |conn| {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let got: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<diesel::sql_types::BigInt, _>(TIER_JOB_LOCK)
            .get_result(conn)?;
        if !got.locked {
            return Ok(None);
        }
        Ok(Some(recompute_tiers(conn, None, now)?.len()))
    })
}
