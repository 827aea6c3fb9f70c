//! What a proposed rule set would do to the holds of a pool: the what-if.

use super::*;

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

pub(super) fn forecast(
    leads: &[(Lead, Hold)],
    rules: &Rules,
    now: DateTime<Utc>,
) -> RecycleForecast {
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
