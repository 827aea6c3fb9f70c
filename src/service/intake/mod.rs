//! Web-form intake: sources and their tokens, per-source rate limits, idempotent submissions,
//! and the quarantine of suspect ones.

mod receive;

pub use receive::*;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Timelike, Utc};
use diesel::PgConnection;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::crypto::{Purpose, Vault};
use crate::db::models::{IdempotencyKey, IntakeSource, QuarantineEntry};
use crate::domain::custom_field::FieldDef;
use crate::domain::lead::{RawLead, SourceChannel, clean_lead};
use crate::domain::page::{Cursor, Limit, Paged, fetch_page};
use crate::domain::suspicion::{self, QuarantineStatus};
use crate::error::{AppError, ErrorCode, FieldError};
use crate::repo;
use crate::service::audit::Audit;
use crate::service::leads::{Outcome, Submission, Via};

/// Prefix of intake tokens, so a leaked one is recognisable (e.g. by secret scanners).
pub const TOKEN_PREFIX: &str = "lpi_";
/// How long an unfinished idempotency key blocks retries before a retry may take it over.
pub const KEY_IN_PROGRESS_SECS: i64 = 60;
/// How long finished idempotency keys are kept.
pub const KEY_RETENTION_HOURS: i64 = 24;

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Creates a source; returns it with its token (shown this once, stored only hashed).
pub fn create_source(
    conn: &mut PgConnection,
    name: String,
    channel: SourceChannel,
    rate_limit_per_minute: i32,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<(IntakeSource, String), AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("random: {e}")))?;
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let source = repo::intake::insert_source(
        conn,
        &IntakeSource {
            id: Uuid::now_v7(),
            name,
            channel,
            rate_limit_per_minute,
            token_hash: hash_token(&token),
            created_by: Some(actor),
            created_at: now,
            deleted_at: None,
        },
    )?;
    Audit::of(
        Some(actor),
        "intake_source.created",
        "intake_source",
        Some(source.id),
        now,
    )
    .change(
        None,
        Some(
            serde_json::json!({"name": source.name, "channel": source.channel,
                "rate_limit_per_minute": source.rate_limit_per_minute}),
        ),
    )
    .write(conn)?;
    Ok((source, token))
}

/// Deletes a source: its token stops working at once. `false` when there is no such source.
pub fn delete_source(
    conn: &mut PgConnection,
    actor: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if repo::intake::delete_source(conn, id, now)? == 0 {
        return Ok(false);
    }
    Audit::of(
        Some(actor),
        "intake_source.deleted",
        "intake_source",
        Some(id),
        now,
    )
    .change(None, Some(serde_json::json!({"deleted_at": now})))
    .write(conn)?;
    Ok(true)
}

/// The source presenting `token`, with this request counted against its per-minute limit
/// (429 with `Retry-After` past it). Unknown or deleted tokens are 401.
pub fn authenticate(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<IntakeSource, AppError> {
    let source =
        repo::intake::source_by_token(conn, &hash_token(token))?.ok_or(AppError::Unauthorized {
            code: ErrorCode::InvalidToken,
            detail: "not a valid intake source token".into(),
        })?;
    let window_start = minute_of(now);
    let count = repo::intake::count_request(conn, source.id, window_start)?;
    check_rate(&source, count, window_start, now)?;
    Ok(source)
}

/// Counts the leads of a batch after its first (counted with the request) against the source's
/// per-minute limit: each lead counts, so a batch of 500 does not pass a limit of 2. Refused
/// batches count too, as refused requests do.
pub fn count_batch(
    conn: &mut PgConnection,
    source: &IntakeSource,
    leads: usize,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if leads <= 1 {
        return Ok(());
    }
    let window_start = minute_of(now);
    let more = i32::try_from(leads - 1).unwrap_or(i32::MAX);
    let count = repo::intake::count_more(conn, source.id, window_start, more)?;
    check_rate(source, count, window_start, now)
}

fn minute_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now)
}

