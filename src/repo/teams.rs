//! Teams.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::{Team, TeamChanges};
use crate::db::schema::teams;

pub fn insert(conn: &mut PgConnection, team: &Team) -> QueryResult<Team> {
    diesel::insert_into(teams::table)
        .values(team)
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Team>> {
    teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<Team>> {
    let mut query = teams::table.select(Team::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(teams::id.gt(after));
    }
    query.order(teams::id.asc()).limit(limit).load(conn)
}

pub fn update(conn: &mut PgConnection, id: Uuid, changes: &TeamChanges) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set(changes)
        .returning(Team::as_returning())
        .get_result(conn)
}

/// Removes `manager_id` as manager of every team (they were demoted or deactivated).
pub fn clear_manager(
    conn: &mut PgConnection,
    manager_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<usize> {
    diesel::update(teams::table.filter(teams::manager_id.eq(manager_id)))
        .set((
            teams::manager_id.eq(None::<Uuid>),
            teams::updated_at.eq(now),
        ))
        .execute(conn)
}
