//! When an owned lead goes back to its pool, and why (product.md §4.1): a pure function of the
//! pool's rules and the facts of the current hold, so "what will be recycled when" is stored state
//! that every change recomputes, not a guess.

use chrono::{DateTime, Duration, Utc};

use super::claim::ClaimEnd;
use super::lead::Stage;
use super::rules::Rules;

/// What is known about the current hold of a lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub stage: Stage,
    /// When the current claim started.
    pub claimed_at: DateTime<Utc>,
    /// The claim took the lead from a pool (a claim, next-lead, distribution or assignment), not a
    /// transfer: only then does `first_follow_up_hours` apply.
    pub from_pool: bool,
    /// The last follow-up since the claim started.
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// Follow-ups since the claim started or the stage last advanced, whichever is later.
    pub follow_ups_since_progress: i64,
}

/// The moment a lead is due back and the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub reason: ClaimEnd,
}

/// The earliest moment any rule sends the lead back (on a tie: first follow-up, no contact, no
/// progress, no deal), or `None` when no rule applies (an exempt stage, every rule off).
pub fn due(rules: &Rules, hold: &Hold) -> Option<Due> {
    if rules.exempt_stages.contains(&hold.stage) || matches!(hold.stage, Stage::Won | Stage::Lost) {
        return None;
    }
    let mut candidates: Vec<Due> = Vec::new();
    if let (Some(hours), true, None) = (
        rules.first_follow_up_hours,
        hold.from_pool,
        hold.last_follow_up_at,
    ) {
        candidates.push(Due {
            at: hold.claimed_at + Duration::hours(hours),
            reason: ClaimEnd::RecycledNoFirstFollowUp,
        });
    }
    if let Some(days) = rules.no_contact_days {
        let since = hold
            .last_follow_up_at
            .map_or(hold.claimed_at, |f| f.max(hold.claimed_at));
        candidates.push(Due {
            at: since + Duration::days(days),
            reason: ClaimEnd::RecycledNoContact,
        });
    }
    if let (Some(max), Some(last)) = (
        rules.max_follow_ups_without_progress,
        hold.last_follow_up_at,
    ) {
        if hold.follow_ups_since_progress >= max {
            candidates.push(Due {
                at: last,
                reason: ClaimEnd::RecycledNoProgress,
            });
        }
    }
    if let Some(days) = rules.no_deal_days {
        candidates.push(Due {
            at: hold.claimed_at + Duration::days(days),
            reason: ClaimEnd::RecycledNoDeal,
        });
    }
    // `min_by_key` keeps the first of equal keys: the order above breaks ties.
    candidates.into_iter().min_by_key(|d| d.at)
}

super::text_enum::text_enum! {
    /// Where a recorded sweep run stands: `running` (batches still being recycled), `done`, or
    /// `failed` (a batch failed; what was recycled before it stays recycled).
    SweepRunStatus {
        Running = "running",
        Done = "done",
        Failed = "failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-11-02T01:00:00Z".parse().unwrap()
    }

    fn hold() -> Hold {
        Hold {
            stage: Stage::New,
            claimed_at: t0(),
            from_pool: true,
            last_follow_up_at: None,
            follow_ups_since_progress: 0,
        }
    }

    fn rules(json: serde_json::Value) -> Rules {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn no_first_follow_up_after_the_hours() {
        let due = due(&Rules::default(), &hold()).unwrap();
        assert_eq!(due.at, t0() + Duration::hours(24));
        assert_eq!(due.reason, ClaimEnd::RecycledNoFirstFollowUp);
    }

    #[test]
    fn first_follow_up_rule_only_for_leads_from_a_pool() {
        let transferred = Hold {
            from_pool: false,
            ..hold()
        };
        let due = due(&Rules::default(), &transferred).unwrap();
        assert_eq!(due.reason, ClaimEnd::RecycledNoContact);
        assert_eq!(due.at, t0() + Duration::days(3));
    }

    #[test]
    fn no_contact_counts_from_the_last_follow_up() {
        let h = Hold {
            last_follow_up_at: Some(t0() + Duration::hours(5)),
            follow_ups_since_progress: 1,
            ..hold()
        };
        let due = due(&Rules::default(), &h).unwrap();
        assert_eq!(due.reason, ClaimEnd::RecycledNoContact);
        assert_eq!(due.at, t0() + Duration::hours(5) + Duration::days(3));
    }

    #[test]
    fn too_many_follow_ups_without_progress_is_due_at_the_last_one() {
        let last = t0() + Duration::hours(30);
        let h = Hold {
            last_follow_up_at: Some(last),
            follow_ups_since_progress: 5,
            ..hold()
        };
        let due = due(&Rules::default(), &h).unwrap();
        assert_eq!((due.at, due.reason), (last, ClaimEnd::RecycledNoProgress));
        let four = Hold {
            follow_ups_since_progress: 4,
            ..h
        };
        assert_eq!(
            super::due(&Rules::default(), &four).unwrap().reason,
            ClaimEnd::RecycledNoContact
        );
    }

    #[test]
    fn no_deal_when_it_comes_first() {
        let r = rules(serde_json::json!({"no_deal_days": 2, "first_follow_up_hours": null}));
        let due = due(&r, &hold()).unwrap();
        assert_eq!(
            (due.at, due.reason),
            (t0() + Duration::days(2), ClaimEnd::RecycledNoDeal)
        );
    }

    #[test]
    fn ties_go_to_the_first_rule_in_order() {
        let r = rules(serde_json::json!({"first_follow_up_hours": 72, "no_contact_days": 3}));
        assert_eq!(
            due(&r, &hold()).unwrap().reason,
            ClaimEnd::RecycledNoFirstFollowUp
        );
    }

    #[test]
    fn exempt_stages_and_rules_turned_off() {
        let negotiating = Hold {
            stage: Stage::Negotiation,
            ..hold()
        };
        assert_eq!(due(&Rules::default(), &negotiating), None);
        let off = rules(serde_json::json!({
            "first_follow_up_hours": null, "no_contact_days": null,
            "max_follow_ups_without_progress": null, "no_deal_days": null
        }));
        assert_eq!(due(&off, &hold()), None);
    }
}
