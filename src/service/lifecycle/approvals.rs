//! Deciding and cancelling pending releases and transfers, and who may read them.

use super::*;
use crate::domain::approval::{ApprovalKind, ApprovalStatus};

/// Whether `actor` may decide `approval`: an admin, or the requester's manager (not the
/// requester).
pub(super) fn may_decide(
    conn: &mut PgConnection,
    actor: &AuthUser,
    a: &Approval,
) -> Result<bool, AppError> {
    Ok(match actor.role {
        Role::Admin => a.requester_id != actor.id,
        Role::Manager => {
            a.requester_id != actor.id
                && repo::users::is_managed_by(conn, a.requester_id, actor.id)?
        }
        Role::Sales => false,
    })
}

/// Whether `actor` may read `approval`.
pub fn may_read_approval(
    conn: &mut PgConnection,
    actor: &AuthUser,
    a: &Approval,
) -> Result<bool, AppError> {
    Ok(a.requester_id == actor.id || actor.role == Role::Admin || may_decide(conn, actor, a)?)
}

pub fn get_approval(
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
) -> Result<Approval, AppError> {
    let a = repo::lifecycle::find_approval(conn, id)?.ok_or(AppError::NotFound)?;
    if may_read_approval(conn, actor, &a)? {
        Ok(a)
    } else {
        Err(AppError::NotFound)
    }
}

pub(super) fn already_decided(a: &Approval) -> AppError {
    AppError::Conflict {
        code: ErrorCode::ApprovalAlreadyDecided,
        detail: format!("this request is already {}", a.status),
    }
}

/// Approves or rejects a pending request, applying an approval's effect in the same
/// transaction. If the lead left the requester meanwhile, the request is closed as `obsolete`.
pub fn decide(
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
    approve: bool,
    comment: Option<String>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Approval, AppError> {
    let a = repo::lifecycle::find_approval_for_update(conn, id)?.ok_or(AppError::NotFound)?;
    if !may_read_approval(conn, actor, &a)? {
        return Err(AppError::NotFound);
    }
    if !may_decide(conn, actor, &a)? {
        return Err(AppError::Forbidden);
    }
    if a.status != ApprovalStatus::Pending {
        return Err(already_decided(&a));
    }
    let lead = repo::leads::find_for_update(conn, a.lead_id)?.ok_or(AppError::NotFound)?;
    let open = repo::claims::open_for_lead(conn, lead.id)?;
    if open.as_ref().map(|c| c.id) != Some(a.claim_id) {
        let closed = repo::lifecycle::decide_approval(
            conn,
            a.id,
            ApprovalStatus::Obsolete,
            None,
            None,
            now,
        )?
        .ok_or_else(|| already_decided(&a))?;
        return Ok(closed);
    }
    let status = if approve {
        ApprovalStatus::Approved
    } else {
        ApprovalStatus::Rejected
    };
    let decided = repo::lifecycle::decide_approval(
        conn,
        a.id,
        status,
        Some(actor.id),
        comment.as_deref(),
        now,
    )?
    .ok_or_else(|| already_decided(&a))?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            if approve {
                crate::domain::event::LeadEventKind::ApprovalApproved
            } else {
                crate::domain::event::LeadEventKind::ApprovalRejected
            },
            Some(actor.id),
            json!({"approval_id": a.id, "kind": a.kind, "comment": comment}),
            now,
        ),
    )?;
    Audit::of(
        Some(actor.id),
        &format!("approval.{status}"),
        "approval",
        Some(a.id),
        now,
    )
    .lead(lead.id)
    .change(
        Some(json!({"status": "pending"})),
        Some(json!({"status": status, "comment": comment})),
    )
    .write(conn)?;
    notify(
        conn,
        a.requester_id,
        crate::domain::event::NotificationKind::ApprovalDecided,
        &lead,
        format!(
            "Your {} request for {} was {status}",
            a.kind,
            lead_label(&lead)
        ),
        now,
    )?;
    if approve {
        match a.kind {
            ApprovalKind::Release => {
                let pool = a.to_pool_id.or(lead.pool_id).ok_or(AppError::NotFound)?;
                end_hold(
                    conn,
                    &lead,
                    ClaimEnd::Released,
                    Some(a.requester_id),
                    After::Pool(pool),
                    json!({"approval_id": a.id, "reason_code": a.reason_code, "note": a.note}),
                    now,
                )?;
            }
            ApprovalKind::Transfer => {
                let to = a
                    .to_user_id
                    .ok_or_else(|| AppError::internal("transfer without receiver"))?;
                hand_over(
                    conn,
                    &lead,
                    to,
                    actor.id,
                    Handing::transfer(a.note.clone()),
                    now,
                    tz,
                )?;
            }
        }
    }
    Ok(decided)
}

/// The requester withdraws a pending request.
pub fn cancel(
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Approval, AppError> {
    let a = repo::lifecycle::find_approval_for_update(conn, id)?.ok_or(AppError::NotFound)?;
    if !may_read_approval(conn, actor, &a)? {
        return Err(AppError::NotFound);
    }
    if a.requester_id != actor.id {
        return Err(AppError::Forbidden);
    }
    let cancelled = repo::lifecycle::decide_approval(
        conn,
        a.id,
        ApprovalStatus::Cancelled,
        Some(actor.id),
        None,
        now,
    )?
    .ok_or_else(|| already_decided(&a))?;
    repo::leads::insert_event(
        conn,
        &event(
            a.lead_id,
            crate::domain::event::LeadEventKind::ApprovalCancelled,
            Some(actor.id),
            json!({"approval_id": a.id}),
            now,
        ),
    )?;
    Ok(cancelled)
}

/// Which side of a request a listing reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalSide {
    /// Requests the caller made.
    Requester,
    /// Requests the caller may decide (managers: their teams'; admins: all).
    Approver,
}

/// One page of release and transfer requests, newest first: as approver by default (salespeople:
/// as requester, since they approve nothing).
pub fn list_approvals(
    conn: &mut PgConnection,
    actor: &AuthUser,
    side: Option<ApprovalSide>,
    status: Option<ApprovalStatus>,
    lead_id: Option<Uuid>,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<Approval>, AppError> {
    let side = side.unwrap_or(match actor.role {
        Role::Sales => ApprovalSide::Requester,
        _ => ApprovalSide::Approver,
    });
    let scope = match (side, actor.role) {
        (ApprovalSide::Requester, _) => ApprovalScope::RequestedBy(actor.id),
        (ApprovalSide::Approver, Role::Admin) => ApprovalScope::All,
        (ApprovalSide::Approver, Role::Manager) => ApprovalScope::ApprovableBy(actor.id),
        (ApprovalSide::Approver, Role::Sales) => return Err(AppError::Forbidden),
    };
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::lifecycle::list_approvals(conn, &scope, status, lead_id, after, n),
        |a| a.id,
    )?)
}
