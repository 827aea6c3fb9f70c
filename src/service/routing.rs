//! Intake routing as the services use it: the pools' routing conditions, loaded once per batch,
//! and the pool a new lead goes to (the rule itself is `domain::routing`).

use diesel::PgConnection;
use uuid::Uuid;

use crate::domain::lead::SourceChannel;
use crate::domain::routing::{RoutablePool, RoutingCondition, route};
use crate::error::AppError;
use crate::repo;

/// Every pool as routing sees it (load once per batch of leads).
pub fn routing_table(conn: &mut PgConnection) -> Result<Vec<RoutablePool>, AppError> {
    Ok(repo::pools::all(conn)?
        .into_iter()
        .map(|p| RoutablePool {
            id: p.id,
            priority: p.routing_priority,
            is_default: p.is_default,
            conditions: p
                .routing
                .as_array()
                .map(|a| parse_routing(a))
                .unwrap_or_default(),
        })
        .collect())
}

/// The pool a new lead is routed to (see `domain::routing`).
pub fn route_lead(
    conn: &mut PgConnection,
    channel: Option<SourceChannel>,
    province: Option<&str>,
    industry: Option<&str>,
) -> Result<Option<Uuid>, AppError> {
    Ok(route(&routing_table(conn)?, channel, province, industry))
}

/// A pool's stored routing conditions (a JSON array), as conditions.
pub fn parse_routing(conditions: &[serde_json::Value]) -> Vec<RoutingCondition> {
    conditions
        .iter()
        .filter_map(|c| serde_json::from_value(c.clone()).ok())
        .collect()
}
