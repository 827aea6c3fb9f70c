//! A pool's rule set (product.md §4): recycling, release, claiming and distribution, with the
//! defaults of the brief. Stored as JSON; a field left out takes its default, `null` turns an
//! optional rule off.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::lead::{Grade, Stage};
use crate::domain::field_error::FieldError;

super::text_enum::text_enum! {
    /// How leads leave a pool: `first_come` (anyone claims any lead, the first wins),
    /// `capability` (tiers decide quotas and which grades one may claim), `round_robin` (the pool
    /// hands leads out in turn: "give me my next lead", or a manager's distribution).
    ClaimMode {
        FirstCome = "first_come",
        Capability = "capability",
        RoundRobin = "round_robin",
    }
}

super::text_enum::text_enum! {
    /// Which pooled lead is handed out next: the oldest, or the best grade (oldest first within a
    /// grade; ungraded last).
    LeadOrder {
        OldestFirst = "oldest_first",
        BestGradeFirst = "best_grade_first",
    }
}

super::text_enum::text_enum! {
    /// Where a lead goes when its owner records it as `lost`: back to its pool, or closed.
    LostLeads {
        Pool = "pool",
        Close = "close",
    }
}

/// A capability tier: its own quotas and the lead grades its members may claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// The tier number people are given (`users.tier`).
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub tier: i32,
    /// Owned leads a person of this tier may hold from this pool.
    #[validate(range(min = 0, max = 100000))]
    #[schema(minimum = 0, maximum = 100000)]
    pub max_owned: i64,
    /// Claims a person of this tier may make from this pool per local calendar day.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000)]
    pub max_claims_per_day: i64,
    /// Lead grades this tier may claim (ungraded leads are open to every tier).
    #[validate(length(min = 1, max = 4))]
    #[schema(min_items = 1, max_items = 4)]
    pub grades: Vec<Grade>,
}

/// A member's share of round-robin distribution (default 1: a weight of 2 gets twice as many).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberWeight {
    pub user_id: Uuid,
    #[validate(range(min = 1, max = 100))]
    #[schema(minimum = 1, maximum = 100)]
    pub weight: i64,
}

