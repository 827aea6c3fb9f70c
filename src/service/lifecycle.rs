//! The lead lifecycle: follow-ups and stages, the stored recycle state, the recycle sweep and its
//! warnings, release and transfer (with approvals), closing, and the agenda.
//!
//! Every end of a hold goes through [`end_hold`] (the sweep through [`sweep_batch`], its set-wise
//! twin) and every transfer through [`hand_over`], which write the claim record, the timeline and
//! the audit trail in the same transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::{Approval, Claim, FollowUp, Lead, Notification};
use crate::domain::claim::{ClaimEnd, ClaimStart};
use crate::domain::lead::Stage;
use crate::domain::leave::on_leave;
use crate::domain::recycle::{Hold, due};
use crate::domain::role::Role;
use crate::domain::rules::Rules;
use crate::error::AppError;
use crate::repo;
use crate::repo::lifecycle::{AgendaLead, HoldChanges};
use crate::service::audit::Audit;
use crate::service::claims::{local_day, pool_rules};
use crate::service::leads::event;

fn stage_of(lead: &Lead) -> Result<Option<Stage>, AppError> {
    lead.stage
        .as_deref()
        .map(|s| {
            s.parse()
                .map_err(|_| AppError::internal(format!("unknown stage {s:?}")))
        })
        .transpose()
}

fn notify(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: &str,
    lead: &Lead,
    message: String,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::leads::insert_notification(
        conn,
        &Notification {
            id: Uuid::now_v7(),
            user_id,
            kind: kind.into(),
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
    let (Some(stage), Some(claimed_at)) = (stage_of(lead)?, lead.claimed_at) else {
        return Ok(None);
    };
    if lead.state != "owned" {
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
    let reason = next.map(|d| d.reason.as_str().to_string());
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
            repo::lifecycle::release_row(conn, lead.id, "pooled", Some(pool), None, now)?
        }
        After::Converted => repo::lifecycle::release_row(
            conn,
            lead.id,
            "converted",
            lead.pool_id,
            Some(Stage::Won.as_str()),
            now,
        )?,
        After::Closed => repo::lifecycle::release_row(
            conn,
            lead.id,
            "closed",
            lead.pool_id,
            lead.stage.as_deref(),
            now,
        )?,
    };
    let claim = repo::claims::end_open(conn, lead.id, reason.as_str(), by, now)?;
    for approval in repo::lifecycle::obsolete_pending(conn, lead.id, now)? {
        repo::leads::insert_event(
            conn,
            &event(
                lead.id,
                "approval_obsolete",
                None,
                json!({"approval_id": approval.id, "kind": approval.kind}),
                now,
            ),
        )?;
    }
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
        &event(lead.id, "claim_ended", by, details.clone(), now),
    )?;
    Audit::of(by, &format!("lead.{}", reason.as_str()), "claim", Some(claim.as_ref().map_or(lead.id, |c| c.id)), now)
        .lead(lead.id)
        .change(Some(json!({"state": lead.state, "owner_id": lead.owner_id, "pool_id": lead.pool_id})), Some(json!({"state": updated.state, "owner_id": updated.owner_id, "pool_id": updated.pool_id})))
        .write(conn)?;
    Ok((updated, claim))
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
        code: "lead_not_owned",
        detail: format!("the lead is {}, not owned", lead.state),
    }
}

/// A follow-up to record.
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub type_: String,
    pub content: String,
    pub feedback: Option<String>,
    pub outcome: Option<String>,
    pub stage: Option<Stage>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub corrects_id: Option<Uuid>,
}

