//! Claim decisions: every claim, assignment and `next-lead` stores what it decided and why
//! (each candidate and the reasons it was skipped), and who may read it.

use super::*;
use crate::domain::claim::{DecisionKind, DecisionOutcome};
use crate::error::ErrorCode;

/// A decision to store.
pub(super) struct Draft<'a> {
    pub(super) kind: DecisionKind,
    pub(super) pool_id: Option<Uuid>,
    pub(super) lead_id: Option<Uuid>,
    pub(super) actor_id: Uuid,
    pub(super) candidates: &'a [Candidate],
}

pub(super) fn store_decision(
    conn: &mut PgConnection,
    draft: &Draft,
    chosen: Option<Uuid>,
    code: Option<ErrorCode>,
    now: DateTime<Utc>,
) -> Result<Decision, AppError> {
    let decision = decision_row(draft, chosen, code, now);
    repo::claims::insert_decision(conn, &decision)?;
    Ok(decision)
}

/// The row of `draft`'s decision: `chosen` assigned, or refused with `code`.
pub(super) fn decision_row(
    draft: &Draft,
    chosen: Option<Uuid>,
    code: Option<ErrorCode>,
    now: DateTime<Utc>,
) -> Decision {
    Decision {
        id: Uuid::now_v7(),
        kind: draft.kind,
        pool_id: draft.pool_id,
        lead_id: draft.lead_id,
        actor_id: Some(draft.actor_id),
        outcome: if chosen.is_some() {
            DecisionOutcome::Assigned
        } else {
            DecisionOutcome::Refused
        },
        chosen_user_id: chosen,
        code,
        candidates: serde_json::to_value(draft.candidates).unwrap_or(Value::Null),
        created_at: now,
    }
}

/// Stores a refusal and returns the error to answer. The caller commits (the decision is kept).
pub(super) fn refuse(
    conn: &mut PgConnection,
    draft: &Draft,
    reason: SkipReason,
    detail: String,
    now: DateTime<Utc>,
) -> Result<AppError, AppError> {
    let code = reason.refusal_code();
    let decision = store_decision(conn, draft, None, Some(code), now)?;
    let conflict = matches!(
        reason,
        SkipReason::AlreadyClaimed | SkipReason::NotTheirTurn | SkipReason::NoEligibleLead
    );
    Ok(AppError::Refused {
        conflict,
        code,
        detail,
        decision_id: decision.id,
        explanation: decision.candidates,
    })
}

pub(super) fn describe(reason: SkipReason, c: &Candidate) -> String {
    let limit = |v: Option<i64>| v.map_or("no limit".to_string(), |v| v.to_string());
    match reason {
        SkipReason::AtMaxOwned => format!(
            "holds {} leads from this pool; the limit is {}",
            c.owned,
            limit(c.max_owned)
        ),
        SkipReason::DailyLimit => format!(
            "made {} claims from this pool today; the daily limit is {}",
            c.claimed_today,
            limit(c.max_claims_per_day)
        ),
        SkipReason::Cooldown => match c.cooldown_until {
            Some(until) => format!("held this lead before; may take it again from {until}"),
            None => "held this lead before and the cooldown has not passed".into(),
        },
        SkipReason::GradeNotAllowed => format!(
            "tier {} may not claim leads of this grade",
            c.tier.map_or("-".to_string(), |t| t.to_string())
        ),
        SkipReason::OnLeave => "is on leave".into(),
        SkipReason::Inactive => "is deactivated".into(),
        SkipReason::NotMember => "is not a member of this pool".into(),
        SkipReason::NotTheirTurn => {
            "others in the rotation are behind; wait for them to take theirs".into()
        }
        SkipReason::NoEligibleLead => "there is no pooled lead to hand out".into(),
        SkipReason::AlreadyClaimed => {
            "the lead is no longer in the pool: it is already held".into()
        }
    }
}

/// Stores the refusal of one candidate for `reason` (about `pool_id` and, when known, a lead)
/// and returns the error to answer.
pub(super) fn refuse_candidate(
    conn: &mut PgConnection,
    kind: DecisionKind,
    (pool_id, lead_id): (Uuid, Option<Uuid>),
    actor_id: Uuid,
    candidate: Candidate,
    reason: SkipReason,
    now: DateTime<Utc>,
) -> Result<AppError, AppError> {
    let detail = describe(reason, &candidate);
    let candidates = [candidate];
    let d = Draft {
        kind,
        pool_id: Some(pool_id),
        lead_id,
        actor_id,
        candidates: &candidates,
    };
    refuse(conn, &d, reason, detail, now)
}

/// Decisions `actor` may read: admins all; managers those about their teams' members; others
/// their own.
pub fn may_read_decision(
    conn: &mut PgConnection,
    actor: &AuthUser,
    decision: &Decision,
) -> Result<bool, AppError> {
    let about = [decision.actor_id, decision.chosen_user_id];
    Ok(match actor.role {
        Role::Admin => true,
        Role::Sales => about.contains(&Some(actor.id)),
        Role::Manager => {
            let mut visible = false;
            for who in about.into_iter().flatten() {
                visible |= repo::users::is_managed_by(conn, who, actor.id)?;
            }
            visible
        }
    })
}
