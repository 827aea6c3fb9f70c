//! The lead lifecycle: follow-ups and stages, the stored recycle state, the recycle sweep and its
//! warnings, release and transfer (with approvals), closing, and the agenda.
//!
//! Every end of a hold goes through [`end_hold`] (the sweep through [`sweep_batch`], its set-wise
//! twin) and every transfer through [`hand_over`], which write the claim record, the timeline and
//! the audit trail in the same transaction.

mod agenda;
mod approvals;
mod close;
mod departure;
mod follow_ups;
mod hand_over;
mod notifications;
mod preview;
mod sweep;

pub use agenda::*;
pub use approvals::*;
pub use close::*;
pub use departure::*;
pub use follow_ups::*;
pub use hand_over::*;
pub use notifications::*;
pub use preview::*;
pub use sweep::*;

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::{Approval, Claim, FollowUp, Lead, Notification};
use crate::domain::claim::{ClaimEnd, ClaimStart};
use crate::domain::follow_up::FollowUpType;
use crate::domain::lead::{LeadState, Stage};
use crate::domain::leave::on_leave;
use crate::domain::page::{Cursor, Limit, Paged, fetch_page};
use crate::domain::recycle::{Hold, due};
use crate::domain::role::Role;
use crate::domain::rules::Rules;
use crate::error::{AppError, ErrorCode};
use crate::repo;
use crate::repo::lifecycle::{AgendaLead, ApprovalScope, FollowUpFilter, HoldChanges};
use crate::service::audit::Audit;
use crate::service::claims::{local_day, pool_rules};
use crate::service::leads::event;

fn notify(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: crate::domain::event::NotificationKind,
    lead: &Lead,
    message: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::leads::insert_notification(
        conn,
        &Notification {
            id: Uuid::now_v7(),
            user_id,
            kind,
            lead_id: Some(lead.id),
            message,
            read_at: None,
            created_at: now,
        },
    )?;
    Ok(())
}

fn lead_label(lead: &Lead) -> String {
    lead.company
        .as_deref()
        .or(lead.name.as_deref())
        .unwrap_or("(unnamed)")
        .to_string()
}

/// The hold of an owned lead, as the recycle rules see it.
pub fn hold_of(lead: &Lead) -> Result<Option<Hold>, AppError> {
    let (Some(stage), Some(claimed_at)) = (lead.stage, lead.claimed_at) else {
        return Ok(None);
    };
    if lead.state != crate::domain::lead::LeadState::Owned {
        return Ok(None);
    }
    Ok(Some(Hold {
        stage,
        claimed_at,
        from_pool: lead.claimed_from_pool,
        last_follow_up_at: lead.last_follow_up_at,
        follow_ups_since_progress: i64::from(lead.follow_ups_since_progress),
    }))
}

/// The recycle columns for `hold` under `rules` (a moved recycle time clears the warning).
fn recycle_changes(lead: &Lead, hold: &Hold, rules: &Rules, changes: &mut HoldChanges) {
    let next = due(rules, hold);
    let at = next.map(|d| d.at);
    let reason = next.map(|d| d.reason);
    if at != lead.recycle_at || reason != lead.recycle_reason {
        changes.recycle_at = Some(at);
        changes.recycle_reason = Some(reason);
        if at != lead.recycle_at {
            changes.recycle_warned_at = Some(None);
        }
    }
}

