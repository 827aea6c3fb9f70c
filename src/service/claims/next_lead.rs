//! `POST /pools/{id}/next-lead`: the pool hands the caller its next lead, in turn in
//! round-robin pools (stride scheduling), first in line otherwise.

use super::*;
use crate::domain::claim::DecisionKind;
use crate::error::ErrorCode;

/// The rotation of a pool's members now: stable order, weights, stored passes, eligibility.
pub(super) fn rotation_of(
    conn: &mut PgConnection,
    pool_id: Uuid,
    vtime: i64,
    rules: &Rules,
    candidates: &[Candidate],
) -> Result<Rotation, AppError> {
    let stored: HashMap<Uuid, (i64, bool)> = repo::claims::rotation_slots(conn, pool_id)?
        .into_iter()
        .map(|(u, p, e)| (u, (p, e)))
        .collect();
    Ok(Rotation {
        vtime,
        slots: candidates
            .iter()
            .map(|c| {
                // A member new to the rotation starts at the virtual time.
                let (pass, was_eligible) = stored.get(&c.user_id).copied().unwrap_or((vtime, true));
                Slot {
                    user_id: c.user_id,
                    pass,
                    was_eligible,
                    weight: rules.weight_of(c.user_id),
                    eligible: c.eligible,
                }
            })
            .collect(),
    })
}

/// Stores what changed in the rotation (and who was served how often).
pub(super) fn save_rotation(
    conn: &mut PgConnection,
    pool_id: Uuid,
    before: &Rotation,
    after: &Rotation,
    served: &HashMap<Uuid, i32>,
) -> Result<(), AppError> {
    let changed: Vec<(Uuid, i64, bool, i32)> = after
        .slots
        .iter()
        .zip(&before.slots)
        .filter(|(a, b)| {
            a.pass != b.pass || a.was_eligible != b.was_eligible || served.contains_key(&a.user_id)
        })
        .map(|(a, _)| {
            (
                a.user_id,
                a.pass,
                a.was_eligible,
                served.get(&a.user_id).copied().unwrap_or(0),
            )
        })
        .collect();
    repo::claims::save_rotation(conn, pool_id, after.vtime, &changed)?;
    Ok(())
}

pub(super) fn with_rotation(candidate: &mut Candidate, slot: &Slot, vtime: i64) {
    candidate.weight = Some(slot.weight);
    candidate.pass = Some(slot.effective_pass(vtime));
}

pub(super) fn grade_names(quota: &Quota) -> Option<Vec<String>> {
    quota
        .grades
        .as_ref()
        .map(|g| g.iter().map(|g| g.as_str().to_string()).collect())
}