/// A pool's rule set. A field left out of a `PUT` takes its default; `null` turns an optional
/// rule off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// A lead claimed from the pool with no follow-up within this many hours goes back (default
    /// 24; `null`: off).
    #[validate(range(min = 1, max = 8760))]
    #[schema(minimum = 1, maximum = 8760, default = 24)]
    pub first_follow_up_hours: Option<i64>,
    /// No follow-up for this many days since the claim or the last follow-up: back to the pool
    /// (default 3; `null`: off).
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650, default = 3)]
    pub no_contact_days: Option<i64>,
    /// This many follow-ups since the last stage advance without a further advance: back to the
    /// pool (default 5; `null`: off).
    #[validate(range(min = 1, max = 1000))]
    #[schema(minimum = 1, maximum = 1000, default = 5)]
    pub max_follow_ups_without_progress: Option<i64>,
    /// Owned this many days without `won`: back to the pool (default `null`: off).
    #[validate(range(min = 1, max = 3650))]
    #[schema(minimum = 1, maximum = 3650)]
    pub no_deal_days: Option<i64>,
    /// The owner is warned this many hours before a lead is recycled (default 24), but never
    /// while more than half the time to the deadline is left (counted from the hold's last
    /// follow-up, else its claim): with a 24-hour first follow-up, a new claim is warned 12 hours
    /// before its deadline, not as soon as it is taken.
    #[validate(range(min = 0, max = 720))]
    #[schema(minimum = 0, maximum = 720, default = 24)]
    pub warn_before_recycle_hours: i64,
    /// Leads in these stages are never recycled automatically (default `["negotiation"]`).
    #[validate(length(max = 7))]
    #[schema(max_items = 7)]
    pub exempt_stages: Vec<Stage>,
    /// A voluntary release needs a manager's approval (default true).
    #[schema(default = true)]
    pub release_requires_approval: bool,
    /// The reason codes a release must give; `other` also needs a note (default `no_need`,
    /// `unreachable`, `budget`, `duplicate`, `other`).
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    pub release_reasons: Vec<String>,
    /// Where a lead recorded as `lost` goes: back to the pool (default) or closed.
    pub lost_leads: LostLeads,
    /// How leads leave the pool (default `first_come`).
    pub claim_mode: ClaimMode,
    /// Owned (not converted or closed) leads from this pool one person may hold (default 50;
    /// `null`: no limit). In `capability` mode the tier's `max_owned` applies instead.
    #[validate(range(min = 0, max = 100000))]
    #[schema(minimum = 0, maximum = 100000, default = 50)]
    pub max_owned_per_user: Option<i64>,
    /// Claims from this pool per person per local calendar day (`LEADPOOL_TIMEZONE`); releasing
    /// does not give one back (default 10; `null`: no limit). In `capability` mode the tier's
    /// limit applies instead.
    #[validate(range(min = 0, max = 10000))]
    #[schema(minimum = 0, maximum = 10000, default = 10)]
    pub max_claims_per_day: Option<i64>,
    /// A previous owner may not take a lead back until this many days after they lost it
    /// (default 7; 0: no cooldown).
    #[validate(range(min = 0, max = 3650))]
    #[schema(minimum = 0, maximum = 3650, default = 7)]
    pub reclaim_cooldown_days: i64,
    /// Capability tiers (required in `capability` mode).
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub tiers: Vec<Tier>,
    /// The tier of people who have none (required in `capability` mode; one of `tiers`).
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub default_tier: Option<i32>,
    /// Which lead `next-lead` and distribution hand out first (default `oldest_first`).
    pub lead_order: LeadOrder,
    /// Round robin: how many leads (by weight) a member may be ahead of the member furthest
    /// behind before `next-lead` tells them it is not their turn (default 1; 0: strict turns).
    #[validate(range(min = 0, max = 1000))]
    #[schema(minimum = 0, maximum = 1000, default = 1)]
    pub round_robin_max_ahead: i64,
    /// Round-robin weights of members (others weigh 1).
    #[validate(length(max = 5000), nested)]
    #[schema(max_items = 5000)]
    pub member_weights: Vec<MemberWeight>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            first_follow_up_hours: Some(24),
            no_contact_days: Some(3),
            max_follow_ups_without_progress: Some(5),
            no_deal_days: None,
            warn_before_recycle_hours: 24,
            exempt_stages: vec![Stage::Negotiation],
            release_requires_approval: true,
            release_reasons: ["no_need", "unreachable", "budget", "duplicate", "other"]
                .map(String::from)
                .to_vec(),
            lost_leads: LostLeads::Pool,
            claim_mode: ClaimMode::FirstCome,
            max_owned_per_user: Some(50),
            max_claims_per_day: Some(10),
            reclaim_cooldown_days: 7,
            tiers: Vec::new(),
            default_tier: None,
            lead_order: LeadOrder::OldestFirst,
            round_robin_max_ahead: 1,
            member_weights: Vec::new(),
        }
    }
}

/// The quotas that apply to one person in one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quota {
    pub tier: Option<i32>,
    pub max_owned: Option<i64>,
    pub max_claims_per_day: Option<i64>,
    /// `None`: every grade.
    pub grades: Option<Vec<Grade>>,
}

impl Quota {
    pub fn allows_grade(&self, grade: Option<Grade>) -> bool {
        match (&self.grades, grade) {
            (Some(allowed), Some(grade)) => allowed.contains(&grade),
            _ => true,
        }
    }
}

impl Rules {
    /// Reads a stored rule set; fields it lacks take their defaults.
    pub fn from_stored(value: &Value) -> Result<Self, String> {
        serde_json::from_value(value.clone()).map_err(|e| e.to_string())
    }

