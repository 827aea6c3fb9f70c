//! Release and transfer: done at once when the rules allow, otherwise a pending approval
//! for the owner's manager. Every change of owner goes through [`hand_over`].

use super::*;
use crate::domain::approval::{ApprovalKind, ApprovalStatus};

/// What a release or transfer came to (a short-lived answer: its size does not matter).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Requested {
    /// Done at once.
    Done(Lead),
    /// Waiting for a manager.
    Pending(Approval),
}

/// A new pending request about the hold `claim`.
pub(super) fn pending(
    kind: ApprovalKind,
    claim: &Claim,
    requester: Uuid,
    now: DateTime<Utc>,
) -> Approval {
    Approval {
        id: Uuid::now_v7(),
        kind,
        lead_id: claim.lead_id,
        claim_id: claim.id,
        requester_id: requester,
        status: ApprovalStatus::Pending,
        reason_code: None,
        note: None,
        to_pool_id: None,
        to_user_id: None,
        decided_by: None,
        comment: None,
        decided_at: None,
        created_at: now,
    }
}

/// Stores a pending request; a second pending one for the same lead is 409 `approval_pending`.
pub(super) fn request_approval(
    conn: &mut PgConnection,
    approval: Approval,
) -> Result<Approval, AppError> {
    repo::lifecycle::insert_approval(conn, &approval).map_err(pending_conflict)
}

pub(super) fn pending_conflict(err: diesel::result::Error) -> AppError {
    match &err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        ) if info.constraint_name() == Some("approvals_one_pending_per_lead") => {
            AppError::Conflict {
                code: ErrorCode::ApprovalPending,
                detail: "a request about this lead is already waiting for a decision".into(),
            }
        }
        _ => err.into(),
    }
}

/// The owner gives a lead back: with a reason code from the pool's list (and a note for
/// `other`), optionally to another pool they belong to. When the pool requires approval, a
/// pending request is created and the lead stays with the owner. The owner's manager or an admin
/// releases at once (they are the ones who would approve it): into the lead's pool or another
/// pool they belong to (an admin: any pool).
pub fn release(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    reason_code: String,
    note: Option<String>,
    to_pool_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Requested, AppError> {
    let lead = lead_for_update(conn, actor, lead_id)?;
    if lead.state != crate::domain::lead::LeadState::Owned {
        return Err(not_owned(&lead));
    }
    let by_supervisor = lead.owner_id != Some(actor.id);
    if by_supervisor && !manages_owner(conn, actor, &lead)? {
        return Err(AppError::Forbidden);
    }
    let pool_id = lead.pool_id.ok_or(AppError::NotFound)?;
    let (rules, _) = pool_rules(conn, pool_id)?;
    if !rules.release_reasons.contains(&reason_code) {
        return Err(AppError::validation(
            "reason_code",
            "invalid_value",
            format!("must be one of: {}", rules.release_reasons.join(", ")),
        ));
    }
    if reason_code == "other" && note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(AppError::validation(
            "note",
            "required",
            "a release for `other` needs a note",
        ));
    }
    let target = to_pool_id.unwrap_or(pool_id);
    let may_use = match actor.role {
        Role::Admin => repo::pools::find(conn, target)?.is_some(),
        _ => repo::pools::is_member(conn, target, actor.id)?,
    };
    if target != pool_id && !may_use {
        return Err(AppError::validation(
            "to_pool_id",
            "not_found",
            "no pool with this id that you belong to",
        ));
    }
    let claim = repo::claims::open_for_lead(conn, lead.id)?
        .ok_or_else(|| AppError::internal("an owned lead without an open claim"))?;
    if rules.release_requires_approval && !by_supervisor {
        let approval = request_approval(
            conn,
            Approval {
                reason_code: Some(reason_code.clone()),
                note: note.clone(),
                to_pool_id: Some(target),
                ..pending(ApprovalKind::Release, &claim, actor.id, now)
            },
        )?;
        repo::leads::insert_event(
            conn,
            &event(
                lead.id,
                crate::domain::event::LeadEventKind::ApprovalRequested,
                Some(actor.id),
                json!({"approval_id": approval.id, "kind": "release", "reason_code": reason_code}),
                now,
            ),
        )?;
        tell_approver(conn, actor.id, &lead, "release", now)?;
        return Ok(Requested::Pending(approval));
    }
    let (lead, _) = end_hold(
        conn,
        &lead,
        ClaimEnd::Released,
        Some(actor.id),
        After::Pool(target),
        json!({"reason_code": reason_code, "note": note}),
        now,
    )?;
    Ok(Requested::Done(lead))
}