fn check_rate(
    source: &IntakeSource,
    count: i32,
    window_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if count <= source.rate_limit_per_minute {
        return Ok(());
    }
    let retry_after_secs = (window_start + Duration::minutes(1) - now)
        .num_seconds()
        .max(1) as u64;
    Err(AppError::TooManyRequests {
        detail: format!(
            "this source may send {} leads a minute; retry after {retry_after_secs} s",
            source.rate_limit_per_minute
        ),
        retry_after_secs,
    })
}

/// What an idempotency key says about a request.
pub enum KeyState {
    /// First time: go ahead under this claim, and complete the key in the same transaction as
    /// the work.
    Fresh(Uuid),
    /// Already answered: replay this.
    Replay { status: u16, body: Value },
}

/// A keyed hash of the request's canonical JSON (object keys sorted, so formatting does not
/// matter). Keyed, not a plain SHA-256: a body that is little more than a phone number could
/// otherwise be recovered from a dump by hashing every possible number.
pub fn request_hash(vault: &Vault, body: &Value) -> Vec<u8> {
    vault.blind_index(Purpose::IdempotencyRequest, &body.to_string())
}

/// Claims `key` for this request, or tells how to answer it: the same key with another body is
/// 422 `idempotency_key_reused`; with the same body while the first is still running, 409
/// `idempotency_key_in_progress`; once finished, the first answer is replayed. Runs in a
/// transaction of its own, committed before the work starts.
pub fn begin_idempotent(
    conn: &mut PgConnection,
    vault: &Vault,
    source_id: Uuid,
    key: &str,
    hash: Vec<u8>,
    now: DateTime<Utc>,
) -> Result<KeyState, AppError> {
    let claim = Uuid::now_v7();
    let record = IdempotencyKey {
        source_id,
        key: key.to_string(),
        request_hash: hash.clone(),
        claim,
        status: None,
        response_enc: None,
        created_at: now,
        completed_at: None,
    };
    if repo::intake::claim_key(conn, &record)? {
        repo::intake::expire_keys(conn, source_id, now - Duration::hours(KEY_RETENTION_HOURS))?;
        return Ok(KeyState::Fresh(claim));
    }
    let existing = repo::intake::find_key(conn, source_id, key)?.ok_or(AppError::Conflict {
        code: ErrorCode::IdempotencyKeyInProgress,
        detail: "a request with this Idempotency-Key is being processed; retry shortly".into(),
    })?;
    if existing.request_hash != hash {
        return Err(AppError::Rule {
            code: ErrorCode::IdempotencyKeyReused,
            detail: "this Idempotency-Key was used with a different body; use a new key for a new submission".into(),
        });
    }
    match (existing.status, existing.response_enc) {
        (Some(status), Some(enc)) => {
            let bytes = vault
                .decrypt(Purpose::Payload, &enc)
                .map_err(|e| AppError::internal(format!("idempotency record: {e}")))?;
            let body = serde_json::from_slice(&bytes).map_err(AppError::internal)?;
            Ok(KeyState::Replay {
                status: status as u16,
                body,
            })
        }
        _ => {
            let stale_before = now - Duration::seconds(KEY_IN_PROGRESS_SECS);
            if repo::intake::take_over_key(conn, source_id, key, stale_before, claim, now)? {
                Ok(KeyState::Fresh(claim))
            } else {
                Err(AppError::Conflict {
                    code: ErrorCode::IdempotencyKeyInProgress,
                    detail: "a request with this Idempotency-Key is being processed; retry shortly"
                        .into(),
                })
            }
        }
    }
}

fn key_taken_over() -> AppError {
    AppError::Conflict {
        code: ErrorCode::IdempotencyKeyInProgress,
        detail: "a retry with this Idempotency-Key took over; retry to get its answer".into(),
    }
}

/// Locks the key at the start of the work: a retry that took it over meanwhile wins, and this
/// request does nothing.
pub fn hold_idempotent(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
) -> Result<(), AppError> {
    if repo::intake::lock_claim(conn, source_id, key, claim)? {
        Ok(())
    } else {
        Err(key_taken_over())
    }
}

