//! `POST /leads/{id}/claim`: a pool member claims a named pooled lead.

use super::*;
use crate::domain::claim::DecisionKind;
use crate::error::ErrorCode;

/// `POST /leads/{id}/claim`: the caller claims a named pooled lead of a pool they belong to.
/// A refusal is stored with its reasons and returned as `Ok(Err(..))`.
///
/// Runs on a connection outside any transaction: everything the claim decides on is read in one
/// statement, and when no quota counts the claimer's holds the claim is one more statement (the
/// conditional update with its facts, atomic on its own). When a quota counts them, the
/// claimer's row is locked and their holds counted in a transaction that also takes the lead,
/// so two claims of one person cannot both pass a limit.
pub fn claim(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Result<Taken, AppError>, AppError> {
    let view = repo::holds::claim_view(conn, lead_id, actor.id)?.ok_or(AppError::NotFound)?;
    if !view.member {
        return Err(AppError::NotFound);
    }
    // A lead that is out of the pool is answered like an id no lead has unless the caller may
    // read it (their own, or one of the people they manage): a claim is no way to learn that a
    // colleague's lead exists, and no decision is stored for it.
    if view.state != crate::domain::lead::LeadState::Pooled
        && !crate::service::leads::may_read_owned_by(conn, actor, view.owner_id)?
    {
        return Err(AppError::NotFound);
    }
    let pool_id = view.pool_id;
    let rules = stored_rules(pool_id, &view.rules)?;
    if rules.claim_mode == ClaimMode::RoundRobin {
        return Err(AppError::Rule {
            code: ErrorCode::ClaimModeMismatch,
            detail: "this pool hands leads out in turn: use POST /api/v1/pools/{id}/next-lead"
                .into(),
        });
    }
    let grade = view.grade;
    let ctx = Context {
        pool_id,
        rules: &rules,
        now,
        today: local_day(now, tz),
    };
    let decide = |conn: &mut PgConnection, facts: Facts, quota: Quota| {
        let mut candidate = assess(&facts, &quota, Some(grade), now);
        if view.state != crate::domain::lead::LeadState::Pooled {
            candidate.reasons.insert(0, SkipReason::AlreadyClaimed);
            candidate.eligible = false;
        }
        if let Some(reason) = leading_reason(&candidate.reasons) {
            let at = (pool_id, Some(lead_id));
            return Ok(Err(refuse_candidate(
                conn,
                DecisionKind::Claim,
                at,
                actor.id,
                candidate,
                reason,
                now,
            )?));
        }
        let how = match rules.claim_mode {
            ClaimMode::Capability => ClaimStart::Capability,
            _ => ClaimStart::SelfClaim,
        };
        take_for(
            conn,
            DecisionKind::Claim,
            lead_id,
            pool_id,
            actor.id,
            candidate,
            how,
            false,
            &ctx,
        )
    };
    if rules.counts_people() {
        return conn.transaction(|conn| {
            let user = repo::users::lock_for_claims(conn, actor.id)?.ok_or(AppError::NotFound)?;
            let (facts, quota) = ctx
                .facts(conn, std::slice::from_ref(&user), &[user.id], Some(lead_id))?
                .remove(0);
            decide(conn, facts, quota)
        });
    }
    // Nothing is counted: the lead's conditional update alone decides.
    let facts = Facts {
        user_id: actor.id,
        member: true,
        active: view.active,
        on_leave: on_leave(view.on_leave_from, view.on_leave_until, now),
        owned: 0,
        claimed_today: 0,
        cooldown_until: cooldown_until(&rules, view.last_hold_end),
    };
    decide(conn, facts, rules.quota_for(view.tier))
}

/// Stores the decision and takes the lead for the chosen candidate; if someone else took it
/// first, stores a refusal instead.
#[allow(clippy::too_many_arguments)]
pub(super) fn take_for(
    conn: &mut PgConnection,
    kind: DecisionKind,
    lead_id: Uuid,
    pool_id: Uuid,
    actor_id: Uuid,
    mut candidate: Candidate,
    how: ClaimStart,
    quota_override: bool,
    ctx: &Context,
) -> Result<Result<Taken, AppError>, AppError> {
    let user_id = candidate.user_id;
    let draft = Draft {
        kind,
        pool_id: Some(pool_id),
        lead_id: Some(lead_id),
        actor_id,
        candidates: std::slice::from_ref(&candidate),
    };
    match start(
        conn,
        ctx,
        lead_id,
        user_id,
        how,
        actor_id,
        quota_override,
        &draft,
    )? {
        Some((lead, claim, decision)) => Ok(Ok(Taken {
            lead,
            claim,
            decision,
        })),
        None => {
            // Someone took it between our read and our update: no claim, a refusal instead.
            candidate.reasons.insert(0, SkipReason::AlreadyClaimed);
            candidate.eligible = false;
            Ok(Err(refuse_candidate(
                conn,
                kind,
                (pool_id, Some(lead_id)),
                actor_id,
                candidate,
                SkipReason::AlreadyClaimed,
                ctx.now,
            )?))
        }
    }
}