/// How a hold changes hands: a transfer (one lead, by its owner's manager or on an approved
/// request) or a departure's hand-over (everything a person holds, see [`super::departure`]).
pub(super) struct Handing {
    pub start: ClaimStart,
    pub end: ClaimEnd,
    /// An admin's explicit override of the receiver's `max_owned` (recorded on the claim).
    pub quota_override: bool,
    pub audit_action: &'static str,
    /// Merged into the timeline entry's details.
    pub detail: Value,
}

impl Handing {
    pub(super) fn transfer(reason: Option<String>) -> Self {
        Self {
            start: ClaimStart::Transfer,
            end: ClaimEnd::Transferred,
            quota_override: false,
            audit_action: "lead.transferred",
            detail: json!({ "reason": reason }),
        }
    }
}

/// Locks the receiver of a lead (`to`, whose row every claim for them key-share locks) and
/// checks they may take it: a salesperson or manager other than the owner, active, not on leave.
/// Refusals are 422 (`validation_failed` on `to_user_id`, `user_inactive`, `user_on_leave`).
pub(super) fn lock_receiver(
    conn: &mut PgConnection,
    to: Uuid,
    owner: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<crate::db::models::User, AppError> {
    let receiver = repo::users::lock_for_claims(conn, to)?
        .ok_or_else(|| AppError::validation("to_user_id", "not_found", "no user has this id"))?;
    if !matches!(receiver.role.as_str(), "sales" | "manager") || Some(to) == owner {
        return Err(AppError::validation(
            "to_user_id",
            "invalid_value",
            "leads go to another salesperson or manager",
        ));
    }
    if !receiver.active {
        return Err(AppError::Rule {
            code: ErrorCode::UserInactive,
            detail: "the receiver is deactivated".into(),
        });
    }
    if on_leave(receiver.on_leave_from, receiver.on_leave_until, now) {
        return Err(AppError::Rule {
            code: ErrorCode::UserOnLeave,
            detail: "the receiver is on leave".into(),
        });
    }
    Ok(receiver)
}

/// Hands an owned lead to `to`: ends the claim (`transferred`, or as `how` says) and starts
/// theirs, checking the receiver (active, not on leave, within `max_owned` of the pool unless
/// overridden); pending requests about the lead are closed as obsolete. Refusals come before
/// any write.
pub(super) fn hand_over(
    conn: &mut PgConnection,
    lead: &Lead,
    to: Uuid,
    by: Uuid,
    how: Handing,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Lead, AppError> {
    let pool_id = lead.pool_id.ok_or(AppError::NotFound)?;
    let (rules, _) = pool_rules(conn, pool_id)?;
    let receiver = lock_receiver(conn, to, lead.owner_id, now)?;
    let quota = rules.quota_for(receiver.tier);
    if let Some(max) = quota.max_owned.filter(|_| !how.quota_override) {
        let owned = repo::claims::owned_counts(conn, pool_id, &[to])?
            .first()
            .map_or(0, |(_, n)| *n);
        if owned >= max {
            return Err(AppError::Rule {
                code: ErrorCode::ClaimQuotaExceeded,
                detail: format!(
                    "the receiver holds {owned} leads from this pool; the limit is {max}"
                ),
            });
        }
    }
    // The lead's row before the claims (the lock order every transaction keeps; see `end_hold`).
    let moved = repo::lifecycle::hand_over(conn, lead.id, to, now)?;
    let ended = repo::claims::end_open(conn, lead.id, how.end.as_str(), Some(by), now)?;
    let claim = Claim {
        id: Uuid::now_v7(),
        lead_id: lead.id,
        pool_id: Some(pool_id),
        user_id: to,
        started_at: now,
        started_day: local_day(now, tz),
        started_how: how.start,
        started_by: Some(by),
        quota_override: how.quota_override,
        decision_id: None,
        ended_at: None,
        end_reason: None,
        ended_by: None,
    };
    repo::claims::insert(conn, &claim)?;
    let mut changes = HoldChanges::default();
    if let Some(hold) = hold_of(&moved)? {
        recycle_changes(&moved, &hold, &rules, &mut changes);
    }
    let moved = if changes.recycle_at.is_some() || changes.recycle_reason.is_some() {
        repo::lifecycle::update_hold(conn, lead.id, &changes)?
    } else {
        moved
    };
    close_obsolete_requests(conn, lead.id, now)?;
    let mut details = json!({"from_user_id": lead.owner_id, "to_user_id": to,
                             "ended_claim_id": ended.map(|c| c.id), "claim_id": claim.id});
    if let (Some(target), Some(extra)) = (details.as_object_mut(), how.detail.as_object()) {
        target.extend(extra.clone());
    }
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::Transferred,
            Some(by),
            details,
            now,
        ),
    )?;
    Audit::of(Some(by), how.audit_action, "claim", Some(claim.id), now)
        .lead(lead.id)
        .change(
            Some(json!({"owner_id": lead.owner_id})),
            Some(json!({"owner_id": to})),
        )
        .write(conn)?;
    notify(
        conn,
        to,
        crate::domain::event::NotificationKind::LeadTransferred,
        &moved,
        format!("The lead {} was transferred to you", lead_label(&moved)),
        now,
    )?;
    Ok(moved)
}

