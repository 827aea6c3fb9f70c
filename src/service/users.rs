//! People: creating, reading (scoped by role) and changing users.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::connection::SimpleConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::{NewUser, Team, User, UserChanges};
use crate::domain::email::Email;
use crate::domain::page::{Cursor, Limit};
use crate::domain::role::Role;
use crate::error::{AppError, ErrorCode};
use crate::repo;
use crate::repo::users::UserFilter;
use crate::service::audit::Audit;

/// Serialises changes that could remove the last active admin ("admins" in ASCII).
const ADMIN_CHANGE_LOCK_KEY: i64 = 0x6164_6d69_6e73;

/// A new user, parsed.
#[derive(Debug)]
pub struct NewUserInput {
    pub name: String,
    pub email: Email,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub tier: Option<i32>,
    pub password_hash: String,
}

/// A change to a user, parsed. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<Email>,
    pub role: Option<Role>,
    pub team_id: Option<Option<Uuid>>,
    pub tier: Option<Option<i32>>,
    pub active: Option<bool>,
    pub on_leave_from: Option<Option<DateTime<Utc>>>,
    pub on_leave_until: Option<Option<DateTime<Utc>>>,
    pub password_hash: Option<String>,
}

fn email_taken() -> AppError {
    AppError::Conflict {
        code: ErrorCode::EmailTaken,
        detail: "another user already has this email address".into(),
    }
}

fn map_unique(err: DieselError) -> AppError {
    match &err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("users_email_key") =>
        {
            email_taken()
        }
        _ => err.into(),
    }
}

fn check_team(conn: &mut PgConnection, team_id: Option<Uuid>) -> Result<(), AppError> {
    if let Some(team_id) = team_id {
        if repo::teams::find(conn, team_id)?.is_none() {
            return Err(AppError::validation(
                "team_id",
                "not_found",
                "no team has this id",
            ));
        }
    }
    Ok(())
}

/// What the audit trail keeps of a user (never the password hash).
fn snapshot(user: &User) -> serde_json::Value {
    serde_json::json!({
        "name": user.name, "email": user.email, "role": user.role, "team_id": user.team_id,
        "tier": user.tier, "tier_pinned": user.tier_pinned, "active": user.active,
        "on_leave_from": user.on_leave_from, "on_leave_until": user.on_leave_until,
    })
}

/// Creates a user; `actor` is the admin doing it (none: the start-up bootstrap).
pub fn create(
    conn: &mut PgConnection,
    actor: Option<Uuid>,
    input: NewUserInput,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    check_team(conn, input.team_id)?;
    let new = NewUser {
        id: Uuid::now_v7(),
        name: input.name,
        email: input.email.into_inner(),
        role: input.role,
        team_id: input.team_id,
        tier: input.tier,
        tier_pinned: input.tier.is_some(),
        active: true,
        password_hash: input.password_hash,
        created_at: now,
        updated_at: now,
    };
    let user = repo::users::insert(conn, &new).map_err(map_unique)?;
    Audit::of(actor, "user.created", "user", Some(user.id), now)
        .change(None, Some(snapshot(&user)))
        .write(conn)?;
    Ok(user)
}

/// Creates the first admin when the users table is empty (start-up). Returns whether it did.
pub fn bootstrap_admin(
    conn: &mut PgConnection,
    email: Email,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if repo::users::count(conn)? > 0 {
        return Ok(false);
    }
    create(
        conn,
        None,
        NewUserInput {
            name: "Administrator".into(),
            email,
            role: Role::Admin,
            team_id: None,
            tier: None,
            password_hash,
        },
        now,
    )?;
    Ok(true)
}

