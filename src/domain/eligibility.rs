//! Whether a person may take a lead from a pool now, and if not, every reason why not.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error_code::ErrorCode;
use super::lead::Grade;
use super::rules::Quota;

super::text_enum::text_enum! {
    /// Why a candidate was skipped or a claim refused.
    SkipReason {
        /// Holds as many owned leads from this pool as the quota allows.
        AtMaxOwned = "at_max_owned",
        /// Has made as many claims from this pool today as allowed.
        DailyLimit = "daily_limit",
        /// On leave now.
        OnLeave = "on_leave",
        /// Deactivated.
        Inactive = "inactive",
        /// Held this lead before and the cooldown has not passed.
        Cooldown = "cooldown",
        /// Their tier may not claim leads of this grade.
        GradeNotAllowed = "grade_not_allowed",
        /// Not a member of the pool.
        NotMember = "not_member",
        /// Others are behind them in the rotation.
        NotTheirTurn = "not_their_turn",
        /// No pooled lead they may take (grades of their tier).
        NoEligibleLead = "no_eligible_lead",
        /// Someone else holds the lead.
        AlreadyClaimed = "already_claimed",
    }
}

impl SkipReason {
    /// The refusal code answered when this reason stops a claim.
    pub fn refusal_code(self) -> ErrorCode {
        match self {
            SkipReason::AtMaxOwned => ErrorCode::ClaimQuotaExceeded,
            SkipReason::DailyLimit => ErrorCode::DailyClaimLimitReached,
            SkipReason::OnLeave => ErrorCode::UserOnLeave,
            SkipReason::Inactive => ErrorCode::UserInactive,
            SkipReason::Cooldown => ErrorCode::ReclaimCooldown,
            SkipReason::GradeNotAllowed => ErrorCode::GradeNotAllowed,
            SkipReason::NotMember => ErrorCode::NotPoolMember,
            SkipReason::NotTheirTurn => ErrorCode::NotYourTurn,
            SkipReason::NoEligibleLead => ErrorCode::PoolEmpty,
            SkipReason::AlreadyClaimed => ErrorCode::LeadAlreadyClaimed,
        }
    }

    /// Reasons that an admin's quota override sets aside.
    pub fn is_quota(self) -> bool {
        matches!(
            self,
            SkipReason::AtMaxOwned
                | SkipReason::DailyLimit
                | SkipReason::Cooldown
                | SkipReason::GradeNotAllowed
        )
    }
}

/// What is known about a candidate when a decision is made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candidate {
    pub user_id: Uuid,
    pub eligible: bool,
    /// Why they were skipped (empty when eligible).
    pub reasons: Vec<SkipReason>,
    pub tier: Option<i32>,
    /// Owned leads from this pool now (counted when a limit applies, else 0).
    pub owned: i64,
    pub max_owned: Option<i64>,
    /// Claims from this pool today, local calendar day (counted when a limit applies, else 0).
    pub claimed_today: i64,
    pub max_claims_per_day: Option<i64>,
    /// When their cooldown on this lead ends. Omitted when `reasons` has no `cooldown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cooldown_until: Option<DateTime<Utc>>,
    /// Round robin: their weight in the rotation. Omitted when the decision is not a round-robin
    /// hand-out (`next-lead`, distribution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// Round robin: their position (pass) in the rotation. Omitted when the decision is not a
    /// round-robin hand-out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass: Option<i64>,
}

/// The facts about a person that decide whether they may take a lead.
#[derive(Debug, Clone)]
pub struct Facts {
    pub user_id: Uuid,
    pub member: bool,
    pub active: bool,
    pub on_leave: bool,
    pub owned: i64,
    pub claimed_today: i64,
    /// The end of their last hold of this lead, plus the cooldown.
    pub cooldown_until: Option<DateTime<Utc>>,
}

