//! Pools and their members.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::models::{Pool, PoolChanges, User};
use crate::db::schema::{pool_member_teams, pool_member_users, pool_rule_versions, pools, users};

pub fn insert(conn: &mut PgConnection, pool: &Pool) -> QueryResult<Pool> {
    diesel::insert_into(pools::table)
        .values(pool)
        .returning(Pool::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Pool>> {
    pools::table
        .find(id)
        .select(Pool::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut PgConnection, id: Uuid, changes: &PoolChanges) -> QueryResult<Pool> {
    diesel::update(pools::table.find(id))
        .set(changes)
        .returning(Pool::as_returning())
        .get_result(conn)
}

/// Every pool (routing needs them all; there are few).
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Pool>> {
    pools::table
        .select(Pool::as_select())
        .order(pools::id)
        .load(conn)
}

/// Every pool's name by id.
pub fn names(conn: &mut PgConnection) -> QueryResult<std::collections::HashMap<Uuid, String>> {
    Ok(pools::table
        .select((pools::id, pools::name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect())
}

/// Clears the default flag of every pool but `except`.
pub fn clear_default(conn: &mut PgConnection, except: Uuid) -> QueryResult<usize> {
    diesel::update(
        pools::table
            .filter(pools::is_default)
            .filter(pools::id.ne(except)),
    )
    .set(pools::is_default.eq(false))
    .execute(conn)
}

/// Ids of the pools `user_id` belongs to, directly or through their team.
pub fn ids_for_member(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<Uuid>> {
    ids_for_members(conn, &[user_id])
}

/// Ids of the pools any of `people` belongs to: directly, through their team, or through a team
/// above theirs when the pool counts the teams below its member teams (`member_sub_teams`).
pub fn ids_for_members(conn: &mut PgConnection, people: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    use crate::db::schema::team_tree;
    let direct = pool_member_users::table
        .filter(pool_member_users::user_id.eq_any(people))
        .select(pool_member_users::pool_id);
    let through_team = users::table
        .inner_join(team_tree::table.on(users::team_id.eq(team_tree::team_id.nullable())))
        .inner_join(
            pool_member_teams::table.on(pool_member_teams::team_id.eq(team_tree::ancestor_id)),
        )
        .inner_join(pools::table.on(pools::id.eq(pool_member_teams::pool_id)))
        .filter(users::id.eq_any(people))
        .filter(team_tree::depth.eq(0).or(pools::member_sub_teams))
        .select(pool_member_teams::pool_id);
    let mut ids: Vec<Uuid> = direct.union(through_team).load(conn)?;
    ids.sort();
    Ok(ids)
}

pub fn is_member(conn: &mut PgConnection, pool_id: Uuid, user_id: Uuid) -> QueryResult<bool> {
    Ok(ids_for_member(conn, user_id)?.contains(&pool_id))
}

/// Up to `limit` pools after `after`, optionally only those in `only`.
pub fn list(
    conn: &mut PgConnection,
    only: Option<&[Uuid]>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Pool>> {
    let mut query = pools::table.select(Pool::as_select()).into_boxed();
    if let Some(ids) = only {
        query = query.filter(pools::id.eq_any(ids.to_vec()));
    }
    if let Some(after) = after {
        query = query.filter(pools::id.gt(after));
    }
    query.order(pools::id).limit(limit).load(conn)
}

pub fn member_team_ids(conn: &mut PgConnection, pool_id: Uuid) -> QueryResult<Vec<Uuid>> {
    pool_member_teams::table
        .filter(pool_member_teams::pool_id.eq(pool_id))
        .select(pool_member_teams::team_id)
        .order(pool_member_teams::team_id)
        .load(conn)
}

pub fn member_user_ids(conn: &mut PgConnection, pool_id: Uuid) -> QueryResult<Vec<Uuid>> {
    pool_member_users::table
        .filter(pool_member_users::pool_id.eq(pool_id))
        .select(pool_member_users::user_id)
        .order(pool_member_users::user_id)
        .load(conn)
}

/// Replaces the pool's member teams and users.
pub fn set_members(
    conn: &mut PgConnection,
    pool_id: Uuid,
    team_ids: Option<&[Uuid]>,
    user_ids: Option<&[Uuid]>,
) -> QueryResult<()> {
    if let Some(team_ids) = team_ids {
        diesel::delete(pool_member_teams::table.filter(pool_member_teams::pool_id.eq(pool_id)))
            .execute(conn)?;
        let rows: Vec<_> = team_ids
            .iter()
            .map(|t| {
                (
                    pool_member_teams::pool_id.eq(pool_id),
                    pool_member_teams::team_id.eq(*t),
                )
            })
            .collect();
        diesel::insert_into(pool_member_teams::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    if let Some(user_ids) = user_ids {
        diesel::delete(pool_member_users::table.filter(pool_member_users::pool_id.eq(pool_id)))
            .execute(conn)?;
        let rows: Vec<_> = user_ids
            .iter()
            .map(|u| {
                (
                    pool_member_users::pool_id.eq(pool_id),
                    pool_member_users::user_id.eq(*u),
                )
            })
            .collect();
        diesel::insert_into(pool_member_users::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

/// The pool's current rule set (as stored) and its version.
pub fn rules(
    conn: &mut PgConnection,
    pool_id: Uuid,
) -> QueryResult<Option<(serde_json::Value, i32)>> {
    pools::table
        .find(pool_id)
        .select((pools::rules, pools::rules_version))
        .first(conn)
        .optional()
}

/// Stores a new rule set as the next version, returning the version number. The row update
/// serialises concurrent changes of one pool: each gets its own version.
pub fn set_rules(
    conn: &mut PgConnection,
    pool_id: Uuid,
    rules: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> QueryResult<i32> {
    diesel::update(pools::table.find(pool_id))
        .set((
            pools::rules.eq(rules),
            pools::rules_version.eq(pools::rules_version + 1),
            pools::updated_at.eq(now),
        ))
        .returning(pools::rules_version)
        .get_result(conn)
}

/// Locks the pool row against rule changes and returns its rule set and version.
pub fn rules_for_update(
    conn: &mut PgConnection,
    pool_id: Uuid,
) -> QueryResult<Option<(serde_json::Value, i32)>> {
    pools::table
        .find(pool_id)
        .select((pools::rules, pools::rules_version))
        .for_no_key_update()
        .first(conn)
        .optional()
}

pub fn insert_rule_version(
    conn: &mut PgConnection,
    version: &crate::db::models::RuleVersion,
) -> QueryResult<()> {
    diesel::insert_into(pool_rule_versions::table)
        .values(version)
        .execute(conn)
        .map(|_| ())
}

pub fn rule_version(
    conn: &mut PgConnection,
    pool_id: Uuid,
    version: i32,
) -> QueryResult<Option<crate::db::models::RuleVersion>> {
    pool_rule_versions::table
        .find((pool_id, version))
        .select(crate::db::models::RuleVersion::as_select())
        .first(conn)
        .optional()
}

/// Rule versions of a pool, newest first, below `before`.
pub fn rule_versions(
    conn: &mut PgConnection,
    pool_id: Uuid,
    before: Option<i32>,
    limit: i64,
) -> QueryResult<Vec<crate::db::models::RuleVersion>> {
    let mut query = pool_rule_versions::table
        .filter(pool_rule_versions::pool_id.eq(pool_id))
        .select(crate::db::models::RuleVersion::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(pool_rule_versions::version.lt(before));
    }
    query
        .order(pool_rule_versions::version.desc())
        .limit(limit)
        .load(conn)
}

/// Everyone who may take leads from the pool (directly or through their team), salespeople and
/// managers, in a stable order (by id: the order people were created).
pub fn member_users(conn: &mut PgConnection, pool_id: Uuid) -> QueryResult<Vec<User>> {
    use crate::db::schema::team_tree;
    let direct = pool_member_users::table
        .filter(pool_member_users::pool_id.eq(pool_id))
        .select(pool_member_users::user_id);
    // Its member teams and, when it counts them (`member_sub_teams`), every team below them.
    let teams = pool_member_teams::table
        .inner_join(team_tree::table.on(team_tree::ancestor_id.eq(pool_member_teams::team_id)))
        .inner_join(pools::table.on(pools::id.eq(pool_member_teams::pool_id)))
        .filter(pool_member_teams::pool_id.eq(pool_id))
        .filter(team_tree::depth.eq(0).or(pools::member_sub_teams))
        .select(team_tree::team_id.nullable());
    users::table
        .filter(users::id.eq_any(direct).or(users::team_id.eq_any(teams)))
        .filter(users::role.eq_any(["sales", "manager"]))
        .select(User::as_select())
        .order(users::id)
        .load(conn)
}
