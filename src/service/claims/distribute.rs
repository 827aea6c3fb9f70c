//! `POST /pools/{id}/distribute`: a manager hands out a pool's leads among its members.

use super::*;
use crate::domain::claim::DecisionKind;

/// Why a distribution stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Handed out as many as asked.
    Done,
    /// No pooled lead left (that any eligible member may take).
    PoolEmpty,
    /// Nobody eligible (all on leave, at a quota, inactive...).
    NoEligibleMember,
}

/// The outcome of a distribution.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub taken: Vec<Taken>,
    pub stop: Stop,
    /// The candidates when it stopped (for `no_eligible_member`: why each was skipped).
    pub last_candidates: Vec<Candidate>,
}

/// `POST /pools/{id}/distribute`: hands up to `count` pooled leads to eligible members in
/// rotation (an admin: all members; a manager: the members of their teams), each with its
/// stored decision.
pub fn distribute(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    count: usize,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Distribution, AppError> {
    actor.require(&[Role::Manager, Role::Admin])?;
    if repo::pools::find(conn, pool_id)?.is_none()
        || (actor.role != Role::Admin && !repo::pools::is_member(conn, pool_id, actor.id)?)
    {
        return Err(AppError::NotFound);
    }
    let (rules, _) = pool_rules(conn, pool_id)?;
    let ctx = Context {
        pool_id,
        rules: &rules,
        now,
        today: local_day(now, tz),
    };
    let best_grade_first = rules.lead_order == LeadOrder::BestGradeFirst;
    let how = match rules.claim_mode {
        ClaimMode::Capability => ClaimStart::Capability,
        _ => ClaimStart::RoundRobin,
    };
    let vtime = repo::claims::lock_rotation(conn, pool_id)?;
    let mut members = repo::pools::member_users(conn, pool_id)?;
    if actor.role == Role::Manager {
        let mut mine = Vec::new();
        for m in members {
            if repo::users::is_managed_by(conn, m.id, actor.id)? {
                mine.push(m);
            }
        }
        members = mine;
    }
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    // Lock everyone who may receive a lead (in id order), then read their counts.
    let members = repo::users::lock_many_for_claims(conn, &ids)?;
    let facts = ctx.facts(conn, &members, &ids, None)?;
    let mut facts: Vec<(Facts, Quota)> = facts;
    let assess_all = |facts: &[(Facts, Quota)]| -> Vec<Candidate> {
        facts.iter().map(|(f, q)| assess(f, q, None, now)).collect()
    };
    let first = assess_all(&facts);
    let rotation_before = rotation_of(conn, pool_id, vtime, &rules, &first)?;
    let mut rotation = rotation_before.clone();
    let mut served: HashMap<Uuid, i32> = HashMap::new();
    let mut taken = Vec::new();
    let mut stop = Stop::Done;
    let mut last_candidates = Vec::new();
    'deal: while taken.len() < count {
        let mut candidates = assess_all(&facts);
        for (c, s) in candidates.iter_mut().zip(rotation.slots.iter_mut()) {
            s.eligible = c.eligible;
        }
        for (c, s) in candidates.iter_mut().zip(&rotation.slots) {
            with_rotation(c, s, rotation.vtime);
        }
        let mut exclude: Vec<Uuid> = Vec::new();
        let (index, lead_id) = loop {
            let Some(index) = rotation.next(&exclude) else {
                stop = if exclude.is_empty() {
                    Stop::NoEligibleMember
                } else {
                    Stop::PoolEmpty
                };
                last_candidates = candidates;
                break 'deal;
            };
            let grades = grade_names(&facts[index].1);
            match repo::claims::next_pooled(conn, pool_id, best_grade_first, grades.as_deref())? {
                Some(lead_id) => break (index, lead_id),
                None if grades.is_none() => {
                    stop = Stop::PoolEmpty;
                    last_candidates = candidates;
                    break 'deal;
                }
                None => {
                    candidates[index].reasons.push(SkipReason::NoEligibleLead);
                    candidates[index].eligible = false;
                    exclude.push(rotation.slots[index].user_id);
                }
            }
        };
        let user_id = rotation.slots[index].user_id;
        let d = Draft {
            kind: DecisionKind::Distribute,
            pool_id: Some(pool_id),
            lead_id: Some(lead_id),
            actor_id: actor.id,
            candidates: &candidates,
        };
        let Some((lead, claim, decision)) =
            start(conn, &ctx, lead_id, user_id, how, actor.id, false, &d)?
        else {
            return Err(AppError::Contention);
        };
        rotation.serve(index);
        rotation.settle();
        *served.entry(user_id).or_default() += 1;
        facts[index].0.owned += 1;
        facts[index].0.claimed_today += 1;
        taken.push(Taken {
            lead,
            claim,
            decision,
        });
    }
    // Whoever was not eligible at the end is remembered as such.
    let final_candidates = assess_all(&facts);
    for (c, s) in final_candidates.iter().zip(rotation.slots.iter_mut()) {
        s.eligible = c.eligible;
    }
    if stop == Stop::Done {
        last_candidates = final_candidates;
    }
    rotation.settle();
    save_rotation(conn, pool_id, &rotation_before, &rotation, &served)?;
    Ok(Distribution {
        taken,
        stop,
        last_candidates,
    })
}