/// Records a follow-up on an owned lead (its owner; the owner's manager or an admin too, who
/// alone may move the stage back). A stage of `won` converts the lead; `lost` sends it back to its
/// pool (or closes it when the rules say `lost_leads: close`). The recycle time is recomputed in
/// the same transaction.
pub fn follow_up(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    input: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<(FollowUp, Lead), AppError> {
    let lead = lead_for_update(conn, actor, lead_id)?;
    let is_owner = lead.owner_id == Some(actor.id);
    let is_manager = manages_owner(conn, actor, &lead)?;
    if lead.state != "owned" {
        return Err(not_owned(&lead));
    }
    if !is_owner && !is_manager {
        return Err(AppError::Forbidden);
    }
    if let Some(at) = input.next_follow_up_at {
        if at <= now {
            return Err(AppError::validation(
                "next_follow_up_at",
                "not_in_future",
                "the next follow-up must be in the future",
            ));
        }
    }
    if let Some(corrects) = input.corrects_id {
        match repo::lifecycle::find_follow_up(conn, corrects)? {
            Some(f) if f.lead_id == lead.id => {}
            _ => {
                return Err(AppError::validation(
                    "corrects_id",
                    "not_found",
                    "no follow-up of this lead has this id",
                ));
            }
        }
    }
    let current = stage_of(&lead)?.unwrap_or(Stage::New);
    let rank = |s: Stage| Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let new_stage = input.stage.filter(|s| *s != current);
    if let Some(stage) = new_stage {
        let backward = rank(stage) < rank(current) && !matches!(stage, Stage::Lost);
        if backward && !is_manager {
            return Err(AppError::Rule {
                code: "stage_backward",
                detail: format!(
                    "the stage moves forward only ({current} → {stage}); a manager may move it back"
                ),
            });
        }
    }
    let (rules, _) = pool_rules(conn, lead.pool_id.ok_or(AppError::NotFound)?)?;
    let claim = repo::claims::open_for_lead(conn, lead.id)?;
    let record = FollowUp {
        id: Uuid::now_v7(),
        lead_id: lead.id,
        claim_id: claim.as_ref().map(|c| c.id),
        user_id: actor.id,
        type_: input.type_.clone(),
        content: input.content.clone(),
        feedback: input.feedback.clone(),
        outcome: input.outcome.clone(),
        stage_from: new_stage.map(|_| current.as_str().to_string()),
        stage_to: new_stage.map(|s| s.as_str().to_string()),
        next_follow_up_at: input.next_follow_up_at,
        corrects_id: input.corrects_id,
        created_at: now,
    };
    repo::lifecycle::insert_follow_up(conn, &record)?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            "follow_up",
            Some(actor.id),
            json!({"follow_up_id": record.id, "type": record.type_, "stage_from": record.stage_from,
                   "stage_to": record.stage_to, "corrects_id": record.corrects_id}),
            now,
        ),
    )?;
    match new_stage {
        Some(Stage::Won) => {
            let (lead, _) = end_hold(
                conn,
                &lead,
                ClaimEnd::Converted,
                Some(actor.id),
                After::Converted,
                json!({"follow_up_id": record.id}),
                now,
            )?;
            return Ok((record, lead));
        }
        Some(Stage::Lost) => {
            let pool = lead.pool_id.ok_or(AppError::NotFound)?;
            let (reason, after) = if rules.lost_leads == crate::domain::rules::LostLeads::Close {
                (ClaimEnd::Closed, After::Closed)
            } else {
                (ClaimEnd::Released, After::Pool(pool))
            };
            // A closed lead keeps its last stage: lost.
            let lost = Lead {
                stage: Some(Stage::Lost.as_str().into()),
                ..lead.clone()
            };
            let (lead, _) = end_hold(
                conn,
                &lost,
                reason,
                Some(actor.id),
                after,
                json!({"follow_up_id": record.id, "stage": "lost"}),
                now,
            )?;
            return Ok((record, lead));
        }
        _ => {}
    }
    let advanced = new_stage.is_some_and(|s| rank(s) > rank(current));
    let mut changes = HoldChanges {
        stage: new_stage.map(|s| Some(s.as_str().to_string())),
        last_follow_up_at: Some(Some(now)),
        follow_ups_since_progress: Some(if advanced || new_stage.is_some() {
            0
        } else {
            lead.follow_ups_since_progress + 1
        }),
        next_follow_up_at: Some(input.next_follow_up_at),
        updated_at: Some(now),
        ..HoldChanges::default()
    };
    let hold = Hold {
        stage: new_stage.unwrap_or(current),
        claimed_at: lead.claimed_at.unwrap_or(now),
        from_pool: lead.claimed_from_pool,
        last_follow_up_at: Some(now),
        follow_ups_since_progress: i64::from(changes.follow_ups_since_progress.unwrap_or(0)),
    };
    recycle_changes(&lead, &hold, &rules, &mut changes);
    let updated = repo::lifecycle::update_hold(conn, lead.id, &changes)?;
    Ok((record, updated))
}