/// Transfers an owned lead to another person: the owner's request waits for approval; the
/// owner's manager or an admin transfers at once.
#[allow(clippy::too_many_arguments)]
pub fn transfer(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    to_user_id: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Requested, AppError> {
    let lead = lead_for_update(conn, actor, lead_id)?;
    if lead.state != crate::domain::lead::LeadState::Owned {
        return Err(not_owned(&lead));
    }
    if manages_owner(conn, actor, &lead)? {
        if actor.role == Role::Manager && !repo::users::is_managed_by(conn, to_user_id, actor.id)? {
            return Err(AppError::validation(
                "to_user_id",
                "not_found",
                "no user with this id in your teams",
            ));
        }
        let moved = hand_over(
            conn,
            &lead,
            to_user_id,
            actor.id,
            Handing::transfer(reason),
            now,
            tz,
        )?;
        return Ok(Requested::Done(moved));
    }
    if lead.owner_id != Some(actor.id) {
        return Err(AppError::Forbidden);
    }
    match repo::users::find(conn, to_user_id)? {
        Some(u) if matches!(u.role.as_str(), "sales" | "manager") && u.id != actor.id => {
            // Refused now, as a manager's direct transfer is, rather than left pending for an
            // approval that could only fail.
            if !u.active {
                return Err(AppError::Rule {
                    code: ErrorCode::UserInactive,
                    detail: "the receiver is deactivated".into(),
                });
            }
        }
        _ => {
            return Err(AppError::validation(
                "to_user_id",
                "not_found",
                "no other salesperson has this id",
            ));
        }
    }
    let claim = repo::claims::open_for_lead(conn, lead.id)?
        .ok_or_else(|| AppError::internal("an owned lead without an open claim"))?;
    let approval = request_approval(
        conn,
        Approval {
            note: reason,
            to_user_id: Some(to_user_id),
            ..pending(ApprovalKind::Transfer, &claim, actor.id, now)
        },
    )?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::ApprovalRequested,
            Some(actor.id),
            json!({"approval_id": approval.id, "kind": "transfer", "to_user_id": to_user_id}),
            now,
        ),
    )?;
    tell_approver(conn, actor.id, &lead, "transfer", now)?;
    Ok(Requested::Pending(approval))
}

/// Tells who decides first of a new request: the requester's team's manager, or the nearest
/// manager above when the team has none (any manager above may decide it; admins too).
fn tell_approver(
    conn: &mut PgConnection,
    requester: Uuid,
    lead: &Lead,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(approver) = repo::teams::approver_of(conn, requester)? {
        notify(
            conn,
            approver,
            crate::domain::event::NotificationKind::ApprovalRequested,
            lead,
            format!(
                "A {kind} of the lead {} waits for your decision",
                lead_label(lead)
            ),
            now,
        )?;
    }
    Ok(())
}
