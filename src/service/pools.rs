//! Pools: members, routing conditions and the default pool.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::{Pool, PoolChanges};
use crate::domain::page::{Cursor, Limit};
use crate::domain::role::Role;
use crate::domain::routing::RoutingCondition;
use crate::error::{AppError, ErrorCode, FieldError};
use crate::repo;
use crate::service::audit::Audit;

/// A pool with its members and routing, as the API shows it.
#[derive(Debug, Clone)]
pub struct PoolView {
    pub pool: Pool,
    pub routing: Vec<RoutingCondition>,
    pub member_team_ids: Vec<Uuid>,
    pub member_user_ids: Vec<Uuid>,
}

/// Fields of a new pool or a change to one; `None` leaves a field alone.
#[derive(Debug, Default)]
pub struct PoolInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_default: Option<bool>,
    pub routing_priority: Option<i32>,
    pub routing: Option<Vec<RoutingCondition>>,
    pub member_team_ids: Option<Vec<Uuid>>,
    pub member_sub_teams: Option<bool>,
    pub member_user_ids: Option<Vec<Uuid>>,
}

fn map_unique(err: DieselError) -> AppError {
    match &err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            match info.constraint_name() {
                Some("pools_name_key") => AppError::Conflict {
                    code: ErrorCode::PoolNameTaken,
                    detail: "another pool already has this name".into(),
                },
                Some("pools_single_default") => AppError::Conflict {
                    code: ErrorCode::ConcurrentUpdate,
                    detail: "another pool was made the default at the same time; retry".into(),
                },
                _ => err.into(),
            }
        }
        _ => err.into(),
    }
}

fn view(conn: &mut PgConnection, pool: Pool) -> Result<PoolView, AppError> {
    let routing = pool
        .routing
        .as_array()
        .map(|a| crate::service::routing::parse_routing(a))
        .unwrap_or_default();
    Ok(PoolView {
        member_team_ids: repo::pools::member_team_ids(conn, pool.id)?,
        member_user_ids: repo::pools::member_user_ids(conn, pool.id)?,
        routing,
        pool,
    })
}

/// The most provinces or industries one routing condition may list.
pub const MAX_ROUTING_VALUES: usize = 500;

/// Cleans routing conditions: each needs at least one criterion; names are trimmed.
fn clean_routing(routing: Vec<RoutingCondition>) -> Result<Vec<RoutingCondition>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let cleaned: Vec<RoutingCondition> = routing
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            let mut clean_list = |name: &str, list: Vec<String>| -> Vec<String> {
                crate::domain::text::distinct(list.iter().map(String::as_str), MAX_ROUTING_VALUES)
                    .unwrap_or_else(|_| {
                        errors.push(FieldError::new(
                            format!("routing[{i}].{name}"),
                            "too_many",
                            format!("at most {MAX_ROUTING_VALUES} values"),
                        ));
                        Vec::new()
                    })
            };
            c.provinces = clean_list("provinces", c.provinces);
            c.industries = clean_list("industries", c.industries);
            let mut channels = std::collections::HashSet::new();
            c.source_channels.retain(|ch| channels.insert(*ch));
            if c.is_empty() {
                errors.push(FieldError::new(
                    format!("routing[{i}]"),
                    "empty_condition",
                    "a condition needs at least one source channel, province or industry",
                ));
            }
            c
        })
        .collect();
    if errors.is_empty() {
        Ok(cleaned)
    } else {
        Err(errors)
    }
}

fn check_members(conn: &mut PgConnection, input: &PoolInput) -> Result<Vec<FieldError>, AppError> {
    let mut errors = Vec::new();
    for (i, team_id) in input.member_team_ids.iter().flatten().enumerate() {
        if repo::teams::find(conn, *team_id)?.is_none() {
            errors.push(FieldError::new(
                format!("member_team_ids[{i}]"),
                "not_found",
                "no team has this id",
            ));
        }
    }
    for (i, user_id) in input.member_user_ids.iter().flatten().enumerate() {
        if repo::users::find(conn, *user_id)?.is_none() {
            errors.push(FieldError::new(
                format!("member_user_ids[{i}]"),
                "not_found",
                "no user has this id",
            ));
        }
    }
    Ok(errors)
}

