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

mod assign;
mod claim;
mod decisions;
mod distribute;
mod list;
mod next_lead;
mod quotas;

pub use assign::*;
pub use claim::*;
pub use decisions::*;
pub use distribute::*;
pub use list::*;
pub use next_lead::*;
pub use quotas::*;

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
        started_how: how,
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
        kind: crate::domain::event::LeadEventKind::Claimed,
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
