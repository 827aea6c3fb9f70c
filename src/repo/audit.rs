//! The audit trail: append-only entries (a trigger refuses updates and deletes), read newest
//! first.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::AuditEntry;
use crate::db::schema::audit_log;

/// Filters of the audit list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, entry: &AuditEntry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

/// Several entries, in statements of at most 5,000 rows.
pub fn insert_many(conn: &mut PgConnection, rows: &[AuditEntry]) -> QueryResult<()> {
    for batch in rows.chunks(5000) {
        diesel::insert_into(audit_log::table)
            .values(batch)
            .execute(conn)?;
    }
    Ok(())
}

/// Entries newest first, after `after` (an entry id: ids are time-ordered UUIDv7).
pub fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .into_boxed();
    if let Some(v) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(v));
    }
    if let Some(v) = filter.lead_id {
        query = query.filter(audit_log::lead_id.eq(v));
    }
    if let Some(v) = &filter.action {
        query = query.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = &filter.object_type {
        query = query.filter(audit_log::object_type.eq(v.clone()));
    }
    if let Some(v) = filter.object_id {
        query = query.filter(audit_log::object_id.eq(v));
    }
    if let Some(v) = filter.from {
        query = query.filter(audit_log::created_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(audit_log::created_at.lt(v));
    }
    if let Some(after) = after {
        query = query.filter(audit_log::id.lt(after));
    }
    query.order(audit_log::id.desc()).limit(limit).load(conn)
}