fn apply(
    conn: &mut PgConnection,
    id: Uuid,
    input: PoolInput,
    now: DateTime<Utc>,
) -> Result<PoolView, AppError> {
    let mut errors = check_members(conn, &input)?;
    let routing = match input.routing {
        Some(r) => match clean_routing(r) {
            Ok(r) => Some(r),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if input.is_default == Some(true) {
        repo::pools::clear_default(conn, id)?;
    }
    let changes = PoolChanges {
        name: input.name,
        description: input.description,
        is_default: input.is_default,
        routing_priority: input.routing_priority,
        routing: routing.map(|r| serde_json::to_value(r).unwrap_or_default()),
        member_sub_teams: input.member_sub_teams,
        updated_at: Some(now),
    };
    let pool = repo::pools::update(conn, id, &changes).map_err(map_unique)?;
    repo::pools::set_members(
        conn,
        id,
        input.member_team_ids.as_deref(),
        input.member_user_ids.as_deref(),
    )?;
    view(conn, pool)
}

pub fn create(
    conn: &mut PgConnection,
    actor_id: Uuid,
    name: String,
    input: PoolInput,
    now: DateTime<Utc>,
) -> Result<PoolView, AppError> {
    let pool = Pool {
        id: Uuid::now_v7(),
        name,
        description: String::new(),
        is_default: false,
        routing_priority: 100,
        routing: serde_json::json!([]),
        created_at: now,
        updated_at: now,
        rules: serde_json::json!({}),
        rules_version: 1,
        member_sub_teams: true,
    };
    let created = repo::pools::insert(conn, &pool).map_err(map_unique)?;
    // Version 1 of the rules: the defaults.
    repo::pools::insert_rule_version(
        conn,
        &crate::db::models::RuleVersion {
            pool_id: created.id,
            version: 1,
            rules: crate::domain::rules::Rules::default().to_value(),
            diff: serde_json::json!({}),
            changed_by: Some(actor_id),
            changed_at: now,
        },
    )?;
    let view = apply(conn, created.id, input, now)?;
    Audit::of(
        Some(actor_id),
        "pool.created",
        "pool",
        Some(view.pool.id),
        now,
    )
    .change(None, Some(snapshot(&view)))
    .write(conn)?;
    Ok(view)
}

/// What the audit trail keeps of a pool's settings (rules have their own versions).
fn snapshot(view: &PoolView) -> serde_json::Value {
    serde_json::json!({
        "name": view.pool.name, "description": view.pool.description,
        "is_default": view.pool.is_default, "routing_priority": view.pool.routing_priority,
        "routing": view.pool.routing, "member_team_ids": view.member_team_ids,
        "member_sub_teams": view.pool.member_sub_teams,
        "member_user_ids": view.member_user_ids,
    })
}

pub fn update(
    conn: &mut PgConnection,
    actor_id: Uuid,
    id: Uuid,
    input: PoolInput,
    now: DateTime<Utc>,
) -> Result<PoolView, AppError> {
    let pool = repo::pools::find(conn, id)?.ok_or(AppError::NotFound)?;
    let before = snapshot(&view(conn, pool)?);
    let after = apply(conn, id, input, now)?;
    Audit::of(Some(actor_id), "pool.updated", "pool", Some(id), now)
        .diff(before, snapshot(&after))
        .write(conn)?;
    Ok(after)
}

/// A pool for an admin, or for one of its members; anyone else gets 404.
/// Whether `actor` may see pool `id`: admins any, others the pools they belong to.
fn may_see(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<bool, AppError> {
    Ok(actor.role == Role::Admin || repo::pools::is_member(conn, id, actor.id)?)
}

pub fn get(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<PoolView, AppError> {
    if !may_see(conn, actor, id)? {
        return Err(AppError::NotFound);
    }
    let pool = repo::pools::find(conn, id)?.ok_or(AppError::NotFound)?;
    view(conn, pool)
}

/// A `pool_id` named in a write (a new lead, an import): a pool the caller may see (admins: any;
/// others: one they belong to), else 422 exactly as for an id no pool has, so pools the caller
/// cannot see cannot be written to or found out by probing.
pub fn require_visible(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
) -> Result<(), AppError> {
    if may_see(conn, actor, pool_id)? && repo::pools::find(conn, pool_id)?.is_some() {
        return Ok(());
    }
    Err(AppError::validation(
        "pool_id",
        "not_found",
        "no pool has this id",
    ))
}

/// Admins list every pool; others the pools they belong to.
pub fn list(
    conn: &mut PgConnection,
    actor: &AuthUser,
    cursor: Option<Cursor>,
    limit: Limit,
) -> Result<(Vec<PoolView>, Option<String>), AppError> {
    let only = match actor.role {
        Role::Admin => None,
        _ => Some(repo::pools::ids_for_member(conn, actor.id)?),
    };
    let (rows, next) = crate::domain::page::fetch_page(
        limit,
        cursor,
        |after, n| repo::pools::list(conn, only.as_deref(), after, n),
        |p| p.id,
    )?;
    let views = rows
        .into_iter()
        .map(|p| view(conn, p))
        .collect::<Result<_, _>>()?;
    Ok((views, next))
}

/// A page of a pool's pooled leads, for admins and the pool's members (contact data is masked by
/// the caller of this function).
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn pooled_leads(
    conn: &mut PgConnection,
    actor: &AuthUser,
    pool_id: Uuid,
    filter: crate::repo::leads::LeadFilter,
    custom_pairs: Vec<(String, String)>,
    cursor: Option<Cursor>,
    newest_first: bool,
    limit: Limit,
) -> Result<
    (
        Vec<crate::db::models::Lead>,
        Vec<(crate::domain::custom_field::FieldDef, bool)>,
        Option<String>,
    ),
    AppError,
> {
    get(conn, actor, pool_id)?;
    super::leads::list(
        conn,
        crate::repo::leads::LeadScope::PooledIn(pool_id),
        filter,
        custom_pairs,
        cursor,
        newest_first,
        limit,
    )
}