/// Records the answer under the key, in the transaction that did the work.
#[allow(clippy::too_many_arguments)]
pub fn finish_idempotent(
    conn: &mut PgConnection,
    vault: &Vault,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
    status: u16,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let enc = vault.encrypt(Purpose::Payload, body.to_string().as_bytes());
    match repo::intake::complete_key(conn, source_id, key, claim, status as i16, &enc, now)? {
        1 => Ok(()),
        _ => Err(key_taken_over()),
    }
}

/// Frees the key after the work failed, so a retry can run (unless another retry holds it).
pub fn abandon_idempotent(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
) -> Result<(), AppError> {
    Ok(repo::intake::release_key(conn, source_id, key, claim)?)
}

/// One submitted lead, parsed.
#[derive(Debug, Clone)]
pub struct IntakeItem {
    pub raw: RawLead,
    pub honeypot: Option<String>,
    /// The item as received (stored encrypted with the touch or the quarantine entry).
    pub payload: Value,
}

/// What became of one submitted lead.
#[derive(Debug, Clone)]
pub enum ItemResult {
    Created(Uuid),
    Merged(Uuid),
    Quarantined(Uuid),
    Invalid(Vec<FieldError>),
}

fn invalid(err: AppError) -> Result<ItemResult, AppError> {
    match err {
        AppError::Validation(errors) => Ok(ItemResult::Invalid(errors)),
        AppError::Rule { code, detail } => Ok(ItemResult::Invalid(vec![FieldError::new(
            "lead",
            code.as_str(),
            detail,
        )])),
        other => Err(other),
    }
}

/// Stores one submitted lead: quarantined when suspect, else created or merged into the open
/// lead it duplicates. Field errors come back as `Invalid` (nothing written for that item).
pub fn submit_item(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    source: &IntakeSource,
    item: IntakeItem,
    skip_suspicion: bool,
    now: DateTime<Utc>,
) -> Result<ItemResult, AppError> {
    let clean = match clean_lead(&item.raw) {
        Ok(clean) => clean,
        Err(errors) => {
            return Ok(ItemResult::Invalid(
                errors
                    .into_iter()
                    .map(|(f, c, m)| FieldError::new(f, c, m))
                    .collect(),
            ));
        }
    };
    if !skip_suspicion {
        let reasons = suspicion::reasons(&item.raw, item.honeypot.as_deref(), &clean);
        if !reasons.is_empty() {
            return quarantine(conn, vault, source, &item.payload, &reasons, now);
        }
    }
    let channel: SourceChannel = source.channel;
    let submission = Submission {
        lead: clean,
        pool_id: None,
        via: Via::Intake,
        actor_id: None,
        intake_source_id: Some(source.id),
        import_id: None,
        known_duplicate: false,
        default_channel: channel,
        payload: item.payload.clone(),
    };
    let payload = item.payload;
    match super::leads::submit(conn, vault, defs, submission, now) {
        Ok(Outcome::Created(lead)) => Ok(ItemResult::Created(lead.id)),
        Ok(Outcome::Merged { lead, .. }) | Ok(Outcome::Duplicate(lead)) => {
            Ok(ItemResult::Merged(lead.id))
        }
        // No pool to put it in is the organisation's configuration gap, not the sender's
        // mistake: keep the lead (nothing was written yet) until an admin sets pools up.
        Err(AppError::Rule {
            code: ErrorCode::NoPool,
            ..
        }) if !skip_suspicion => quarantine(
            conn,
            vault,
            source,
            &payload,
            &[crate::domain::suspicion::QuarantineReason::NoPool.as_str()],
            now,
        ),
        Err(err @ AppError::Rule { .. }) if skip_suspicion => Err(err),
        Err(err) => invalid(err),
    }
}

/// A pending quarantine entry, locked; 409 `quarantine_already_decided` once decided.
fn pending_entry(conn: &mut PgConnection, id: Uuid) -> Result<QuarantineEntry, AppError> {
    let entry = repo::intake::quarantine_for_update(conn, id)?.ok_or(AppError::NotFound)?;
    if entry.status != QuarantineStatus::Pending {
        return Err(AppError::Conflict {
            code: ErrorCode::QuarantineAlreadyDecided,
            detail: format!("this submission was already {}", entry.status),
        });
    }
    Ok(entry)
}

