//! Users.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::{NewUser, User, UserChanges};
use crate::db::schema::users;

/// Which users a listing returns.
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    /// Only members of teams this manager manages (plus the manager).
    pub managed_by: Option<Uuid>,
    pub role: Option<crate::domain::role::Role>,
    pub team_id: Option<Uuid>,
    pub active: Option<bool>,
    /// Case-insensitive substring of name or email.
    pub q: Option<String>,
}

pub fn insert(conn: &mut PgConnection, new: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Reads a user and holds a share lock on the row until the transaction ends.
pub fn find_locked(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .for_share()
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// True when `user_id` is `manager_id` or a member of a team that `manager_id` manages.
pub fn is_managed_by(
    conn: &mut PgConnection,
    user_id: Uuid,
    manager_id: Uuid,
) -> QueryResult<bool> {
    if user_id == manager_id {
        return Ok(true);
    }
    let managed_teams = crate::managed_teams!(manager_id);
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::team_id.eq_any(managed_teams)),
    ))
    .get_result(conn)
}

/// Up to `limit` users after `after` (by id), matching `filter`.
pub fn list(
    conn: &mut PgConnection,
    filter: &UserFilter,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).into_boxed();
    if let Some(manager_id) = filter.managed_by {
        let managed_teams = crate::managed_teams!(manager_id);
        query = query.filter(
            users::team_id
                .eq_any(managed_teams)
                .or(users::id.eq(manager_id)),
        );
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(*role));
    }
    if let Some(team_id) = filter.team_id {
        query = query.filter(users::team_id.eq(team_id));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(q) = &filter.q {
        let pattern = super::like_pattern(q);
        query = query.filter(
            users::name
                .ilike(pattern.clone())
                .or(users::email.ilike(pattern)),
        );
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.order(users::id.asc()).limit(limit).load(conn)
}

pub fn update(conn: &mut PgConnection, id: Uuid, changes: &UserChanges) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(User::as_returning())
        .get_result(conn)
}

/// Raises the user's token version: every access token issued before stops working.
pub fn bump_token_version(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::token_version.eq(users::token_version + 1))
        .execute(conn)
}

/// Active admins other than `except`.
pub fn count_other_active_admins(conn: &mut PgConnection, except: Uuid) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq("admin"))
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .count()
        .get_result(conn)
}

/// Reads a user and locks the row against other claims for them until the transaction ends:
/// one person's claims are decided one at a time, so their quotas hold under concurrency.
/// (`FOR NO KEY UPDATE` still lets other transactions insert rows that refer to the user.)
pub fn lock_for_claims(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .for_no_key_update()
        .first(conn)
        .optional()
}

/// Locks a user's row against every claim for them (`FOR UPDATE`, which waits for and blocks
/// the key-share lock a claim takes on its claimer): for deactivation.
pub fn lock_against_claims(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Uuid>> {
    users::table
        .find(id)
        .select(users::id)
        .for_update()
        .first(conn)
        .optional()
}

/// Locks several users in id order (the same order everywhere, so no deadlocks).
pub fn lock_many_for_claims(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select(User::as_select())
        .order(users::id)
        .for_no_key_update()
        .load(conn)
}

/// The people of these teams.
pub fn in_teams(conn: &mut PgConnection, team_ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    users::table
        .filter(users::team_id.eq_any(team_ids))
        .select(users::id)
        .order(users::id)
        .load(conn)
}
