//! The pool engine: claims, assignments, `next-lead` and distribution. Every ownership that
//! starts goes through [`start`], which writes the claim record, the timeline and the audit
//! trail in the same transaction (and a constraint trigger refuses any owner change without a
//! claim record, whatever path it takes).
//!
//! Concurrency: a person's claims are decided one at a time (their user row is locked, so counts
//! read under the lock are exact and quotas hold); a lead is taken by one conditional update (of
//! many people taking it at once exactly one succeeds); a pool's rotation row is locked while it
//! hands out leads, so several instances take turns. Locks are always taken in the order
//! rotation → users (by id) → leads, so these paths cannot deadlock each other.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::{Claim, Decision, Lead, LeadEvent, User};
use crate::domain::claim::ClaimStart;
use crate::domain::eligibility::{Candidate, Facts, SkipReason, assess, leading_reason};
use crate::domain::lead::Grade;
use crate::domain::leave::on_leave;
use crate::domain::role::Role;
use crate::domain::rotation::{Rotation, Slot};
use crate::domain::rules::{ClaimMode, LeadOrder, Quota, Rules};
use crate::error::AppError;
use crate::repo;
use crate::service::audit::Audit;

/// The calendar day of `at` in the organisation's time zone.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// A pool's current rule set and version.
pub fn pool_rules(conn: &mut PgConnection, pool_id: Uuid) -> Result<(Rules, i32), AppError> {
    let (value, version) = repo::pools::rules(conn, pool_id)?.ok_or(AppError::NotFound)?;
    Ok((stored_rules(pool_id, &value)?, version))
}

/// A pool's rules as stored (`pools.rules`).
fn stored_rules(pool_id: Uuid, value: &Value) -> Result<Rules, AppError> {
    Rules::from_stored(value)
        .map_err(|e| AppError::internal(format!("stored rules of pool {pool_id}: {e}")))
}

fn stored_grade(lead: &Lead) -> Result<Option<Grade>, AppError> {
    parse_grade(lead.grade.as_deref())
}

fn parse_grade(grade: Option<&str>) -> Result<Option<Grade>, AppError> {
    grade
        .map(|g| {
            g.parse()
                .map_err(|_| AppError::internal(format!("unknown grade {g:?}")))
        })
        .transpose()
}

/// What decides whether each of `users` may take a lead from `pool_id` now.
struct Context<'a> {
    pool_id: Uuid,
    rules: &'a Rules,
    now: DateTime<Utc>,
    today: NaiveDate,
}

impl Context<'_> {
    /// Facts and quota for each user (in the order given).
    fn facts(
        &self,
        conn: &mut PgConnection,
        users: &[User],
        members: &[Uuid],
        lead_id: Option<Uuid>,
    ) -> Result<Vec<(Facts, Quota)>, AppError> {
        let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
        // Counted only when some quota limits them (the figures are shown in explanations too,
        // but an unlimited quota needs no count).
        let quotas: Vec<Quota> = users.iter().map(|u| self.rules.quota_for(u.tier)).collect();
        let owned: HashMap<Uuid, i64> = if quotas.iter().any(|q| q.max_owned.is_some()) {
            repo::claims::owned_counts(conn, self.pool_id, &ids)?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        let today: HashMap<Uuid, i64> = if quotas.iter().any(|q| q.max_claims_per_day.is_some()) {
            repo::claims::claimed_on_day_counts(conn, self.pool_id, &ids, self.today)?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        let mut out = Vec::with_capacity(users.len());
        for (user, quota) in users.iter().zip(quotas) {
            let cooldown_until = match lead_id {
                Some(lead) if self.rules.reclaim_cooldown_days > 0 => cooldown_until(
                    self.rules,
                    repo::claims::last_hold_end(conn, lead, user.id)?,
                ),
                _ => None,
            };
            out.push((
                Facts {
                    user_id: user.id,
                    member: members.contains(&user.id),
                    active: user.active,
                    on_leave: on_leave(user.on_leave_from, user.on_leave_until, self.now),
                    owned: owned.get(&user.id).copied().unwrap_or(0),
                    claimed_today: today.get(&user.id).copied().unwrap_or(0),
                    cooldown_until,
                },
                quota,
            ));
        }
        Ok(out)
    }
}

/// Until when a previous holder whose last hold of a lead ended at `last_end` may not take it
/// again (`None`: they may, or there is no cooldown).
fn cooldown_until(rules: &Rules, last_end: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    last_end
        .filter(|_| rules.reclaim_cooldown_days > 0)
        .map(|end| end + Duration::days(rules.reclaim_cooldown_days))
}

/// A decision to store.
struct Draft<'a> {
    kind: &'static str,
    pool_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    actor_id: Uuid,
    candidates: &'a [Candidate],
}

