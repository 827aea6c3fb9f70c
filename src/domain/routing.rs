//! Intake routing: which pool a new lead goes to.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lead::SourceChannel;

/// One routing condition of a pool. A lead matches when every non-empty list contains the lead's
/// value (provinces and industries compare without regard to case or surrounding space).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingCondition {
    #[serde(default)]
    pub source_channels: Vec<SourceChannel>,
    #[serde(default)]
    pub provinces: Vec<String>,
    #[serde(default)]
    pub industries: Vec<String>,
}

impl RoutingCondition {
    pub fn is_empty(&self) -> bool {
        self.source_channels.is_empty() && self.provinces.is_empty() && self.industries.is_empty()
    }

    pub fn matches(
        &self,
        channel: Option<SourceChannel>,
        province: Option<&str>,
        industry: Option<&str>,
    ) -> bool {
        let text_in = |list: &[String], value: Option<&str>| {
            list.is_empty()
                || value.is_some_and(|v| {
                    let v = v.trim().to_lowercase();
                    list.iter().any(|item| item.trim().to_lowercase() == v)
                })
        };
        (self.source_channels.is_empty()
            || channel.is_some_and(|c| self.source_channels.contains(&c)))
            && text_in(&self.provinces, province)
            && text_in(&self.industries, industry)
    }
}

/// A pool as routing sees it.
#[derive(Debug, Clone)]
pub struct RoutablePool {
    pub id: Uuid,
    pub priority: i32,
    pub is_default: bool,
    pub conditions: Vec<RoutingCondition>,
}

/// The pool for a new lead: pools in ascending priority (then by id), each pool's conditions in
/// order; the first match wins, else the default pool, else none.
pub fn route(
    pools: &[RoutablePool],
    channel: Option<SourceChannel>,
    province: Option<&str>,
    industry: Option<&str>,
) -> Option<Uuid> {
    let mut ordered: Vec<&RoutablePool> = pools.iter().collect();
    ordered.sort_by_key(|p| (p.priority, p.id));
    ordered
        .iter()
        .find(|p| {
            p.conditions
                .iter()
                .any(|c| c.matches(channel, province, industry))
        })
        .or_else(|| ordered.iter().find(|p| p.is_default))
        .map(|p| p.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(priority: i32, is_default: bool, conditions: Vec<RoutingCondition>) -> RoutablePool {
        RoutablePool {
            id: Uuid::now_v7(),
            priority,
            is_default,
            conditions,
        }
    }

    fn cond(
        channels: &[SourceChannel],
        provinces: &[&str],
        industries: &[&str],
    ) -> RoutingCondition {
        RoutingCondition {
            source_channels: channels.to_vec(),
            provinces: provinces.iter().map(|s| s.to_string()).collect(),
            industries: industries.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn first_matching_pool_by_priority_else_default() {
        let default = pool(100, true, vec![]);
        let east = pool(10, false, vec![cond(&[], &["上海", "江苏"], &[])]);
        let web_it = pool(
            5,
            false,
            vec![cond(&[SourceChannel::Website], &[], &["IT"])],
        );
        let pools = vec![default.clone(), east.clone(), web_it.clone()];
        assert_eq!(
            route(
                &pools,
                Some(SourceChannel::Website),
                Some("上海"),
                Some(" it ")
            ),
            Some(web_it.id)
        );
        assert_eq!(
            route(&pools, Some(SourceChannel::Ads), Some("上海"), Some("IT")),
            Some(east.id)
        );
        assert_eq!(
            route(&pools, Some(SourceChannel::Ads), Some("北京"), None),
            Some(default.id)
        );
        assert_eq!(route(&pools, None, None, None), Some(default.id));
        assert_eq!(
            route(std::slice::from_ref(&east), None, Some("北京"), None),
            None
        );
    }

    #[test]
    fn all_criteria_of_a_condition_must_hold() {
        let c = cond(&[SourceChannel::Exhibition], &["广东"], &[]);
        assert!(c.matches(Some(SourceChannel::Exhibition), Some("广东"), None));
        assert!(!c.matches(Some(SourceChannel::Exhibition), Some("广西"), None));
        assert!(!c.matches(None, Some("广东"), None));
        assert!(cond(&[], &[], &[]).is_empty());
    }
}