/// Every reason `facts` stop a person from taking a lead of `grade` (any grade when `None` is
/// passed as `grade_known = false`) at `now` under `quota`.
pub fn assess(
    facts: &Facts,
    quota: &Quota,
    grade: Option<Option<Grade>>,
    now: DateTime<Utc>,
) -> Candidate {
    let mut reasons = Vec::new();
    if !facts.member {
        reasons.push(SkipReason::NotMember);
    }
    if !facts.active {
        reasons.push(SkipReason::Inactive);
    }
    if facts.on_leave {
        reasons.push(SkipReason::OnLeave);
    }
    if quota.max_owned.is_some_and(|max| facts.owned >= max) {
        reasons.push(SkipReason::AtMaxOwned);
    }
    if quota
        .max_claims_per_day
        .is_some_and(|max| facts.claimed_today >= max)
    {
        reasons.push(SkipReason::DailyLimit);
    }
    let cooldown_until = facts.cooldown_until.filter(|until| *until > now);
    if cooldown_until.is_some() {
        reasons.push(SkipReason::Cooldown);
    }
    if let Some(grade) = grade {
        if !quota.allows_grade(grade) {
            reasons.push(SkipReason::GradeNotAllowed);
        }
    }
    Candidate {
        user_id: facts.user_id,
        eligible: reasons.is_empty(),
        reasons,
        tier: quota.tier,
        owned: facts.owned,
        max_owned: quota.max_owned,
        claimed_today: facts.claimed_today,
        max_claims_per_day: quota.max_claims_per_day,
        cooldown_until,
        weight: None,
        pass: None,
    }
}

/// The reason a refusal is answered with: the first in this order of importance.
pub fn leading_reason(reasons: &[SkipReason]) -> Option<SkipReason> {
    const ORDER: [SkipReason; 10] = [
        SkipReason::NotMember,
        SkipReason::AlreadyClaimed,
        SkipReason::Inactive,
        SkipReason::OnLeave,
        SkipReason::GradeNotAllowed,
        SkipReason::Cooldown,
        SkipReason::AtMaxOwned,
        SkipReason::DailyLimit,
        SkipReason::NotTheirTurn,
        SkipReason::NoEligibleLead,
    ];
    ORDER.into_iter().find(|r| reasons.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn facts() -> Facts {
        Facts {
            user_id: Uuid::nil(),
            member: true,
            active: true,
            on_leave: false,
            owned: 0,
            claimed_today: 0,
            cooldown_until: None,
        }
    }

    fn quota() -> Quota {
        Quota {
            tier: Some(2),
            max_owned: Some(3),
            max_claims_per_day: Some(2),
            grades: Some(vec![Grade::B, Grade::C]),
        }
    }

    #[test]
    fn each_fact_gives_its_reason() {
        let now = Utc::now();
        let ok = assess(&facts(), &quota(), Some(Some(Grade::B)), now);
        assert!(ok.eligible && ok.reasons.is_empty());
        let cases: Vec<(Facts, Option<Option<Grade>>, SkipReason)> = vec![
            (
                Facts {
                    member: false,
                    ..facts()
                },
                None,
                SkipReason::NotMember,
            ),
            (
                Facts {
                    active: false,
                    ..facts()
                },
                None,
                SkipReason::Inactive,
            ),
            (
                Facts {
                    on_leave: true,
                    ..facts()
                },
                None,
                SkipReason::OnLeave,
            ),
            (
                Facts {
                    owned: 3,
                    ..facts()
                },
                None,
                SkipReason::AtMaxOwned,
            ),
            (
                Facts {
                    claimed_today: 2,
                    ..facts()
                },
                None,
                SkipReason::DailyLimit,
            ),
            (
                Facts {
                    cooldown_until: Some(now + Duration::hours(1)),
                    ..facts()
                },
                None,
                SkipReason::Cooldown,
            ),
            (facts(), Some(Some(Grade::A)), SkipReason::GradeNotAllowed),
        ];
        for (f, grade, reason) in cases {
            let c = assess(&f, &quota(), grade, now);
            assert_eq!(c.reasons, vec![reason]);
            assert!(!c.eligible);
        }
        // Just under the limits, a past cooldown, an ungraded lead: fine.
        let f = Facts {
            owned: 2,
            claimed_today: 1,
            cooldown_until: Some(now - Duration::seconds(1)),
            ..facts()
        };
        assert!(assess(&f, &quota(), Some(None), now).eligible);
    }

    #[test]
    fn several_reasons_and_the_leading_one() {
        let f = Facts {
            owned: 9,
            claimed_today: 9,
            on_leave: true,
            ..facts()
        };
        let c = assess(&f, &quota(), Some(Some(Grade::A)), Utc::now());
        assert_eq!(
            c.reasons,
            vec![
                SkipReason::OnLeave,
                SkipReason::AtMaxOwned,
                SkipReason::DailyLimit,
                SkipReason::GradeNotAllowed
            ]
        );
        assert_eq!(leading_reason(&c.reasons), Some(SkipReason::OnLeave));
        assert_eq!(leading_reason(&[]), None);
        assert_eq!(
            SkipReason::AtMaxOwned.refusal_code(),
            ErrorCode::ClaimQuotaExceeded
        );
    }
}