/// Recomputes the stored recycle time of every owned lead of a pool (after a rule change).
pub fn recompute_pool(
    conn: &mut PgConnection,
    pool_id: Uuid,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut changed = 0;
    for lead in repo::lifecycle::owned_in_pool(conn, pool_id)? {
        let Some(hold) = hold_of(&lead)? else {
            continue;
        };
        let mut changes = HoldChanges::default();
        recycle_changes(&lead, &hold, rules, &mut changes);
        if changes.recycle_at.is_some() || changes.recycle_reason.is_some() {
            changes.updated_at = Some(now);
            repo::lifecycle::update_hold(conn, lead.id, &changes)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Where a lead goes when its hold ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Back to this pool, pooled.
    Pool(Uuid),
    Converted,
    Closed,
}

/// Ends the hold of an owned lead: closes its claim with `reason`, moves the lead on, closes
/// pending approvals as obsolete, writes the timeline and the audit trail.
pub fn end_hold(
    conn: &mut PgConnection,
    lead: &Lead,
    reason: ClaimEnd,
    by: Option<Uuid>,
    after: After,
    detail: Value,
    now: DateTime<Utc>,
) -> Result<(Lead, Option<Claim>), AppError> {
    // The lead's row first, then its claim: the lock order every transaction keeps
    // (migrations/README.md); the claim/owner consistency check is deferred to commit.
    let updated = match after {
        After::Pool(pool) => {
            repo::lifecycle::release_row(conn, lead.id, LeadState::Pooled, Some(pool), None, now)?
        }
        // A won lead stays with the person who won it, as their customer (no open claim).
        After::Converted => repo::lifecycle::update_hold(
            conn,
            lead.id,
            &repo::lifecycle::HoldChanges::customer(lead.owner_id, lead.pool_id, now),
        )?,
        After::Closed => repo::lifecycle::release_row(
            conn,
            lead.id,
            LeadState::Closed,
            lead.pool_id,
            lead.stage,
            now,
        )?,
    };
    let claim = repo::claims::end_open(conn, lead.id, reason.as_str(), by, now)?;
    close_obsolete_requests(conn, lead.id, now)?;
    let mut details = json!({
        "reason": reason.as_str(),
        "claim_id": claim.as_ref().map(|c| c.id),
        "user_id": lead.owner_id,
        "to_state": updated.state,
        "to_pool_id": updated.pool_id,
    });
    if let (Some(target), Some(extra)) = (details.as_object_mut(), detail.as_object()) {
        for (k, v) in extra {
            target.insert(k.clone(), v.clone());
        }
    }
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::ClaimEnded,
            by,
            details.clone(),
            now,
        ),
    )?;
    Audit::of(by, &format!("lead.{}", reason.as_str()), "claim", Some(claim.as_ref().map_or(lead.id, |c| c.id)), now)
        .lead(lead.id)
        .change(Some(json!({"state": lead.state, "owner_id": lead.owner_id, "pool_id": lead.pool_id})), Some(json!({"state": updated.state, "owner_id": updated.owner_id, "pool_id": updated.pool_id})))
        .write(conn)?;
    Ok((updated, claim))
}

/// Closes the lead's pending requests as obsolete (its hold ended or changed hands), each with
/// its timeline entry.
fn close_obsolete_requests(
    conn: &mut PgConnection,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    for approval in repo::lifecycle::obsolete_pending(conn, lead_id, now)? {
        repo::leads::insert_event(
            conn,
            &event(
                lead_id,
                crate::domain::event::LeadEventKind::ApprovalObsolete,
                None,
                json!({"approval_id": approval.id, "kind": approval.kind}),
                now,
            ),
        )?;
    }
    Ok(())
}

/// May `actor` act on `lead` as its owner's manager (or an admin)?
fn manages_owner(conn: &mut PgConnection, actor: &AuthUser, lead: &Lead) -> Result<bool, AppError> {
    Ok(match (actor.role, lead.owner_id) {
        (Role::Admin, _) => true,
        (Role::Manager, Some(owner)) => {
            owner != actor.id && repo::users::is_managed_by(conn, owner, actor.id)?
        }
        _ => false,
    })
}

/// A lead `actor` may read, locked for update; 404 otherwise.
fn lead_for_update(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<Lead, AppError> {
    let lead = repo::leads::find_for_update(conn, id)?.ok_or(AppError::NotFound)?;
    if !super::leads::may_read(conn, actor, &lead)? {
        return Err(AppError::NotFound);
    }
    Ok(lead)
}

fn not_owned(lead: &Lead) -> AppError {
    AppError::Conflict {
        code: ErrorCode::LeadNotOwned,
        detail: format!("the lead is {}, not owned", lead.state),
    }
}
