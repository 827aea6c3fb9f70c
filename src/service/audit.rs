//! Writing the audit trail: one entry per admin action, rule change, ownership change, approval
//! decision and contact reveal, in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::db::models::AuditEntry;
use crate::domain::page::{Cursor, Limit, Paged, fetch_page};
use crate::error::AppError;
use crate::repo;
use crate::repo::audit::AuditFilter;

/// An audit entry being put together: who did what to which object, and when.
#[derive(Debug, Clone)]
pub struct Audit(AuditEntry);

impl Audit {
    pub fn of(
        actor: Option<Uuid>,
        action: &str,
        object_type: &str,
        object_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Self {
        Self(AuditEntry {
            id: Uuid::now_v7(),
            actor_id: actor,
            action: action.into(),
            object_type: object_type.into(),
            object_id,
            lead_id: None,
            before: None,
            after: None,
            created_at: now,
        })
    }

    /// The lead the entry is about (it then shows in that lead's audit filter).
    pub fn lead(mut self, lead_id: Uuid) -> Self {
        self.0.lead_id = Some(lead_id);
        self
    }

    /// The state before and after, as given.
    pub fn change(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        self.0.before = before;
        self.0.after = after;
        self
    }

    /// Only what differs between two snapshots (objects): each changed key with its old value
    /// before and its new value after.
    pub fn diff(self, before: Value, after: Value) -> Self {
        let (before, after) = changed_keys(before, after);
        self.change(Some(before), Some(after))
    }

    pub fn write(self, conn: &mut PgConnection) -> Result<(), AppError> {
        repo::audit::insert(conn, &self.0)?;
        Ok(())
    }

    pub fn into_entry(self) -> AuditEntry {
        self.0
    }
}

/// The keys whose values differ between two JSON objects, as two objects of old and new values.
/// Anything but two objects is kept whole.
pub fn changed_keys(before: Value, after: Value) -> (Value, Value) {
    match (before, after) {
        (Value::Object(old), Value::Object(mut new)) => {
            let mut was = Map::new();
            let mut now = Map::new();
            for (key, value) in old {
                match new.remove(&key) {
                    Some(v) if v == value => {}
                    Some(v) => {
                        was.insert(key.clone(), value);
                        now.insert(key, v);
                    }
                    None => {
                        was.insert(key, value);
                    }
                }
            }
            now.extend(new);
            (Value::Object(was), Value::Object(now))
        }
        (before, after) => (before, after),
    }
}

/// Audit entries after `after` (newest first), `limit` of them: a page, or a slice of an export.
pub fn entries_after(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    Ok(repo::audit::list(conn, filter, after, limit)?)
}

/// One page of the audit log, newest first.
pub fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<AuditEntry>, AppError> {
    fetch_page(
        limit,
        cursor,
        |after, n| entries_after(conn, filter, after, n),
        |e| e.id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_keys_are_kept() {
        let (was, now) = changed_keys(
            json!({"name": "a", "role": "sales", "gone": 1}),
            json!({"name": "a", "role": "manager", "new": true}),
        );
        assert_eq!(was, json!({"role": "sales", "gone": 1}));
        assert_eq!(now, json!({"role": "manager", "new": true}));
        assert_eq!(changed_keys(json!(1), json!(2)), (json!(1), json!(2)));
    }
}