/// Holds a submission for an admin, with the reasons.
fn quarantine(
    conn: &mut PgConnection,
    vault: &Vault,
    source: &IntakeSource,
    payload: &Value,
    reasons: &[&str],
    now: DateTime<Utc>,
) -> Result<ItemResult, AppError> {
    let id = Uuid::now_v7();
    repo::intake::insert_quarantine(
        conn,
        &QuarantineEntry {
            id,
            source_id: source.id,
            payload_enc: vault.encrypt(Purpose::Payload, payload.to_string().as_bytes()),
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            status: QuarantineStatus::Pending,
            lead_id: None,
            decided_by: None,
            decided_at: None,
            created_at: now,
        },
    )?;
    Ok(ItemResult::Quarantined(id))
}

/// Accepts a held submission: it comes in as a lead (created or merged), skipping the suspicion
/// rules.
pub fn accept(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    id: Uuid,
    actor: Uuid,
    parse: impl Fn(&Value) -> Result<IntakeItem, Vec<FieldError>>,
    now: DateTime<Utc>,
) -> Result<QuarantineEntry, AppError> {
    let entry = pending_entry(conn, id)?;
    let source =
        repo::intake::source_including_deleted(conn, entry.source_id)?.ok_or(AppError::NotFound)?;
    let item = parse(&payload_of(vault, &entry)?).map_err(AppError::Validation)?;
    let lead_id = match submit_item(conn, vault, defs, &source, item, true, now)? {
        ItemResult::Created(lead) | ItemResult::Merged(lead) => lead,
        ItemResult::Invalid(errors) => return Err(AppError::Validation(errors)),
        ItemResult::Quarantined(_) => {
            return Err(AppError::internal(
                "accepted submission was quarantined again",
            ));
        }
    };
    let decided = repo::intake::decide_quarantine(
        conn,
        id,
        QuarantineStatus::Accepted,
        Some(lead_id),
        actor,
        now,
    )?;
    Audit::of(
        Some(actor),
        "quarantine.accepted",
        "quarantine",
        Some(id),
        now,
    )
    .lead(lead_id)
    .change(
        Some(serde_json::json!({"status": "pending"})),
        Some(serde_json::json!({"status": "accepted", "lead_id": lead_id})),
    )
    .write(conn)?;
    Ok(decided)
}

/// Discards a held submission.
pub fn discard(
    conn: &mut PgConnection,
    id: Uuid,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<QuarantineEntry, AppError> {
    pending_entry(conn, id)?;
    let decided =
        repo::intake::decide_quarantine(conn, id, QuarantineStatus::Discarded, None, actor, now)?;
    Audit::of(
        Some(actor),
        "quarantine.discarded",
        "quarantine",
        Some(id),
        now,
    )
    .change(
        Some(serde_json::json!({"status": "pending"})),
        Some(serde_json::json!({"status": "discarded"})),
    )
    .write(conn)?;
    Ok(decided)
}

/// The submission held in a quarantine entry.
pub fn payload_of(vault: &Vault, entry: &QuarantineEntry) -> Result<Value, AppError> {
    let bytes = vault
        .decrypt(Purpose::Payload, &entry.payload_enc)
        .map_err(|e| AppError::internal(format!("quarantine payload: {e}")))?;
    serde_json::from_slice(&bytes).map_err(AppError::internal)
}

/// Every intake source (admin).
pub fn sources(conn: &mut PgConnection) -> Result<Vec<IntakeSource>, AppError> {
    Ok(repo::intake::list_sources(conn)?)
}

/// One page of quarantined submissions in `status`, newest first.
pub fn list_quarantine(
    conn: &mut PgConnection,
    status: QuarantineStatus,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<QuarantineEntry>, AppError> {
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::intake::list_quarantine(conn, Some(status), after, n),
        |e| e.id,
    )?)
}