/// What a release or transfer came to (a short-lived answer: its size does not matter).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Requested {
    /// Done at once.
    Done(Lead),
    /// Waiting for a manager.
    Pending(Approval),
}

/// What a request is for.
#[derive(Debug, Clone, Copy)]
enum ApprovalKind {
    Release,
    Transfer,
}

/// A new pending request about the hold `claim`.
fn pending(kind: ApprovalKind, claim: &Claim, requester: Uuid, now: DateTime<Utc>) -> Approval {
    Approval {
        id: Uuid::now_v7(),
        kind: match kind {
            ApprovalKind::Release => "release",
            ApprovalKind::Transfer => "transfer",
        }
        .into(),
        lead_id: claim.lead_id,
        claim_id: claim.id,
        requester_id: requester,
        status: "pending".into(),
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
fn request_approval(conn: &mut PgConnection, approval: Approval) -> Result<Approval, AppError> {
    repo::lifecycle::insert_approval(conn, &approval).map_err(pending_conflict)
}

fn pending_conflict(err: diesel::result::Error) -> AppError {
    match &err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        ) if info.constraint_name() == Some("approvals_one_pending_per_lead") => {
            AppError::Conflict {
                code: "approval_pending",
                detail: "a request about this lead is already waiting for a decision".into(),
            }
        }
        _ => err.into(),
    }
}

/// The owner gives a lead back: with a reason code from the pool's list (and a note for
/// `other`), optionally to another pool they belong to. When the pool requires approval, a
/// pending request is created and the lead stays with the owner.
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
    if lead.state != "owned" {
        return Err(not_owned(&lead));
    }
    if lead.owner_id != Some(actor.id) {
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
    if target != pool_id && !repo::pools::is_member(conn, target, actor.id)? {
        return Err(AppError::validation(
            "to_pool_id",
            "not_found",
            "no pool with this id that you belong to",
        ));
    }
    let claim = repo::claims::open_for_lead(conn, lead.id)?
        .ok_or_else(|| AppError::internal("an owned lead without an open claim"))?;
    if rules.release_requires_approval {
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
                "approval_requested",
                Some(actor.id),
                json!({"approval_id": approval.id, "kind": "release", "reason_code": reason_code}),
                now,
            ),
        )?;
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