/// A next-lead attempt: counted against the person's per-minute limit (committed on its own), then
/// [`next_lead`] in its own transaction, which commits a refusal's stored decision too.
pub fn take_next_lead(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    per_minute: i32,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Result<Taken, AppError>, AppError> {
    count_claim_attempt(conn, actor.id, per_minute, now)?;
    conn.transaction(|conn| next_lead(conn, actor, pool_id, now, tz))
}

/// `POST /pools/{id}/next-lead`: the caller's next lead in a `round_robin` pool (when it is
/// their turn) or a `capability` pool (the next lead of a grade their tier may take).
pub fn next_lead(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Result<Taken, AppError>, AppError> {
    if !repo::pools::is_member(conn, pool_id, actor.id)? {
        return Err(AppError::NotFound);
    }
    let (rules, _) = pool_rules(conn, pool_id)?;
    if rules.claim_mode == ClaimMode::FirstCome {
        return Err(AppError::Rule {
            code: ErrorCode::ClaimModeMismatch,
            detail: "this pool is first come: browse it and claim a lead by id".into(),
        });
    }
    let ctx = Context {
        pool_id,
        rules: &rules,
        now,
        today: local_day(now, tz),
    };
    let best_grade_first = rules.lead_order == LeadOrder::BestGradeFirst;
    if rules.claim_mode == ClaimMode::Capability {
        let user = repo::users::lock_for_claims(conn, actor.id)?.ok_or(AppError::NotFound)?;
        let (facts, quota) = ctx
            .facts(conn, std::slice::from_ref(&user), &[user.id], None)?
            .remove(0);
        let mut candidate = assess(&facts, &quota, None, now);
        let lead_id = if candidate.eligible {
            repo::claims::next_pooled(
                conn,
                pool_id,
                best_grade_first,
                grade_names(&quota).as_deref(),
            )?
        } else {
            None
        };
        let Some(lead_id) = lead_id else {
            if candidate.eligible {
                candidate.reasons.push(SkipReason::NoEligibleLead);
                candidate.eligible = false;
            }
            let reason = leading_reason(&candidate.reasons).unwrap_or(SkipReason::NoEligibleLead);
            return Ok(Err(refuse_candidate(
                conn,
                DecisionKind::NextLead,
                (pool_id, None),
                actor.id,
                candidate,
                reason,
                now,
            )?));
        };
        return take_for(
            conn,
            DecisionKind::NextLead,
            lead_id,
            pool_id,
            actor.id,
            candidate,
            ClaimStart::Capability,
            false,
            &ctx,
        );
    }

    // Round robin: the rotation decides whose turn it is.
    let vtime = repo::claims::lock_rotation(conn, pool_id)?;
    let members = repo::pools::member_users(conn, pool_id)?;
    let Some(index) = members.iter().position(|m| m.id == actor.id) else {
        return Err(AppError::NotFound);
    };
    let user = repo::users::lock_for_claims(conn, actor.id)?.ok_or(AppError::NotFound)?;
    let mut members = members;
    members[index] = user;
    let ids: Vec<Uuid> = members.iter().map(|m| m.id).collect();
    let mut candidates: Vec<Candidate> = ctx
        .facts(conn, &members, &ids, None)?
        .iter()
        .map(|(f, q)| assess(f, q, None, now))
        .collect();
    let rotation = rotation_of(conn, pool_id, vtime, &rules, &candidates)?;
    for (c, s) in candidates.iter_mut().zip(&rotation.slots) {
        with_rotation(c, s, vtime);
    }
    if candidates[index].eligible && !rotation.is_turn_of(index, rules.round_robin_max_ahead) {
        candidates[index].reasons.push(SkipReason::NotTheirTurn);
        candidates[index].eligible = false;
    }
    let lead_id = if candidates[index].eligible {
        repo::claims::next_pooled(conn, pool_id, best_grade_first, None)?
    } else {
        None
    };
    let Some(lead_id) = lead_id else {
        if candidates[index].eligible {
            candidates[index].reasons.push(SkipReason::NoEligibleLead);
            candidates[index].eligible = false;
        }
        let reason =
            leading_reason(&candidates[index].reasons).unwrap_or(SkipReason::NoEligibleLead);
        let detail = describe(reason, &candidates[index]);
        let d = Draft {
            kind: DecisionKind::NextLead,
            pool_id: Some(pool_id),
            lead_id: None,
            actor_id: actor.id,
            candidates: &candidates,
        };
        let error = refuse(conn, &d, reason, detail, now)?;
        // Keep who was eligible, so returners rejoin at the virtual time.
        let mut after = rotation.clone();
        after.settle();
        save_rotation(conn, pool_id, &rotation, &after, &HashMap::new())?;
        return Ok(Err(error));
    };
    let mut after = rotation.clone();
    after.serve(index);
    after.settle();
    // The lead went to the caller, whose turn it was: they are the one candidate for it (the
    // whole rotation is kept with refusals, where it explains who is behind).
    let draft = Draft {
        kind: DecisionKind::NextLead,
        pool_id: Some(pool_id),
        lead_id: Some(lead_id),
        actor_id: actor.id,
        candidates: std::slice::from_ref(&candidates[index]),
    };
    let Some((lead, claim, decision)) = start(
        conn,
        &ctx,
        lead_id,
        actor.id,
        ClaimStart::RoundRobin,
        actor.id,
        false,
        &draft,
    )?
    else {
        return Err(AppError::Contention);
    };
    save_rotation(
        conn,
        pool_id,
        &rotation,
        &after,
        &HashMap::from([(actor.id, 1)]),
    )?;
    Ok(Ok(Taken {
        lead,
        claim,
        decision,
    }))
}
