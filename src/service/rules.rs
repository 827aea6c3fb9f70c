//! Pool rule sets (versioned, validated, audited) and the organisation's tier policy.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::RuleVersion;
use crate::domain::page::Limit;
use crate::domain::role::Role;
use crate::domain::rules::{Rules, TierPolicy};
use crate::error::AppError;
use crate::repo;
use crate::service::audit::Audit;

/// A rule set as the API shows it.
#[derive(Debug, Clone)]
pub struct CurrentRules {
    pub version: i32,
    pub rules: Rules,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

fn parse(value: &Value) -> Result<Rules, AppError> {
    Rules::from_stored(value).map_err(|e| AppError::internal(format!("stored rules: {e}")))
}

/// The pool's rules, for admins and the pool's members.
pub fn get(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
) -> Result<CurrentRules, AppError> {
    if actor.role != Role::Admin && !repo::pools::is_member(conn, pool_id, actor.id)? {
        return Err(AppError::NotFound);
    }
    let (value, version) = repo::pools::rules(conn, pool_id)?.ok_or(AppError::NotFound)?;
    let row = repo::pools::rule_version(conn, pool_id, version)?;
    Ok(CurrentRules {
        version,
        rules: parse(&value)?,
        changed_by: row.as_ref().and_then(|r| r.changed_by),
        changed_at: row.map(|r| r.changed_at).unwrap_or_default(),
    })
}

/// Replaces the pool's rules (admin): a new version recording who, when and the diff; audited.
/// Setting the same rules again changes nothing.
pub fn put(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    rules: Rules,
    now: DateTime<Utc>,
) -> Result<CurrentRules, AppError> {
    actor.require_admin()?;
    let errors = rules.check();
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    // Lock the pool row: concurrent changes of one pool line up, each diffed against the last.
    let (value, version) =
        repo::pools::rules_for_update(conn, pool_id)?.ok_or(AppError::NotFound)?;
    let old = parse(&value)?;
    let diff = rules.diff(&old);
    if diff.is_empty() {
        return get(conn, actor, pool_id);
    }
    for (i, w) in rules.member_weights.iter().enumerate() {
        if repo::users::find(conn, w.user_id)?.is_none() {
            return Err(AppError::validation(
                format!("member_weights[{i}].user_id"),
                "not_found",
                "no user has this id",
            ));
        }
    }
    let stored = rules.to_value();
    let new_version = repo::pools::set_rules(conn, pool_id, &stored, now)?;
    debug_assert_eq!(new_version, version + 1);
    repo::pools::insert_rule_version(
        conn,
        &RuleVersion {
            pool_id,
            version: new_version,
            rules: stored.clone(),
            diff: Value::Object(diff.clone()),
            changed_by: Some(actor.id),
            changed_at: now,
        },
    )?;
    Audit::of(
        Some(actor.id),
        "pool.rules_changed",
        "pool",
        Some(pool_id),
        now,
    )
    .change(
        Some(json!({"version": version, "rules": old.to_value()})),
        Some(json!({"version": new_version, "rules": stored, "diff": diff})),
    )
    .write(conn)?;
    // The recycle times of the pool's owned leads follow the new rules at once.
    super::lifecycle::recompute_pool(conn, pool_id, &rules, now)?;
    Ok(CurrentRules {
        version: new_version,
        rules,
        changed_by: Some(actor.id),
        changed_at: now,
    })
}

/// The versions of a pool's rules, newest first (admin).
pub fn versions(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    before: Option<i32>,
    limit: Limit,
) -> Result<(Vec<RuleVersion>, Option<i32>), AppError> {
    actor.require_admin()?;
    repo::pools::find(conn, pool_id)?.ok_or(AppError::NotFound)?;
    let mut rows = repo::pools::rule_versions(conn, pool_id, before, limit.fetch())?;
    let next = if rows.len() as i64 > limit.get() {
        rows.truncate(limit.get() as usize);
        rows.last().map(|r| r.version)
    } else {
        None
    };
    Ok((rows, next))
}

pub const TIER_POLICY: &str = "tier_policy";

/// The tier policy, who set it and when (defaults until an admin sets one).
/// The tier policy, who set it and when.
pub type PolicySetting = (TierPolicy, Option<Uuid>, Option<DateTime<Utc>>);

pub fn tier_policy(conn: &mut PgConnection) -> Result<PolicySetting, AppError> {
    Ok(match repo::settings::get(conn, TIER_POLICY)? {
        Some((value, by, at)) => (
            serde_json::from_value(value)
                .map_err(|e| AppError::internal(format!("stored tier policy: {e}")))?,
            by,
            Some(at),
        ),
        None => (TierPolicy::default(), None, None),
    })
}

pub fn put_tier_policy(
    conn: &mut PgConnection,
    actor: &AuthUser,
    policy: &TierPolicy,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let (old, _, _) = tier_policy(conn)?;
    let value = serde_json::to_value(policy).unwrap_or(Value::Null);
    repo::settings::put(conn, TIER_POLICY, &value, actor.id, now)?;
    Audit::of(Some(actor.id), "tier_policy.changed", "setting", None, now)
        .change(serde_json::to_value(old).ok(), Some(value))
        .write(conn)?;
    Ok(())
}

/// One person whose computed tier changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierChange {
    pub user_id: Uuid,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub claims: i64,
    pub converted: i64,
}

/// Recomputes the tiers of everyone whose tier is not pinned, from their claims in the policy's
/// window; returns who changed (each change audited, with the admin who asked, if one did).
/// Idempotent, so instances running it at once agree.
pub fn recompute_tiers(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Vec<TierChange>, AppError> {
    let (policy, _, _) = tier_policy(conn)?;
    let since = now - Duration::days(policy.window_days);
    let mut changes = Vec::new();
    for record in repo::settings::records_since(conn, since)? {
        let tier = policy.tier_for(record.claims, record.converted);
        if tier != record.tier
            && repo::settings::set_computed_tier(conn, record.user_id, tier, now)? > 0
        {
            Audit::of(
                actor,
                "user.tier_recomputed",
                "user",
                Some(record.user_id),
                now,
            )
            .change(
                Some(json!({"tier": record.tier})),
                Some(json!({"tier": tier, "claims": record.claims, "converted": record.converted})),
            )
            .write(conn)?;
            changes.push(TierChange {
                user_id: record.user_id,
                from: record.tier,
                to: tier,
                claims: record.claims,
                converted: record.converted,
            });
        }
    }
    Ok(changes)
}
