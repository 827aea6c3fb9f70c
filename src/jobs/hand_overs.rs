//! The runner of departure hand-overs: moves a hand-over's leads one transaction each until the
//! person holds nothing it has not dealt with, then marks it done. Started by the request; a
//! hand-over whose runner stopped (its instance went away: no heartbeat for a minute) is taken
//! over by the next instance that looks (every 30 s), and carries on where it was.

use actix_web::web;

use crate::AppState;
use crate::db::{on_pooled, transaction_blocking};
use crate::domain::hand_over::{HandOverOutcome, HandOverStatus};
use crate::error::AppError;
use crate::repo;
use crate::repo::hand_overs::HandOver;
use crate::service::lifecycle::move_one;

/// A running hand-over whose heartbeat is older than this has lost its runner.
pub const HEARTBEAT_LOST: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Leads read per round (each then moved in its own transaction).
const ROUND: i64 = 200;

/// Tries of one lead's move that met a deadlock or an unreachable database, and the pause
/// before the n-th retry (n × this, up to 10 ×): about half a minute in all.
const RETRIES: u32 = 12;
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

/// Takes over stalled hand-overs, every 30 s.
pub async fn run(state: AppState) {
    loop {
        actix_web::rt::time::sleep(std::time::Duration::from_secs(30)).await;
        let now = state.clock.now();
        let taken = crate::db::transaction(&state.pool, move |conn| {
            Ok(repo::hand_overs::take_over_stale(
                conn,
                now - HEARTBEAT_LOST,
                now,
            )?)
        })
        .await;
        match taken {
            Ok(Some(job)) => {
                log::info!("hand-over {}: taken over from a stopped runner", job.id);
                spawn(state.clone(), job);
            }
            Ok(None) => {}
            Err(AppError::Unavailable) => {}
            Err(e) => log::error!("hand-overs: {e}"),
        }
    }
}

/// Runs `job` in the background to its end.
pub fn spawn(state: AppState, job: HandOver) {
    actix_web::rt::spawn(async move {
        let id = job.id;
        let worker = state.clone();
        let ran = web::block(move || drain(&worker, &job)).await;
        let error = match ran {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        let now = state.clock.now();
        let status = if error.is_some() {
            HandOverStatus::Failed
        } else {
            HandOverStatus::Done
        };
        if let Some(e) = &error {
            log::error!("hand-over {id}: {e}");
        }
        let ended = crate::db::transaction(&state.pool, move |conn| {
            Ok(repo::hand_overs::finish(
                conn,
                id,
                status,
                error.as_deref(),
                now,
            )?)
        })
        .await;
        if let Err(e) = ended {
            log::error!("hand-over {id}: cannot record its end: {e}");
        }
    });
}

/// Moves every lead the person holds that `job` has not dealt with yet.
fn drain(state: &AppState, job: &HandOver) -> Result<(), AppError> {
    let tz = state.config.timezone;
    // Receivers take turns from where an earlier runner of this hand-over left off.
    let mut turn = on_pooled(&state.pool, |conn| {
        Ok::<_, AppError>(
            repo::hand_overs::items(conn, job.id)?
                .iter()
                .filter(|i| i.outcome == HandOverOutcome::Moved)
                .count(),
        )
    })?;
    loop {
        let next = on_pooled(&state.pool, |conn| {
            Ok::<_, AppError>(repo::hand_overs::next_held(
                conn,
                job.id,
                job.user_id,
                ROUND,
            )?)
        })?;
        if next.is_empty() {
            return Ok(());
        }
        for lead_id in next {
            let mut attempt = 0;
            loop {
                let now = state.clock.now();
                let moved = transaction_blocking(&state.pool, |conn| {
                    match move_one(conn, job, lead_id, turn, now, tz)? {
                        Some(item) => Ok(item.outcome == HandOverOutcome::Moved),
                        // Another runner recorded this lead first: undo ours.
                        None => Err(AppError::Conflict {
                            code: crate::error::ErrorCode::Conflict,
                            detail: "recorded by another runner".into(),
                        }),
                    }
                });
                attempt += 1;
                match moved {
                    Ok(true) => turn += 1,
                    Ok(false) | Err(AppError::Conflict { .. }) => {}
                    // A deadlock with a claim or transfer of the same person or lead, or the
                    // database briefly away: nothing was written; the same lead again, a little
                    // later (half a minute at most before the hand-over fails).
                    Err(AppError::Contention | AppError::Unavailable) if attempt < RETRIES => {
                        std::thread::sleep(RETRY_PAUSE * attempt.min(10));
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                break;
            }
        }
    }
}