/// Hands an owned lead to `to`: ends the claim as `transferred` and starts theirs, checking
/// the receiver (active, not on leave, within `max_owned` of the pool).
fn hand_over(
    conn: &mut PgConnection,
    lead: &Lead,
    to: Uuid,
    by: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Lead, AppError> {
    let pool_id = lead.pool_id.ok_or(AppError::NotFound)?;
    let (rules, _) = pool_rules(conn, pool_id)?;
    let receiver = repo::users::lock_for_claims(conn, to)?
        .ok_or_else(|| AppError::validation("to_user_id", "not_found", "no user has this id"))?;
    if !matches!(receiver.role.as_str(), "sales" | "manager") || Some(to) == lead.owner_id {
        return Err(AppError::validation(
            "to_user_id",
            "invalid_value",
            "leads are transferred to another salesperson or manager",
        ));
    }
    if !receiver.active {
        return Err(AppError::Rule {
            code: "user_inactive",
            detail: "the receiver is deactivated".into(),
        });
    }
    if on_leave(receiver.on_leave_from, receiver.on_leave_until, now) {
        return Err(AppError::Rule {
            code: "user_on_leave",
            detail: "the receiver is on leave".into(),
        });
    }
    let quota = rules.quota_for(receiver.tier);
    if let Some(max) = quota.max_owned {
        let owned = repo::claims::owned_counts(conn, pool_id, &[to])?
            .first()
            .map_or(0, |(_, n)| *n);
        if owned >= max {
            return Err(AppError::Rule {
                code: "claim_quota_exceeded",
                detail: format!(
                    "the receiver holds {owned} leads from this pool; the limit is {max}"
                ),
            });
        }
    }
    // The lead's row before the claims (the lock order every transaction keeps; see `end_hold`).
    let moved = repo::lifecycle::hand_over(conn, lead.id, to, now)?;
    let ended =
        repo::claims::end_open(conn, lead.id, ClaimEnd::Transferred.as_str(), Some(by), now)?;
    let claim = Claim {
        id: Uuid::now_v7(),
        lead_id: lead.id,
        pool_id: Some(pool_id),
        user_id: to,
        started_at: now,
        started_day: local_day(now, tz),
        started_how: ClaimStart::Transfer.as_str().into(),
        started_by: Some(by),
        quota_override: false,
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
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            "transferred",
            Some(by),
            json!({"from_user_id": lead.owner_id, "to_user_id": to, "ended_claim_id": ended.map(|c| c.id),
                   "claim_id": claim.id, "reason": reason}),
            now,
        ),
    )?;
    Audit::of(Some(by), "lead.transferred", "claim", Some(claim.id), now)
        .lead(lead.id)
        .change(
            Some(json!({"owner_id": lead.owner_id})),
            Some(json!({"owner_id": to})),
        )
        .write(conn)?;
    notify(
        conn,
        to,
        "lead_transferred",
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
    if lead.state != "owned" {
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
        let moved = hand_over(conn, &lead, to_user_id, actor.id, reason, now, tz)?;
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
                    code: "user_inactive",
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
            "approval_requested",
            Some(actor.id),
            json!({"approval_id": approval.id, "kind": "transfer", "to_user_id": to_user_id}),
            now,
        ),
    )?;
    Ok(Requested::Pending(approval))
}

