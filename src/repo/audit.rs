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

/// Several entries, as arrays unnested in one statement of fixed text (no parse and plan of
/// thousands of placeholders per batch).
pub fn insert_many(conn: &mut PgConnection, rows: &[AuditEntry]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    if let [one] = rows {
        return insert(conn, one);
    }
    for batch in rows.chunks(10_000) {
        crate::db::prepared::prepared(
            "INSERT INTO audit_log (id, actor_id, action, object_type, object_id, lead_id, before,
                                    after, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::uuid[],
                                  $6::uuid[], $7::jsonb[], $8::jsonb[], $9::timestamptz[])",
        )
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|a| a.id).collect::<Vec<_>>())
        .bind::<Array<Nullable<SqlUuid>>, _>(batch.iter().map(|a| a.actor_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|a| a.action.as_str()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(
            batch
                .iter()
                .map(|a| a.object_type.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<SqlUuid>>, _>(batch.iter().map(|a| a.object_id).collect::<Vec<_>>())
        .bind::<Array<Nullable<SqlUuid>>, _>(batch.iter().map(|a| a.lead_id).collect::<Vec<_>>())
        .bind::<Array<Nullable<Jsonb>>, _>(
            batch.iter().map(|a| a.before.as_ref()).collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Jsonb>>, _>(
            batch.iter().map(|a| a.after.as_ref()).collect::<Vec<_>>(),
        )
        .bind::<Array<Timestamptz>, _>(batch.iter().map(|a| a.created_at).collect::<Vec<_>>())
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
