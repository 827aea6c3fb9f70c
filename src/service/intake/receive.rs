//! Receiving one intake request: the batch's count against the source's limit, then the
//! `Idempotency-Key` protocol around the work. Each step is its own transaction on a connection of
//! its own: the key is claimed and committed first (so a concurrent retry sees it in progress),
//! the work and the key's completion commit together, and a failed attempt gives its claim up.

use super::*;

use crate::db::{self, DbPool};

/// What an intake request asks: one lead, or a batch whose items were parsed one by one (an item
/// that did not parse carries its field errors and is answered as invalid).
pub enum Push {
    One(Box<IntakeItem>),
    Batch(Vec<Result<IntakeItem, Vec<FieldError>>>),
}

/// What became of a request's leads, in its order.
pub enum Pushed {
    One(ItemResult),
    Batch(Vec<ItemResult>),
}

/// The answer of an intake request: status and body, and whether it is the replay of an earlier
/// request's answer under the same key.
pub struct Received {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

/// Stores the leads of `push` for `source` and answers as `render` says; with an
/// `Idempotency-Key`, the answer is kept with the key and replayed for the same body (see
/// [`begin_idempotent`]). `body` is the request as sent (its hash binds the key). Runs on the
/// calling thread (call it off the async workers).
#[allow(clippy::too_many_arguments)]
pub fn receive(
    pool: &DbPool,
    vault: &Vault,
    source: IntakeSource,
    key: Option<String>,
    body: &Value,
    push: Push,
    render: impl FnOnce(Pushed) -> Result<(u16, Value), AppError>,
    now: DateTime<Utc>,
) -> Result<Received, AppError> {
    if let Push::Batch(items) = &push {
        db::on_pooled(pool, |conn| count_batch(conn, &source, items.len(), now))?;
    }
    let source_id = source.id;
    // The key and the claim this request holds on it.
    let mut claimed: Option<(String, Uuid)> = None;
    if let Some(key) = key {
        let hash = request_hash(vault, body);
        let state_of_key = db::transaction_blocking(pool, |conn| {
            begin_idempotent(conn, vault, source_id, &key, hash, now)
        })?;
        match state_of_key {
            KeyState::Replay { status, body } => {
                return Ok(Received {
                    status,
                    body,
                    replayed: true,
                });
            }
            KeyState::Fresh(claim) => claimed = Some((key, claim)),
        }
    }
    let outcome = db::transaction_blocking(pool, |conn| {
        if let Some((key, claim)) = &claimed {
            hold_idempotent(conn, source_id, key, *claim)?;
        }
        let defs = crate::service::lead_fields::field_defs(conn)?;
        let pushed = match push {
            Push::One(item) => {
                Pushed::One(submit_item(conn, vault, &defs, &source, *item, false, now)?)
            }
            Push::Batch(items) => {
                let mut results = Vec::with_capacity(items.len());
                for item in items {
                    results.push(match item {
                        Ok(item) => submit_item(conn, vault, &defs, &source, item, false, now)?,
                        Err(errors) => ItemResult::Invalid(errors),
                    });
                }
                Pushed::Batch(results)
            }
        };
        let (status, answer) = render(pushed)?;
        if let Some((key, claim)) = &claimed {
            finish_idempotent(conn, vault, source.id, key, *claim, status, &answer, now)?;
        }
        Ok((status, answer))
    });
    match outcome {
        Ok((status, body)) => Ok(Received {
            status,
            body,
            replayed: false,
        }),
        Err(err) => {
            if let Some((key, claim)) = claimed {
                let released = db::transaction_blocking(pool, |conn| {
                    abandon_idempotent(conn, source_id, &key, claim)
                });
                if let Err(e) = released {
                    log::warn!("could not release an idempotency key after a failed intake: {e}");
                }
            }
            Err(err)
        }
    }
}