/// Whether `actor` may decide `approval`: an admin, or the requester's manager (not the
/// requester).
fn may_decide(conn: &mut PgConnection, actor: &AuthUser, a: &Approval) -> Result<bool, AppError> {
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

fn already_decided(a: &Approval) -> AppError {
    AppError::Conflict {
        code: "approval_already_decided",
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
    if a.status != "pending" {
        return Err(already_decided(&a));
    }
    let lead = repo::leads::find_for_update(conn, a.lead_id)?.ok_or(AppError::NotFound)?;
    let open = repo::claims::open_for_lead(conn, lead.id)?;
    if open.as_ref().map(|c| c.id) != Some(a.claim_id) {
        let closed = repo::lifecycle::decide_approval(conn, a.id, "obsolete", None, None, now)?
            .ok_or_else(|| already_decided(&a))?;
        return Ok(closed);
    }
    let status = if approve { "approved" } else { "rejected" };
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
                "approval_approved"
            } else {
                "approval_rejected"
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
        "approval_decided",
        &lead,
        format!(
            "Your {} request for {} was {status}",
            a.kind,
            lead_label(&lead)
        ),
        now,
    )?;
    if approve {
        match a.kind.as_str() {
            "release" => {
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
            _ => {
                let to = a
                    .to_user_id
                    .ok_or_else(|| AppError::internal("transfer without receiver"))?;
                hand_over(conn, &lead, to, actor.id, a.note.clone(), now, tz)?;
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
    let cancelled =
        repo::lifecycle::decide_approval(conn, a.id, "cancelled", Some(actor.id), None, now)?
            .ok_or_else(|| already_decided(&a))?;
    repo::leads::insert_event(
        conn,
        &event(
            a.lead_id,
            "approval_cancelled",
            Some(actor.id),
            json!({"approval_id": a.id}),
            now,
        ),
    )?;
    Ok(cancelled)
}

/// A manager (of the owner, or a member of the lead's pool for a pooled lead) or an admin closes
/// a lead for good: invalid, spam, lost.
pub fn close(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Lead, AppError> {
    actor.require(&[Role::Manager, Role::Admin])?;
    let lead = repo::leads::find_for_update(conn, lead_id)?.ok_or(AppError::NotFound)?;
    let visible = match (actor.role, lead.state.as_str(), lead.pool_id) {
        (Role::Admin, _, _) => true,
        (_, "owned", _) => super::leads::may_read(conn, actor, &lead)?,
        (_, "pooled", Some(pool)) => repo::pools::is_member(conn, pool, actor.id)?,
        _ => false,
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    match lead.state.as_str() {
        "owned" => {
            let (lead, _) = end_hold(
                conn,
                &lead,
                ClaimEnd::Closed,
                Some(actor.id),
                After::Closed,
                json!({"close_reason": reason}),
                now,
            )?;
            Ok(lead)
        }
        "pooled" => {
            let closed =
                repo::lifecycle::release_row(conn, lead.id, "closed", lead.pool_id, None, now)?;
            repo::leads::insert_event(
                conn,
                &event(
                    lead.id,
                    "closed",
                    Some(actor.id),
                    json!({"close_reason": reason, "pool_id": lead.pool_id}),
                    now,
                ),
            )?;
            Audit::of(Some(actor.id), "lead.closed", "lead", Some(lead.id), now)
                .lead(lead.id)
                .change(
                    Some(json!({"state": "pooled"})),
                    Some(json!({"state": "closed", "reason": reason})),
                )
                .write(conn)?;
            Ok(closed)
        }
        _ => Err(AppError::Conflict {
            code: "lead_not_open",
            detail: format!("the lead is already {}", lead.state),
        }),
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// (lead, former owner, reason)
    pub recycled: Vec<(Uuid, Option<Uuid>, ClaimEnd)>,
    pub warned: usize,
}

/// Returns up to `batch` due leads to their pools (each exactly once, whatever runs at the same
/// time: due leads are locked with `SKIP LOCKED` and re-checked), then warns owners of leads due
/// within their pool's `warn_before_recycle_hours`.
pub fn sweep_batch(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<SweepReport, AppError> {
    let mut report = SweepReport::default();
    // The sweep's work is recomputed from stored state: should the server crash before this
    // commit reaches the disk, the same leads are simply due again. So it need not wait for the
    // flush, and leaves the disk to the claims and follow-ups that must.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("SET LOCAL synchronous_commit = off"),
        conn,
    )?;
    let due: Vec<Lead> = repo::lifecycle::due_for_update(conn, now, batch)?
        .into_iter()
        .filter(|l| l.recycle_reason.is_some() && l.pool_id.is_some())
        .collect();
    if due.is_empty() {
        return Ok(report);
    }
    // Set-wise: one statement ends the claims, one returns the leads, one closes pending requests;
    // the timeline, audit trail and notifications are inserted in bulk.
    // The leads first, then their claims (the order every transaction keeps; see `end_hold`).
    let ids: Vec<Uuid> = due.iter().map(|l| l.id).collect();
    let reasons: Vec<String> = due
        .iter()
        .map(|l| l.recycle_reason.clone().unwrap_or_default())
        .collect();
    repo::lifecycle::return_many(conn, &ids, now)?;
    let ended: std::collections::HashMap<Uuid, repo::lifecycle::EndedClaim> =
        repo::lifecycle::end_recycled_claims(conn, &ids, &reasons, now)?
            .into_iter()
            .map(|c| (c.lead_id, c))
            .collect();
    let mut events = Vec::with_capacity(due.len() * 2);
    for approval in repo::lifecycle::obsolete_pending_many(conn, &ids, now)? {
        events.push(event(
            approval.lead_id,
            "approval_obsolete",
            None,
            json!({"approval_id": approval.id, "kind": approval.kind}),
            now,
        ));
    }
    let mut audits = Vec::with_capacity(due.len());
    let mut notes = Vec::with_capacity(due.len());
    for lead in &due {
        let reason: ClaimEnd = lead
            .recycle_reason
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|_| AppError::internal("unknown recycle reason"))?;
        let claim = ended.get(&lead.id);
        events.push(event(
            lead.id,
            "claim_ended",
            None,
            json!({"reason": reason.as_str(), "claim_id": claim.map(|c| c.claim_id),
                   "user_id": lead.owner_id, "to_state": "pooled", "to_pool_id": lead.pool_id,
                   "recycle_at": lead.recycle_at}),
            now,
        ));
        audits.push(
            Audit::of(
                None,
                &format!("lead.{}", reason.as_str()),
                "claim",
                Some(claim.map_or(lead.id, |c| c.claim_id)),
                now,
            )
            .lead(lead.id)
            .change(
                Some(json!({"state": "owned", "owner_id": lead.owner_id, "pool_id": lead.pool_id})),
                Some(json!({"state": "pooled", "owner_id": null, "pool_id": lead.pool_id})),
            )
            .into_entry(),
        );
        if let Some(owner) = lead.owner_id {
            notes.push(Notification {
                id: Uuid::now_v7(),
                user_id: owner,
                kind: "recycled".into(),
                lead_id: Some(lead.id),
                message: format!(
                    "The lead {} went back to its pool ({})",
                    lead_label(lead),
                    reason.as_str()
                ),
                read_at: None,
                created_at: now,
            });
        }
        report.recycled.push((lead.id, lead.owner_id, reason));
    }
    repo::leads::insert_events(conn, &events)?;
    repo::audit::insert_many(conn, &audits)?;
    repo::lifecycle::insert_notifications(conn, &notes)?;
    Ok(report)
}

/// Warns owners of up to `limit` leads per pool due back within their pool's warning window (once
/// per recycle time): one statement marks a pool's leads, and the notifications and timeline
/// entries are inserted in bulk. Returns how many were warned; the sweep calls it again, in a
/// new transaction, until a call warns fewer than `limit` in every pool.
pub fn warn(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<Warned, AppError> {
    let mut warned = Warned::default();
    for pool in repo::pools::all(conn)? {
        let (rules, _) = pool_rules(conn, pool.id)?;
        let horizon = now + Duration::hours(rules.warn_before_recycle_hours);
        let mut notes = Vec::new();
        let mut events = Vec::new();
        let marked = repo::lifecycle::mark_warned(conn, pool.id, horizon, now, limit)?;
        warned.more |= marked.len() as i64 == limit;
        for lead in marked {
            let (Some(owner), Some(at)) = (lead.owner_id, lead.recycle_at) else {
                continue;
            };
            notes.push(Notification {
                id: Uuid::now_v7(),
                user_id: owner,
                kind: "recycle_warning".into(),
                lead_id: Some(lead.id),
                message: format!(
                    "The lead {} goes back to the pool at {at} ({}) unless you follow up",
                    lead_label(&lead),
                    lead.recycle_reason.as_deref().unwrap_or("")
                ),
                read_at: None,
                created_at: now,
            });
            events.push(event(
                lead.id,
                "recycle_warning",
                None,
                json!({"recycle_at": at, "reason": lead.recycle_reason}),
                now,
            ));
        }
        warned.count += notes.len();
        repo::lifecycle::insert_notifications(conn, &notes)?;
        repo::leads::insert_events(conn, &events)?;
    }
    Ok(warned)
}

/// What one call of [`warn`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Warned {
    pub count: usize,
    /// Some pool had more to warn than the call's limit.
    pub more: bool,
}

/// One item of a person's agenda.
#[derive(Debug, Clone)]
pub struct AgendaItem {
    pub lead: AgendaLead,
    /// `follow_up` or `recycle`.
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// The caller's due and overdue next follow-ups and their leads due back to the pool, up to
/// `horizon`, soonest first. One statement: it needs no transaction.
pub fn agenda(
    conn: &mut PgConnection,
    actor: &AuthUser,
    horizon: DateTime<Utc>,
) -> Result<Vec<AgendaItem>, AppError> {
    let mut items = Vec::new();
    for lead in repo::lifecycle::agenda(conn, actor.id, horizon)? {
        if let Some(at) = lead.next_follow_up_at.filter(|at| *at <= horizon) {
            items.push(AgendaItem {
                lead: lead.clone(),
                kind: "follow_up",
                at,
                reason: None,
            });
        }
        if let Some(at) = lead.recycle_at.filter(|at| *at <= horizon) {
            items.push(AgendaItem {
                reason: lead.recycle_reason.clone(),
                lead,
                kind: "recycle",
                at,
            });
        }
    }
    items.sort_by_key(|i| (i.at, i.lead.id));
    Ok(items)
}

/// One lead a rule set would send back.
#[derive(Debug, Clone)]
pub struct WouldRecycle {
    pub lead_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: ClaimEnd,
}

/// What a rule set would recycle: due now, within 24 hours, within 7 days (each includes the
/// earlier ones), soonest first.
#[derive(Debug, Clone, Default)]
pub struct RecycleForecast {
    pub now: Vec<WouldRecycle>,
    pub within_24h: Vec<WouldRecycle>,
    pub within_7d: Vec<WouldRecycle>,
}

/// A holder over a quota of the proposed rules.
#[derive(Debug, Clone)]
pub struct QuotaExcess {
    pub user_id: Uuid,
    pub tier: Option<i32>,
    pub owned: i64,
    pub max_owned: Option<i64>,
    pub claimed_today: i64,
    pub max_claims_per_day: Option<i64>,
}

/// The what-if of a proposed rule set for a pool: nothing is changed.
#[derive(Debug, Clone)]
pub struct Preview {
    pub current: RecycleForecast,
    pub proposed: RecycleForecast,
    /// Holders who would be over the proposed `max_owned`, or whose claims would be refused for
    /// the rest of today by the proposed daily limit.
    pub over_quota: Vec<QuotaExcess>,
}

fn forecast(leads: &[(Lead, Hold)], rules: &Rules, now: DateTime<Utc>) -> RecycleForecast {
    let mut all: Vec<WouldRecycle> = leads
        .iter()
        .filter_map(|(lead, hold)| {
            due(rules, hold).map(|d| WouldRecycle {
                lead_id: lead.id,
                owner_id: lead.owner_id,
                at: d.at,
                reason: d.reason,
            })
        })
        .filter(|w| w.at <= now + Duration::days(7))
        .collect();
    all.sort_by_key(|w| (w.at, w.lead_id));
    RecycleForecast {
        now: all.iter().filter(|w| w.at <= now).cloned().collect(),
        within_24h: all
            .iter()
            .filter(|w| w.at <= now + Duration::hours(24))
            .cloned()
            .collect(),
        within_7d: all,
    }
}

pub fn preview(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    proposed: &Rules,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Preview, AppError> {
    actor.require_admin()?;
    let errors = proposed.check();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (current, _) = pool_rules(conn, pool_id)?;
    let mut holds = Vec::new();
    for lead in repo::lifecycle::owned_in_pool(conn, pool_id)? {
        if let Some(hold) = hold_of(&lead)? {
            holds.push((lead, hold));
        }
    }
    let mut owners: Vec<Uuid> = holds.iter().filter_map(|(l, _)| l.owner_id).collect();
    owners.sort();
    owners.dedup();
    let owned: std::collections::HashMap<Uuid, i64> =
        repo::claims::owned_counts(conn, pool_id, &owners)?
            .into_iter()
            .collect();
    let today: std::collections::HashMap<Uuid, i64> =
        repo::claims::claimed_on_day_counts(conn, pool_id, &owners, local_day(now, tz))?
            .into_iter()
            .collect();
    let mut over_quota = Vec::new();
    for id in &owners {
        let Some(user) = repo::users::find(conn, *id)? else {
            continue;
        };
        let quota = proposed.quota_for(user.tier);
        let o = owned.get(&user.id).copied().unwrap_or(0);
        let t = today.get(&user.id).copied().unwrap_or(0);
        if quota.max_owned.is_some_and(|m| o > m)
            || quota.max_claims_per_day.is_some_and(|m| t >= m)
        {
            over_quota.push(QuotaExcess {
                user_id: user.id,
                tier: quota.tier,
                owned: o,
                max_owned: quota.max_owned,
                claimed_today: t,
                max_claims_per_day: quota.max_claims_per_day,
            });
        }
    }
    Ok(Preview {
        current: forecast(&holds, &current, now),
        proposed: forecast(&holds, proposed, now),
        over_quota,
    })
}
