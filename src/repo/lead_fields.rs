//! Custom field definitions.

use diesel::prelude::*;

use crate::db::models::{LeadField, LeadFieldChanges};
use crate::db::schema::lead_fields;

pub fn insert(conn: &mut PgConnection, field: &LeadField) -> QueryResult<LeadField> {
    diesel::insert_into(lead_fields::table)
        .values(field)
        .returning(LeadField::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, key: &str) -> QueryResult<Option<LeadField>> {
    lead_fields::table
        .find(key)
        .select(LeadField::as_select())
        .first(conn)
        .optional()
}

/// Definitions in display order; removed ones only when asked for.
pub fn list(conn: &mut PgConnection, include_removed: bool) -> QueryResult<Vec<LeadField>> {
    let mut query = lead_fields::table
        .select(LeadField::as_select())
        .into_boxed();
    if !include_removed {
        query = query.filter(lead_fields::deleted_at.is_null());
    }
    query
        .order((lead_fields::position, lead_fields::key))
        .load(conn)
}

pub fn update(
    conn: &mut PgConnection,
    key: &str,
    changes: &LeadFieldChanges,
) -> QueryResult<LeadField> {
    diesel::update(lead_fields::table.find(key))
        .set(changes)
        .returning(LeadField::as_returning())
        .get_result(conn)
}