fn store_decision(
    conn: &mut PgConnection,
    draft: &Draft,
    chosen: Option<Uuid>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Decision, AppError> {
    let decision = decision_row(draft, chosen, code, now);
    repo::claims::insert_decision(conn, &decision)?;
    Ok(decision)
}

/// The row of `draft`'s decision: `chosen` assigned, or refused with `code`.
fn decision_row(
    draft: &Draft,
    chosen: Option<Uuid>,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Decision {
    Decision {
        id: Uuid::now_v7(),
        kind: draft.kind.into(),
        pool_id: draft.pool_id,
        lead_id: draft.lead_id,
        actor_id: Some(draft.actor_id),
        outcome: if chosen.is_some() {
            "assigned"
        } else {
            "refused"
        }
        .into(),
        chosen_user_id: chosen,
        code: code.map(str::to_string),
        candidates: serde_json::to_value(draft.candidates).unwrap_or(Value::Null),
        created_at: now,
    }
}

/// Stores a refusal and returns the error to answer. The caller commits (the decision is kept).
fn refuse(
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

fn describe(reason: SkipReason, c: &Candidate) -> String {
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
        SkipReason::AlreadyClaimed => "someone else holds this lead".into(),
    }
}

/// Starts an ownership: takes the pooled lead for `user_id` (one conditional update) and writes
/// the claim record, the timeline and the audit trail. `None` when the lead is no longer pooled.
#[allow(clippy::too_many_arguments)]
fn start(
    conn: &mut PgConnection,
    ctx: &Context,
    lead_id: Uuid,
    user_id: Uuid,
    how: ClaimStart,
    by: Uuid,
    quota_override: bool,
    decision: &Draft,
) -> Result<Option<(Lead, Claim, Decision)>, AppError> {
    let (pool_id, now, today) = (ctx.pool_id, ctx.now, ctx.today);
    let recycle = crate::domain::recycle::due(
        ctx.rules,
        &crate::domain::recycle::Hold {
            stage: crate::domain::lead::Stage::New,
            claimed_at: now,
            from_pool: true,
            last_follow_up_at: None,
            follow_ups_since_progress: 0,
        },
    );
    // Stored with the lead's update: a lost race stores its refusal instead.
    let decision = decision_row(decision, Some(user_id), None, now);
    let claim = Claim {
        id: Uuid::now_v7(),
        lead_id,
        pool_id: Some(pool_id),
        user_id,
        started_at: now,
        started_day: today,
        started_how: how.as_str().into(),
        started_by: Some(by),
        quota_override,
        decision_id: Some(decision.id),
        ended_at: None,
        end_reason: None,
        ended_by: None,
    };
    let event = LeadEvent {
        id: Uuid::now_v7(),
        lead_id,
        kind: "claimed".into(),
        actor_id: Some(by),
        details: json!({
            "claim_id": claim.id, "user_id": user_id, "how": how.as_str(),
            "pool_id": pool_id, "quota_override": quota_override, "decision_id": decision.id,
        }),
        created_at: now,
    };
    let action = if quota_override {
        "lead.assigned_over_quota"
    } else {
        "lead.claimed"
    };
    let audit = Audit::of(Some(by), action, "claim", Some(claim.id), now)
        .lead(lead_id)
        .change(
            Some(json!({"state": "pooled", "owner_id": null, "pool_id": pool_id})),
            Some(json!({"state": "owned", "owner_id": user_id, "how": how.as_str()})),
        )
        .into_entry();
    // The lead taken and every fact recorded in one statement; a lost race (the lead no longer
    // pooled) writes nothing and stores its refusal instead.
    let start = repo::holds::Start {
        decision: &decision,
        claim: &claim,
        event: &event,
        audit: &audit,
        recycle: recycle.map(|d| (d.at, d.reason.as_str())),
    };
    let Some(lead) = repo::holds::start_hold(conn, &start)? else {
        return Ok(None);
    };
    Ok(Some((lead, claim, decision)))
}

/// The result of taking a lead.
#[derive(Debug, Clone)]
pub struct Taken {
    pub lead: Lead,
    pub claim: Claim,
    pub decision: Decision,
}

/// Counts one claim attempt (a claim or a next-lead) against the person's per-minute limit; past
/// it, 429 with `Retry-After` until the minute ends. Counted on its own, before the claim's
/// transaction, so refused and failed attempts count too.
pub fn count_claim_attempt(
    conn: &mut PgConnection,
    user_id: Uuid,
    per_minute: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let window_start = now
        .duration_trunc(chrono::TimeDelta::minutes(1))
        .unwrap_or(now);
    // One statement committing on its own (not in the claim's transaction: refused and failed
    // attempts count too).
    let attempts = repo::action_rate::count_attempt(conn, user_id, "claim", window_start)?;
    if attempts <= per_minute {
        return Ok(());
    }
    let left = 60 - (now - window_start).num_seconds();
    Err(AppError::TooManyRequests {
        detail: format!("more than {per_minute} claim attempts in a minute; try again later"),
        retry_after_secs: left.clamp(1, 60) as u64,
    })
}

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
    if view.state != "pooled"
        && !crate::service::leads::may_read_owned_by(conn, actor, view.owner_id)?
    {
        return Err(AppError::NotFound);
    }
    let pool_id = view.pool_id;
    let rules = stored_rules(pool_id, &view.rules)?;
    if rules.claim_mode == ClaimMode::RoundRobin {
        return Err(AppError::Rule {
            code: "claim_mode_mismatch",
            detail: "this pool hands leads out in turn: use POST /api/v1/pools/{id}/next-lead"
                .into(),
        });
    }
    let grade = parse_grade(view.grade.as_deref())?;
    let ctx = Context {
        pool_id,
        rules: &rules,
        now,
        today: local_day(now, tz),
    };
    let decide = |conn: &mut PgConnection, facts: Facts, quota: Quota| {
        let mut candidate = assess(&facts, &quota, Some(grade), now);
        if view.state != "pooled" {
            candidate.reasons.insert(0, SkipReason::AlreadyClaimed);
            candidate.eligible = false;
        }
        if let Some(reason) = leading_reason(&candidate.reasons) {
            let at = (pool_id, Some(lead_id));
            return Ok(Err(refuse_candidate(
                conn, "claim", at, actor.id, candidate, reason, now,
            )?));
        }
        let how = match rules.claim_mode {
            ClaimMode::Capability => ClaimStart::Capability,
            _ => ClaimStart::SelfClaim,
        };
        take_for(
            conn, "claim", lead_id, pool_id, actor.id, candidate, how, false, &ctx,
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
fn take_for(
    conn: &mut PgConnection,
    kind: &'static str,
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
    let mut candidate = assess(&facts, &quota, Some(stored_grade(&lead)?), now);
    if lead.state != "pooled" {
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
            conn, "assign", at, actor.id, candidate, reason, now,
        )?));
    }
    let overridden = quota_override && !candidate.reasons.is_empty();
    take_for(
        conn,
        "assign",
        lead.id,
        pool_id,
        actor.id,
        candidate,
        ClaimStart::ManagerAssign,
        overridden,
        &ctx,
    )
}

/// The rotation of a pool's members now: stable order, weights, stored passes, eligibility.
fn rotation_of(
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
fn save_rotation(
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

fn with_rotation(candidate: &mut Candidate, slot: &Slot, vtime: i64) {
    candidate.weight = Some(slot.weight);
    candidate.pass = Some(slot.effective_pass(vtime));
}

fn grade_names(quota: &Quota) -> Option<Vec<String>> {
    quota
        .grades
        .as_ref()
        .map(|g| g.iter().map(|g| g.as_str().to_string()).collect())
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
            code: "claim_mode_mismatch",
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
                "next_lead",
                (pool_id, None),
                actor.id,
                candidate,
                reason,
                now,
            )?));
        };
        return take_for(
            conn,
            "next_lead",
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
            kind: "next_lead",
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
        kind: "next_lead",
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

/// Stores the refusal of one candidate for `reason` (about `pool_id` and, when known, a lead)
/// and returns the error to answer.
fn refuse_candidate(
    conn: &mut PgConnection,
    kind: &'static str,
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
            kind: "distribute",
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

/// What a person may still do in each of their pools today (for `/me`).
#[derive(Debug, Clone)]
pub struct PoolQuota {
    pub pool_id: Uuid,
    pub pool_name: String,
    pub claim_mode: ClaimMode,
    pub quota: Quota,
    pub owned: i64,
    pub claimed_today: i64,
}

pub fn quotas_of(
    conn: &mut PgConnection,
    user: &User,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<PoolQuota>, AppError> {
    let mut out = Vec::new();
    let today = local_day(now, tz);
    for pool_id in repo::pools::ids_for_member(conn, user.id)? {
        let Some(pool) = repo::pools::find(conn, pool_id)? else {
            continue;
        };
        let (rules, _) = pool_rules(conn, pool_id)?;
        let owned = repo::claims::owned_counts(conn, pool_id, &[user.id])?
            .first()
            .map_or(0, |(_, n)| *n);
        let claimed_today = repo::claims::claimed_on_day_counts(conn, pool_id, &[user.id], today)?
            .first()
            .map_or(0, |(_, n)| *n);
        out.push(PoolQuota {
            pool_id,
            pool_name: pool.name,
            claim_mode: rules.claim_mode,
            quota: rules.quota_for(user.tier),
            owned,
            claimed_today,
        });
    }
    out.sort_by(|a, b| a.pool_name.cmp(&b.pool_name));
    Ok(out)
}