    /// The checks that span fields (the per-field ranges are on the fields).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (i, tier) in self.tiers.iter().enumerate() {
            if !seen.insert(tier.tier) {
                errors.push(FieldError::new(
                    format!("tiers[{i}].tier"),
                    "duplicate",
                    format!("tier {} is listed twice", tier.tier),
                ));
            }
            let grades: HashSet<_> = tier.grades.iter().collect();
            if grades.len() != tier.grades.len() {
                errors.push(FieldError::new(
                    format!("tiers[{i}].grades"),
                    "duplicate",
                    "a grade is listed twice",
                ));
            }
        }
        if self.claim_mode == ClaimMode::Capability {
            if self.tiers.is_empty() {
                errors.push(FieldError::new(
                    "tiers",
                    "required",
                    "capability mode needs at least one tier",
                ));
            }
            if self.default_tier.is_none() {
                errors.push(FieldError::new(
                    "default_tier",
                    "required",
                    "capability mode needs the tier of people who have none",
                ));
            }
        }
        if let Some(default) = self.default_tier {
            if !self.tiers.is_empty() && !seen.contains(&default) {
                errors.push(FieldError::new(
                    "default_tier",
                    "unknown_tier",
                    format!("tier {default} is not one of `tiers`"),
                ));
            }
        }
        let mut stages = HashSet::new();
        for (i, stage) in self.exempt_stages.iter().enumerate() {
            if !stages.insert(stage) {
                errors.push(FieldError::new(
                    format!("exempt_stages[{i}]"),
                    "duplicate",
                    "a stage is listed twice",
                ));
            } else if matches!(stage, Stage::Won | Stage::Lost) {
                errors.push(FieldError::new(
                    format!("exempt_stages[{i}]"),
                    "invalid_value",
                    "won and lost leads are not owned any more, so they cannot be exempt",
                ));
            }
        }
        let mut reasons = HashSet::new();
        for (i, reason) in self.release_reasons.iter().enumerate() {
            let well_formed = reason.len() <= 40
                && reason.starts_with(|c: char| c.is_ascii_lowercase())
                && reason
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_formed {
                errors.push(FieldError::new(
                    format!("release_reasons[{i}]"),
                    "invalid_format",
                    "a reason code is snake_case: a-z, 0-9 and _, starting with a letter, at most 40 characters",
                ));
            } else if !reasons.insert(reason) {
                errors.push(FieldError::new(
                    format!("release_reasons[{i}]"),
                    "duplicate",
                    "a reason is listed twice",
                ));
            }
        }
        let mut weighted = HashSet::new();
        for (i, w) in self.member_weights.iter().enumerate() {
            if !weighted.insert(w.user_id) {
                errors.push(FieldError::new(
                    format!("member_weights[{i}].user_id"),
                    "duplicate",
                    "this member already has a weight",
                ));
            }
        }
        errors
    }

    /// Whether some quota counts what a person holds or claimed today (then their claims are
    /// decided one at a time, under a lock of their row, so the counts hold under concurrency).
    pub fn counts_people(&self) -> bool {
        self.max_owned_per_user.is_some()
            || self.max_claims_per_day.is_some()
            || (self.claim_mode == ClaimMode::Capability && !self.tiers.is_empty())
    }

    /// The quotas of a person with `tier` (in `capability` mode, their tier's, else the pool's).
    pub fn quota_for(&self, tier: Option<i32>) -> Quota {
        if self.claim_mode == ClaimMode::Capability {
            let found = tier
                .and_then(|t| self.tiers.iter().find(|x| x.tier == t))
                .or_else(|| {
                    self.default_tier
                        .and_then(|t| self.tiers.iter().find(|x| x.tier == t))
                });
            if let Some(t) = found {
                return Quota {
                    tier: Some(t.tier),
                    max_owned: Some(t.max_owned),
                    max_claims_per_day: Some(t.max_claims_per_day),
                    grades: Some(t.grades.clone()),
                };
            }
        }
        Quota {
            tier,
            max_owned: self.max_owned_per_user,
            max_claims_per_day: self.max_claims_per_day,
            grades: None,
        }
    }

    /// A member's round-robin weight.
    pub fn weight_of(&self, user_id: Uuid) -> i64 {
        self.member_weights
            .iter()
            .find(|w| w.user_id == user_id)
            .map_or(1, |w| w.weight)
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// What changed from `old` to `self`: `{field: {from, to}}` for each field that differs.
    pub fn diff(&self, old: &Rules) -> Map<String, Value> {
        let (new, old) = (self.to_value(), old.to_value());
        let (Some(new), Some(old)) = (new.as_object(), old.as_object()) else {
            return Map::new();
        };
        new.iter()
            .filter(|(k, v)| old.get(*k) != Some(*v))
            .map(|(k, v)| {
                let from = old.get(k).cloned().unwrap_or(Value::Null);
                (k.clone(), serde_json::json!({"from": from, "to": v}))
            })
            .collect()
    }
}

