//! Departure hand-overs (离职交接): a manager or admin moves everything a person holds — open
//! leads (their agenda and pending requests with them) and customers — to one receiver, to
//! several in turn, or (open leads) back to a pool. [`start`] checks and records the request;
//! the runner (`jobs::hand_overs`) then calls [`move_one`] for each lead, one transaction each.
//!
//! Race-free with the person's own last actions and with the sweep: each move locks the lead and
//! acts only if the person still holds it (else the lead is `skipped`), and a move to a person
//! goes through [`hand_over`], which locks the receiver and checks their quota under that lock.

use super::*;
use crate::domain::field_error::FieldError;
use crate::domain::hand_over::HandOverStatus;
use crate::domain::hand_over::{HandOverCode, HandOverKind, HandOverOutcome, turn_order};
use crate::repo::hand_overs::{HandOver, HandOverItem};
use diesel::Connection;

/// At most this many receivers in one hand-over.
pub const MAX_RECEIVERS: usize = 100;

/// What a hand-over asks for (checked by [`start`]).
#[derive(Debug, Clone)]
pub struct HandOverRequest {
    pub to_user_ids: Vec<Uuid>,
    pub to_pool_id: Option<Uuid>,
    pub override_quota: bool,
    pub reason: Option<String>,
}

/// Checks and records a hand-over of everything `user_id` holds. Admins hand over anyone;
/// managers people in their teams, to people in their teams (404 for anyone else). Every bad
/// field is named at once (422); only an admin may override the receivers' quotas.
pub fn start(
    conn: &mut PgConnection,
    actor: &AuthUser,
    user_id: Uuid,
    req: HandOverRequest,
    now: DateTime<Utc>,
) -> Result<HandOver, AppError> {
    repo::users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
    match actor.role {
        Role::Admin => {}
        Role::Manager => {
            if user_id == actor.id || !repo::users::is_managed_by(conn, user_id, actor.id)? {
                return Err(AppError::NotFound);
            }
        }
        Role::Sales => return Err(AppError::Forbidden),
    }
    let mut errors = Vec::new();
    if req.to_user_ids.is_empty() && req.to_pool_id.is_none() {
        for field in ["to_user_ids", "to_pool_id"] {
            errors.push(FieldError::new(
                field,
                "required",
                "name receivers (to_user_ids), a pool (to_pool_id), or both",
            ));
        }
    }
    if req.to_user_ids.len() > MAX_RECEIVERS {
        errors.push(FieldError::new(
            "to_user_ids",
            "too_many",
            format!("at most {MAX_RECEIVERS} receivers"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, &to) in req.to_user_ids.iter().enumerate() {
        let field = format!("to_user_ids[{i}]");
        if !seen.insert(to) {
            errors.push(FieldError::new(field, "duplicate", "named twice"));
            continue;
        }
        if to == user_id {
            errors.push(FieldError::new(
                field,
                "invalid_value",
                "the person leaving cannot receive their own leads",
            ));
            continue;
        }
        let receiver = repo::users::find(conn, to)?;
        let visible = match (&receiver, actor.role) {
            (None, _) => false,
            (Some(_), Role::Manager) => {
                to == actor.id || repo::users::is_managed_by(conn, to, actor.id)?
            }
            (Some(_), _) => true,
        };
        match receiver {
            Some(u) if visible => {
                if !matches!(u.role.as_str(), "sales" | "manager") {
                    errors.push(FieldError::new(
                        field,
                        "invalid_value",
                        "leads go to salespeople and managers",
                    ));
                } else if !u.active {
                    errors.push(FieldError::new(field, "invalid_value", "deactivated"));
                }
            }
            _ => errors.push(FieldError::new(field, "not_found", "no such user")),
        }
    }
    if let Some(pool) = req.to_pool_id {
        if repo::pools::find(conn, pool)?.is_none() {
            errors.push(FieldError::new("to_pool_id", "not_found", "no such pool"));
        }
    }
    if req.override_quota && actor.role != Role::Admin {
        errors.push(FieldError::new(
            "override_quota",
            "not_allowed",
            "only an admin may override the receivers' quotas",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let job = HandOver {
        id: Uuid::now_v7(),
        user_id,
        requested_by: actor.id,
        to_user_ids: req.to_user_ids,
        to_pool_id: req.to_pool_id,
        override_quota: req.override_quota,
        reason: req.reason,
        status: HandOverStatus::Running,
        started_at: now,
        heartbeat_at: now,
        finished_at: None,
        error: None,
    };
    repo::hand_overs::insert(conn, &job)?;
    Audit::of(
        Some(actor.id),
        "user.hand_over_started",
        "hand_over",
        Some(job.id),
        now,
    )
    .change(
        None,
        Some(json!({"user_id": user_id, "to_user_ids": job.to_user_ids,
                        "to_pool_id": job.to_pool_id, "override_quota": job.override_quota})),
    )
    .write(conn)?;
    Ok(job)
}

/// Moves one lead of `job` (its `turn`-th move decides which receiver comes first) and records
/// what became of it, in the caller's transaction. `None`: the lead already has its record (a
/// second runner of the same hand-over); the caller rolls back.
pub fn move_one(
    conn: &mut PgConnection,
    job: &HandOver,
    lead_id: Uuid,
    turn: usize,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Option<HandOverItem>, AppError> {
    let lead = repo::leads::find_for_update(conn, lead_id)?.ok_or(AppError::NotFound)?;
    let kind = if lead.state == LeadState::Converted {
        HandOverKind::Customer
    } else {
        HandOverKind::Lead
    };
    let item =
        |outcome, to_user_id, to_pool_id, code: Option<HandOverCode>, detail: Option<String>| {
            HandOverItem {
                hand_over_id: job.id,
                lead_id,
                kind,
                outcome,
                to_user_id,
                to_pool_id,
                code,
                detail,
                at: now,
            }
        };
    let held = lead.owner_id == Some(job.user_id)
        && matches!(lead.state, LeadState::Owned | LeadState::Converted);
    let done = if !held {
        item(
            HandOverOutcome::Skipped,
            None,
            None,
            Some(HandOverCode::NoLongerHeld),
            Some(format!("no longer theirs: the lead is {}", lead.state)),
        )
    } else if let (HandOverKind::Lead, Some(pool)) = (kind, job.to_pool_id) {
        end_hold(
            conn,
            &lead,
            ClaimEnd::Reassigned,
            Some(job.requested_by),
            After::Pool(pool),
            json!({"hand_over_id": job.id, "note": job.reason}),
            now,
        )?;
        item(HandOverOutcome::Moved, None, Some(pool), None, None)
    } else if job.to_user_ids.is_empty() {
        item(
            HandOverOutcome::Failed,
            None,
            None,
            Some(HandOverCode::NeedsReceiver),
            Some("a customer goes to a person: the hand-over names only a pool".into()),
        )
    } else {
        let mut refusal = (HandOverCode::ReceiverNotAllowed, String::new());
        let mut moved = None;
        for to in turn_order(&job.to_user_ids, turn) {
            // Each attempt in a savepoint: a refusal leaves nothing behind.
            let attempt = conn.transaction(|conn| match kind {
                HandOverKind::Lead => hand_over(
                    conn,
                    &lead,
                    to,
                    job.requested_by,
                    Handing {
                        start: ClaimStart::ManagerAssign,
                        end: ClaimEnd::Reassigned,
                        quota_override: job.override_quota,
                        audit_action: "lead.handed_over",
                        detail: json!({"hand_over_id": job.id, "reason": job.reason}),
                    },
                    now,
                    tz,
                )
                .map(|_| ()),
                HandOverKind::Customer => give_customer(conn, job, &lead, to, now),
            });
            match attempt {
                Ok(()) => {
                    moved = Some(to);
                    break;
                }
                Err(AppError::Rule { code, detail }) => {
                    refusal = (refusal_code(code), detail);
                }
                Err(AppError::Validation(errors)) => {
                    refusal = (
                        HandOverCode::ReceiverNotAllowed,
                        errors
                            .first()
                            .map(|e| e.message.clone())
                            .unwrap_or_default(),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        match moved {
            Some(to) => item(HandOverOutcome::Moved, Some(to), None, None, None),
            None => item(
                HandOverOutcome::Failed,
                None,
                None,
                Some(refusal.0),
                Some(refusal.1),
            ),
        }
    };
    Ok(repo::hand_overs::record(conn, &done)?.then_some(done))
}

fn refusal_code(code: ErrorCode) -> HandOverCode {
    match code {
        ErrorCode::ClaimQuotaExceeded => HandOverCode::ClaimQuotaExceeded,
        ErrorCode::UserInactive => HandOverCode::UserInactive,
        ErrorCode::UserOnLeave => HandOverCode::UserOnLeave,
        _ => HandOverCode::ReceiverNotAllowed,
    }
}

/// Gives a customer (a won lead, no open claim) to `to`: the receiver locked and checked
/// (active, not on leave; customers count toward no quota), the owner changed, the timeline,
/// audit trail and receiver told.
fn give_customer(
    conn: &mut PgConnection,
    job: &HandOver,
    lead: &Lead,
    to: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    lock_receiver(conn, to, lead.owner_id, now)?;
    let moved = repo::hand_overs::set_customer_owner(conn, lead.id, to, now)?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::Transferred,
            Some(job.requested_by),
            json!({"from_user_id": lead.owner_id, "to_user_id": to, "customer": true,
                   "hand_over_id": job.id, "reason": job.reason}),
            now,
        ),
    )?;
    Audit::of(
        Some(job.requested_by),
        "customer.handed_over",
        "lead",
        Some(lead.id),
        now,
    )
    .lead(lead.id)
    .change(
        Some(json!({"owner_id": lead.owner_id})),
        Some(json!({"owner_id": to, "hand_over_id": job.id})),
    )
    .write(conn)?;
    notify(
        conn,
        to,
        crate::domain::event::NotificationKind::LeadTransferred,
        &moved,
        format!("The customer {} was handed over to you", lead_label(&moved)),
        now,
    )
}
