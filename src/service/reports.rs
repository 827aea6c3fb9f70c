//! Reports: who may see which figures, and the figures themselves, read in one read-only
//! snapshot from the projection of the facts and the facts since it (see `repo::reports`).

use chrono::{DateTime, Duration, Utc};
use diesel::pg::PgConnection;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::domain::period::Period;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo;
use crate::repo::reports::{
    ChurnRow, ConversionKey, ConversionRow, PoolHealthRow, SalespersonRow, TimingRow,
};

/// The instant a report read in this snapshot is exact for: `now`, less the delay of a read
/// replica still replaying. 503 while the projection has not been built (a start-up prepares it).
pub fn as_of(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    let status = repo::reports::projector::status(conn)?;
    if !status.built {
        return Err(AppError::Unavailable);
    }
    Ok(now - Duration::milliseconds((status.replica_delay_secs * 1000.0).round() as i64))
}

/// Whose figures a caller sees: everyone's (`None`) or those of the listed people.
fn people_of(conn: &mut PgConnection, actor: &AuthUser) -> Result<Option<Vec<Uuid>>, AppError> {
    Ok(match actor.role {
        Role::Admin => None,
        Role::Manager => Some(repo::reports::managed_people(conn, actor.id)?),
        Role::Sales => Some(vec![actor.id]),
    })
}

/// A team's figures are for admins, and for the managers of it or of a team above it (403).
fn may_ask_for_team(conn: &mut PgConnection, actor: &AuthUser, team: Uuid) -> Result<(), AppError> {
    let allowed = match actor.role {
        Role::Admin => true,
        Role::Manager => repo::teams::is_managed_team(conn, team, actor.id)?,
        Role::Sales => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The people a report covers: the caller's (see [`people_of`]), narrowed to `team` and every
/// team below it when one is named (for a manager, one of the teams they answer for; 403
/// otherwise; salespeople name none).
fn people_in_team(
    conn: &mut PgConnection,
    actor: &AuthUser,
    team: Option<Uuid>,
) -> Result<Option<Vec<Uuid>>, AppError> {
    let mine = people_of(conn, actor)?;
    let Some(team) = team else {
        return Ok(mine);
    };
    may_ask_for_team(conn, actor, team)?;
    let teams = repo::teams::subtree(conn, team)?;
    let members = repo::users::in_teams(conn, &teams)?;
    Ok(Some(match mine {
        None => members,
        Some(mine) => members.into_iter().filter(|p| mine.contains(p)).collect(),
    }))
}

/// Conversion by `key` of the leads created in the period (for managers and salespeople: the
/// leads they, or their teams, held). Pool keys come with the pool's name.
pub fn conversion(
    conn: &mut PgConnection,
    actor: &AuthUser,
    key: ConversionKey,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    team: Option<Uuid>,
) -> Result<Vec<(ConversionRow, Option<String>)>, AppError> {
    let people = people_in_team(conn, actor, team)?;
    let rows = repo::reports::conversion(conn, key, start, end, people.as_deref())?;
    let names = if key == ConversionKey::Pool {
        repo::pools::names(conn)?
    } else {
        Default::default()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let label = match key {
                ConversionKey::Pool => row
                    .key
                    .as_deref()
                    .and_then(|k| k.parse::<Uuid>().ok())
                    .and_then(|id| names.get(&id).cloned()),
                _ => row.key.clone(),
            };
            (row, label)
        })
        .collect())
}

/// Per person: salespeople see themselves; managers the people of their teams and the teams below
/// them (optionally one of those teams, with the teams below it); admins everyone (optionally one
/// team, with the teams below it).
pub fn salespeople(
    conn: &mut PgConnection,
    actor: &AuthUser,
    period: &Period,
    team_id: Option<Uuid>,
) -> Result<Vec<SalespersonRow>, AppError> {
    if let Some(team) = team_id {
        may_ask_for_team(conn, actor, team)?;
    }
    let people = people_of(conn, actor)?;
    Ok(repo::reports::salespeople(
        conn,
        period,
        people.as_deref(),
        team_id,
    )?)
}

/// Each pool's figures, and the churn rows of those pools.
pub type PoolHealth = (Vec<PoolHealthRow>, Vec<ChurnRow>);

/// Pool flows: managers see the pools their teams' people belong to; admins all. Salespeople
/// do not read pool health.
pub fn pool_health(
    conn: &mut PgConnection,
    actor: &AuthUser,
    period: &Period,
    pool_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<PoolHealth, AppError> {
    let pools = match (people_of(conn, actor)?, actor.role) {
        (_, Role::Sales) => return Err(AppError::Forbidden),
        (None, _) => pool_id.map(|p| vec![p]),
        (Some(people), _) => {
            let mine = repo::reports::pools_of(conn, &people)?;
            match pool_id {
                Some(p) if mine.contains(&p) => Some(vec![p]),
                Some(_) => return Err(AppError::Forbidden),
                None => Some(mine),
            }
        }
    };
    if let Some(p) = pool_id {
        if repo::pools::find(conn, p)?.is_none() {
            return Err(AppError::NotFound);
        }
    }
    Ok(repo::reports::pool_health(
        conn,
        period,
        pools.as_deref(),
        now,
    )?)
}

/// Follow-ups by local weekday and hour: salespeople their own, managers their teams', admins
/// everyone's.
pub fn follow_up_timing(
    conn: &mut PgConnection,
    actor: &AuthUser,
    period: &Period,
    team: Option<Uuid>,
) -> Result<Vec<TimingRow>, AppError> {
    let people = people_in_team(conn, actor, team)?;
    Ok(repo::reports::follow_up_timing(
        conn,
        period,
        people.as_deref(),
    )?)
}

/// Whose funnel: one person, one team (and the teams below it), a pool, a lead source.
#[derive(Debug, Clone, Default)]
pub struct FunnelAsk {
    pub user_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    pub source: Option<String>,
}

/// The funnel of the period and what is held in each stage now. Salespeople see their own;
/// managers their people's (one of them, or one of their teams with the teams below it); admins
/// anyone's. Asking for a person or team outside one's scope is 403.
pub fn funnel(
    conn: &mut PgConnection,
    actor: &AuthUser,
    period: &Period,
    ask: FunnelAsk,
) -> Result<(Vec<repo::reports::FunnelRow>, Vec<repo::reports::StageNow>), AppError> {
    let mine = people_of(conn, actor)?;
    if let Some(user) = ask.user_id
        && mine.as_ref().is_some_and(|p| !p.contains(&user))
    {
        return Err(AppError::Forbidden);
    }
    let mut people = people_in_team(conn, actor, ask.team_id)?;
    if let Some(user) = ask.user_id {
        // One person (of the team, when one is named too).
        people = Some(if people.as_ref().is_none_or(|p| p.contains(&user)) {
            vec![user]
        } else {
            Vec::new()
        });
    }
    let scope = repo::reports::FunnelScope {
        people,
        pool_id: ask.pool_id,
        source: ask.source,
    };
    Ok((
        repo::reports::funnel(conn, period, &scope)?,
        repo::reports::funnel_now(conn, &scope)?,
    ))
}
