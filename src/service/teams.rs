//! Teams and their managers.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::models::{Team, TeamChanges};
use crate::domain::page::{Cursor, Limit};
use crate::domain::role::Role;
use crate::error::{AppError, ErrorCode};
use crate::repo;
use crate::service::audit::Audit;

fn map_unique(err: DieselError) -> AppError {
    match &err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("teams_name_key") =>
        {
            AppError::Conflict {
                code: ErrorCode::TeamNameTaken,
                detail: "another team already has this name".into(),
            }
        }
        DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info)
            if matches!(
                info.constraint_name(),
                Some("teams_no_cycle" | "teams_not_own_parent")
            ) =>
        {
            AppError::validation(
                "parent_id",
                "invalid_value",
                "a team cannot sit below itself or one of the teams below it",
            )
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info)
            if info.constraint_name() == Some("teams_parent_id_fkey") =>
        {
            no_parent()
        }
        _ => err.into(),
    }
}

fn no_parent() -> AppError {
    AppError::validation("parent_id", "not_found", "no team with this id")
}

/// A manager must be an active manager or admin.
fn check_manager(conn: &mut PgConnection, manager_id: Option<Uuid>) -> Result<(), AppError> {
    let Some(manager_id) = manager_id else {
        return Ok(());
    };
    let ok = repo::users::find(conn, manager_id)?.is_some_and(|user| {
        user.active && (user.role == Role::Manager || user.role == Role::Admin)
    });
    if ok {
        Ok(())
    } else {
        Err(AppError::validation(
            "manager_id",
            "invalid_manager",
            "must be the id of an active user whose role is manager or admin",
        ))
    }
}

fn snapshot(team: &Team) -> serde_json::Value {
    serde_json::json!({"name": team.name, "manager_id": team.manager_id, "parent_id": team.parent_id})
}

pub fn create(
    conn: &mut PgConnection,
    actor: Uuid,
    name: String,
    manager_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Team, AppError> {
    check_manager(conn, manager_id)?;
    if let Some(parent) = parent_id {
        repo::teams::find(conn, parent)?.ok_or_else(no_parent)?;
    }
    let team = Team {
        id: Uuid::now_v7(),
        name,
        manager_id,
        created_at: now,
        updated_at: now,
        parent_id,
    };
    let team = repo::teams::insert(conn, &team).map_err(map_unique)?;
    Audit::of(Some(actor), "team.created", "team", Some(team.id), now)
        .change(None, Some(snapshot(&team)))
        .write(conn)?;
    Ok(team)
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Team, AppError> {
    repo::teams::find(conn, id)?.ok_or(AppError::NotFound)
}

pub fn list(
    conn: &mut PgConnection,
    cursor: Option<Cursor>,
    limit: Limit,
) -> Result<(Vec<Team>, Option<String>), AppError> {
    Ok(crate::domain::page::fetch_page(
        limit,
        cursor,
        |after, n| repo::teams::list(conn, after, n),
        |t| t.id,
    )?)
}

pub fn update(
    conn: &mut PgConnection,
    actor: Uuid,
    id: Uuid,
    name: Option<String>,
    manager_id: Option<Option<Uuid>>,
    parent_id: Option<Option<Uuid>>,
    now: DateTime<Utc>,
) -> Result<Team, AppError> {
    let current = repo::teams::find(conn, id)?.ok_or(AppError::NotFound)?;
    if let Some(manager_id) = manager_id {
        check_manager(conn, manager_id)?;
    }
    if let Some(Some(parent)) = parent_id {
        repo::teams::find(conn, parent)?.ok_or_else(no_parent)?;
    }
    // Moving a team moves everything below it: whoever manages a team above the new place answers
    // for it from this commit on (the tree's closure is rebuilt in this transaction; a cycle is
    // refused by the database, race-free with another move).
    let changes = TeamChanges {
        name,
        manager_id,
        parent_id,
        updated_at: Some(now),
    };
    let team = repo::teams::update(conn, id, &changes).map_err(map_unique)?;
    Audit::of(Some(actor), "team.updated", "team", Some(id), now)
        .diff(snapshot(&current), snapshot(&team))
        .write(conn)?;
    Ok(team)
}