/// A user as `actor` may see it: admins see everyone, managers their teams' members and
/// themselves, salespeople only themselves. Anything else is 404.
pub fn get(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<User, AppError> {
    let visible = match actor.role {
        Role::Admin => true,
        Role::Manager => repo::users::is_managed_by(conn, id, actor.id)?,
        Role::Sales => id == actor.id,
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    repo::users::find(conn, id)?.ok_or(AppError::NotFound)
}

/// The caller's own record and team. A token whose user is gone is no longer valid.
pub fn profile(conn: &mut PgConnection, id: Uuid) -> Result<(User, Option<Team>), AppError> {
    let user = repo::users::find(conn, id)?.ok_or(AppError::Unauthorized {
        code: ErrorCode::InvalidToken,
        detail: "the account behind this token no longer exists".into(),
    })?;
    let team = match user.team_id {
        Some(team_id) => repo::teams::find(conn, team_id)?,
        None => None,
    };
    Ok((user, team))
}

/// Filters of a user listing, parsed.
#[derive(Debug, Default)]
pub struct ListUsers {
    pub role: Option<Role>,
    pub team_id: Option<Uuid>,
    pub active: Option<bool>,
    pub q: Option<String>,
    pub cursor: Option<Cursor>,
    pub limit: Limit,
}

pub fn list(
    conn: &mut PgConnection,
    actor: &AuthUser,
    query: ListUsers,
) -> Result<(Vec<User>, Option<String>), AppError> {
    let managed_by = match actor.role {
        Role::Admin => None,
        Role::Manager => Some(actor.id),
        Role::Sales => return Err(AppError::Forbidden),
    };
    let filter = UserFilter {
        managed_by,
        role: query.role,
        team_id: query.team_id,
        active: query.active,
        q: query.q,
    };
    Ok(crate::domain::page::fetch_page(
        query.limit,
        query.cursor,
        |after, n| repo::users::list(conn, &filter, after, n),
        |u| u.id,
    )?)
}

/// Applies an admin's change. Deactivating a user or setting a new password signs them out
/// everywhere (their refresh tokens are revoked). A deactivated user, or one demoted to sales,
/// stops managing their teams. The last active admin cannot be demoted or deactivated.
pub fn update(
    conn: &mut PgConnection,
    actor: Uuid,
    id: Uuid,
    patch: UserPatch,
    now: DateTime<Utc>,
) -> Result<User, AppError> {
    let current = repo::users::find(conn, id)?.ok_or(AppError::NotFound)?;
    if let Some(team_id) = patch.team_id {
        check_team(conn, team_id)?;
    }

    let leave_from = patch.on_leave_from.unwrap_or(current.on_leave_from);
    let leave_until = patch.on_leave_until.unwrap_or(current.on_leave_until);
    if let (Some(from), Some(until)) = (leave_from, leave_until) {
        if from >= until {
            return Err(AppError::validation(
                "on_leave_until",
                "invalid_window",
                "must be later than on_leave_from",
            ));
        }
    }

    let loses_admin = current.role == Role::Admin
        && current.active
        && (patch.role.is_some_and(|r| r != Role::Admin) || patch.active == Some(false));
    if loses_admin {
        // Two admins demoting each other at once must not both succeed.
        conn.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({ADMIN_CHANGE_LOCK_KEY})"
        ))?;
        if repo::users::count_other_active_admins(conn, id)? == 0 {
            return Err(AppError::Conflict {
                code: ErrorCode::LastAdmin,
                detail: "this is the last active admin; make another admin first".into(),
            });
        }
    }

    if patch.active == Some(false) && current.active {
        // Locked the strongest way (FOR UPDATE conflicts with the key-share lock every claim
        // takes on its claimer's row, see `repo::holds::START_HOLD`): no claim of theirs is in
        // flight while their holdings are counted, and none starts until this commits.
        repo::users::lock_against_claims(conn, id)?;
        let held = repo::hand_overs::held_count(conn, id)?;
        if held > 0 {
            return Err(AppError::Conflict {
                code: ErrorCode::HoldsLeads,
                detail: format!(
                    "{} still holds {held} leads or customers: hand them over first \
                     (POST /api/v1/users/{id}/hand-over), then deactivate",
                    current.name
                ),
            });
        }
    }

    let password_changed = patch.password_hash.is_some();
    let signs_out = patch.active == Some(false) || password_changed;
    let stops_managing = patch.active == Some(false) || patch.role == Some(Role::Sales);
    let changes = UserChanges {
        name: patch.name,
        email: patch.email.map(Email::into_inner),
        role: patch.role,
        team_id: patch.team_id,
        // A tier set by an admin stays until cleared; cleared, the tier policy computes it.
        tier_pinned: patch.tier.map(|t| t.is_some()),
        tier: patch.tier,
        active: patch.active,
        on_leave_from: patch.on_leave_from,
        on_leave_until: patch.on_leave_until,
        password_hash: patch.password_hash,
        updated_at: Some(now),
    };
    let user = repo::users::update(conn, id, &changes).map_err(map_unique)?;
    if signs_out {
        super::auth::end_sessions(conn, id, now)?;
    }
    if stops_managing {
        repo::teams::clear_manager(conn, id, now)?;
    }
    let mut after = snapshot(&user);
    if password_changed {
        after["password_changed"] = serde_json::Value::Bool(true);
    }
    Audit::of(Some(actor), "user.updated", "user", Some(id), now)
        .diff(snapshot(&current), after)
        .write(conn)?;
    Ok(user)
}
