//! `POST /leads/{id}/assign`: a manager or an admin gives a pooled lead to a pool member.

use super::*;
use crate::domain::claim::DecisionKind;

/// `POST /leads/{id}/assign`: a manager (to a member of their teams) or an admin (to anyone)
/// gives a pooled lead to a pool member, quotas checked; an admin may override the quotas
/// (`quota_override`, audited).
#[allow(clippy::too_many_arguments)]
pub fn assign(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    user_id: Uuid,
    quota_override: bool,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Result<Taken, AppError>, AppError> {
    actor.require(&[Role::Manager, Role::Admin])?;
    if quota_override && actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let lead = repo::leads::find(conn, lead_id)?.ok_or(AppError::NotFound)?;
    let pool_id = lead.pool_id.ok_or(AppError::NotFound)?;
    if actor.role != Role::Admin && !repo::pools::is_member(conn, pool_id, actor.id)? {
        return Err(AppError::NotFound);
    }
    let target = repo::users::lock_for_claims(conn, user_id)?;
    let target = match target {
        Some(t)
            if actor.role == Role::Admin || repo::users::is_managed_by(conn, t.id, actor.id)? =>
        {
            t
        }
        _ => {
            return Err(AppError::validation(
                "user_id",
                "not_found",
                "no user with this id that you may assign leads to",
            ));
        }
    };
    if !matches!(target.role.as_str(), "sales" | "manager") {
        return Err(AppError::validation(
            "user_id",
            "invalid_value",
            "leads are assigned to salespeople and managers",
        ));
    }
    let (rules, _) = pool_rules(conn, pool_id)?;
    let ctx = Context {
        pool_id,
        rules: &rules,
        now,
        today: local_day(now, tz),
    };
    let member = repo::pools::is_member(conn, pool_id, target.id)?;
    let members = if member { vec![target.id] } else { vec![] };
    let (facts, quota) = ctx
        .facts(conn, std::slice::from_ref(&target), &members, Some(lead.id))?
        .remove(0);
    let mut candidate = assess(&facts, &quota, Some(lead.grade), now);
    if lead.state != crate::domain::lead::LeadState::Pooled {
        candidate.reasons.insert(0, SkipReason::AlreadyClaimed);
        candidate.eligible = false;
    }
    let blocking: Vec<SkipReason> = candidate
        .reasons
        .iter()
        .copied()
        .filter(|r| !(quota_override && r.is_quota()))
        .collect();
    if let Some(reason) = leading_reason(&blocking) {
        let at = (pool_id, Some(lead.id));
        return Ok(Err(refuse_candidate(
            conn,
            DecisionKind::Assign,
            at,
            actor.id,
            candidate,
            reason,
            now,
        )?));
    }
    let overridden = quota_override && !candidate.reasons.is_empty();
    take_for(
        conn,
        DecisionKind::Assign,
        lead.id,
        pool_id,
        actor.id,
        candidate,
        ClaimStart::ManagerAssign,
        overridden,
        &ctx,
    )
}