/// How people's tiers are computed from their record (organisation-wide). Levels are tried in
/// order; the first one a person meets gives their tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TierPolicy {
    /// The window of claims looked at, in days back from now (default 90).
    #[validate(range(min = 1, max = 730))]
    #[schema(minimum = 1, maximum = 730, default = 90)]
    pub window_days: i64,
    /// Tried in order; the first met gives the tier.
    #[validate(length(max = 20), nested)]
    #[schema(max_items = 20)]
    pub levels: Vec<TierLevel>,
    /// The tier of people who meet no level (`null`: no tier).
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub fallback_tier: Option<i32>,
}

impl Default for TierPolicy {
    fn default() -> Self {
        Self {
            window_days: 90,
            levels: Vec::new(),
            fallback_tier: None,
        }
    }
}

/// One level of the tier policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierLevel {
    #[validate(range(min = 1, max = 20))]
    #[schema(minimum = 1, maximum = 20)]
    pub tier: i32,
    /// At least this many claims started in the window (volume).
    #[validate(range(min = 0, max = 1000000))]
    #[schema(minimum = 0, maximum = 1000000)]
    pub min_claims: i64,
    /// At least this share of those claims ended `converted` (0 to 1).
    #[validate(range(min = 0.0, max = 1.0))]
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub min_conversion_rate: f64,
}

