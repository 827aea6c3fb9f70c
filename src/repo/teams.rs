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

/// The teams `$manager` answers for: every team they manage and every team below those (through
/// `team_tree`), as a subquery of team ids for `eq_any` (one query with the question it scopes).
#[macro_export]
macro_rules! managed_teams {
    ($manager:expr) => {
        $crate::db::schema::team_tree::table
            .inner_join(
                $crate::db::schema::teams::table
                    .on($crate::db::schema::teams::id
                        .eq($crate::db::schema::team_tree::ancestor_id)),
            )
            .filter($crate::db::schema::teams::manager_id.eq($manager))
            .select($crate::db::schema::team_tree::team_id.nullable())
    };
}

/// Every team below `team_id`, itself included.
pub fn subtree(conn: &mut PgConnection, team_id: Uuid) -> QueryResult<Vec<Uuid>> {
    use crate::db::schema::team_tree;
    team_tree::table
        .filter(team_tree::ancestor_id.eq(team_id))
        .select(team_tree::team_id)
        .order(team_tree::team_id)
        .load(conn)
}

/// Whether `team_id` is one of the teams `manager` answers for.
pub fn is_managed_team(conn: &mut PgConnection, team_id: Uuid, manager: Uuid) -> QueryResult<bool> {
    use crate::db::schema::team_tree;
    diesel::select(diesel::dsl::exists(
        team_tree::table
            .inner_join(teams::table.on(teams::id.eq(team_tree::ancestor_id)))
            .filter(teams::manager_id.eq(manager))
            .filter(team_tree::team_id.eq(team_id)),
    ))
    .get_result(conn)
}

/// Who decides `requester`'s requests first: the manager of their team, or, when it has none
/// (or they manage it themselves), of the nearest team above it that has another manager.
pub fn approver_of(conn: &mut PgConnection, requester: Uuid) -> QueryResult<Option<Uuid>> {
    use crate::db::schema::{team_tree, users};
    team_tree::table
        .inner_join(users::table.on(users::team_id.eq(team_tree::team_id.nullable())))
        .inner_join(teams::table.on(teams::id.eq(team_tree::ancestor_id)))
        .filter(users::id.eq(requester))
        .filter(teams::manager_id.is_not_null())
        .filter(teams::manager_id.ne(requester))
        .order(team_tree::depth.asc())
        .select(teams::manager_id.assume_not_null())
        .first(conn)
        .optional()
}