impl TierPolicy {
    /// The tier of a person with `claims` claims in the window, `converted` of them converted.
    pub fn tier_for(&self, claims: i64, converted: i64) -> Option<i32> {
        let rate = if claims > 0 {
            converted as f64 / claims as f64
        } else {
            0.0
        };
        self.levels
            .iter()
            .find(|l| claims >= l.min_claims && rate >= l.min_conversion_rate)
            .map(|l| l.tier)
            .or(self.fallback_tier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Rules {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn missing_fields_take_defaults_and_null_turns_off() {
        let rules = parse(json!({"max_claims_per_day": 20, "no_contact_days": null}));
        assert_eq!(rules.max_claims_per_day, Some(20));
        assert_eq!(rules.no_contact_days, None);
        assert_eq!(rules.first_follow_up_hours, Some(24));
        assert_eq!(rules.exempt_stages, vec![Stage::Negotiation]);
        assert_eq!(Rules::from_stored(&json!({})).unwrap(), Rules::default());
        assert!(serde_json::from_value::<Rules>(json!({"max_claims": 3})).is_err());
        assert!(serde_json::from_value::<Rules>(json!({"exempt_stages": ["dreaming"]})).is_err());
    }

    #[test]
    fn ranges_are_validated_per_field() {
        let rules = parse(json!({"no_contact_days": -1, "reclaim_cooldown_days": -3}));
        let errors = rules.validate().unwrap_err();
        let fields: Vec<_> = errors
            .field_errors()
            .keys()
            .map(|k| k.to_string())
            .collect();
        assert!(fields.contains(&"no_contact_days".to_string()));
        assert!(fields.contains(&"reclaim_cooldown_days".to_string()));
    }

    #[test]
    fn capability_mode_needs_tiers_and_a_default() {
        let rules = parse(json!({"claim_mode": "capability"}));
        let errors = rules.check();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tiers", "default_tier"]);
        let rules = parse(json!({
            "claim_mode": "capability", "default_tier": 3,
            "tiers": [
                {"tier": 1, "max_owned": 80, "max_claims_per_day": 20, "grades": ["A", "B"]},
                {"tier": 1, "max_owned": 30, "max_claims_per_day": 5, "grades": ["C", "C"]}
            ]
        }));
        let errors = rules.check();
        let got: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("tiers[1].tier", "duplicate"),
                ("tiers[1].grades", "duplicate"),
                ("default_tier", "unknown_tier")
            ]
        );
    }

    #[test]
    fn other_cross_field_checks() {
        let rules = parse(json!({
            "exempt_stages": ["proposal", "proposal", "won"],
            "release_reasons": ["ok", "Bad Code", "ok"],
        }));
        let got: Vec<_> = rules
            .check()
            .into_iter()
            .map(|e| (e.field, e.code))
            .collect();
        let expect = [
            ("exempt_stages[1]", "duplicate"),
            ("exempt_stages[2]", "invalid_value"),
            ("release_reasons[1]", "invalid_format"),
            ("release_reasons[2]", "duplicate"),
        ];
        assert_eq!(
            got,
            expect.map(|(f, c)| (f.to_string(), c.to_string())).to_vec()
        );
        assert!(Rules::default().check().is_empty());
    }

    #[test]
    fn quotas_by_mode_and_tier() {
        let rules = parse(json!({
            "claim_mode": "capability", "default_tier": 2,
            "tiers": [
                {"tier": 1, "max_owned": 80, "max_claims_per_day": 20, "grades": ["A", "B"]},
                {"tier": 2, "max_owned": 30, "max_claims_per_day": 5, "grades": ["C", "D"]}
            ]
        }));
        let q1 = rules.quota_for(Some(1));
        assert_eq!((q1.max_owned, q1.max_claims_per_day), (Some(80), Some(20)));
        assert!(q1.allows_grade(Some(Grade::A)) && !q1.allows_grade(Some(Grade::C)));
        assert!(q1.allows_grade(None));
        // No tier, or one this pool does not define: the default tier.
        assert_eq!(rules.quota_for(None).tier, Some(2));
        assert_eq!(rules.quota_for(Some(7)).tier, Some(2));
        let plain = Rules::default().quota_for(Some(1));
        assert_eq!(
            (plain.max_owned, plain.max_claims_per_day),
            (Some(50), Some(10))
        );
        assert_eq!(plain.grades, None);
    }

    #[test]
    fn diff_names_changed_fields() {
        let new = parse(json!({"max_claims_per_day": 20, "claim_mode": "round_robin"}));
        let diff = new.diff(&Rules::default());
        assert_eq!(diff.len(), 2);
        assert_eq!(diff["max_claims_per_day"], json!({"from": 10, "to": 20}));
        assert_eq!(
            diff["claim_mode"],
            json!({"from": "first_come", "to": "round_robin"})
        );
    }

    #[test]
    fn tier_policy_levels_in_order() {
        let policy: TierPolicy = serde_json::from_value(json!({
            "levels": [
                {"tier": 1, "min_claims": 20, "min_conversion_rate": 0.3},
                {"tier": 2, "min_claims": 5, "min_conversion_rate": 0.1}
            ],
            "fallback_tier": 3
        }))
        .unwrap();
        assert_eq!(policy.tier_for(40, 12), Some(1));
        assert_eq!(policy.tier_for(40, 11), Some(2));
        assert_eq!(policy.tier_for(10, 1), Some(2));
        assert_eq!(policy.tier_for(4, 4), Some(3));
        assert_eq!(policy.tier_for(0, 0), Some(3));
        assert_eq!(TierPolicy::default().tier_for(100, 100), None);
    }
}
