//! Reading claim records and stored claim decisions, scoped to the caller.

use super::*;

use crate::domain::page::{Cursor, Limit, Paged, fetch_page};
use crate::repo::claims::{ClaimFilter, ClaimScope, DecisionFilter};

/// Whose claim records a person reads: salespeople their own, managers their and their teams',
/// admins all.
pub fn claim_scope(actor: &AuthUser) -> ClaimScope {
    match actor.role {
        Role::Admin => ClaimScope::All,
        Role::Manager => ClaimScope::ManagedBy(actor.id),
        Role::Sales => ClaimScope::Of(actor.id),
    }
}

/// Claim records after `after` (newest first) the caller may read: a page, or a slice of an
/// export.
pub fn claims_after(
    conn: &mut PgConnection,
    actor: &AuthUser,
    filter: &ClaimFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Claim>, AppError> {
    Ok(repo::claims::list(
        conn,
        &claim_scope(actor),
        filter,
        after,
        limit,
    )?)
}

/// One page of the claim records the caller may read, newest first.
pub fn list_claims(
    conn: &mut PgConnection,
    actor: &AuthUser,
    filter: &ClaimFilter,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<Claim>, AppError> {
    fetch_page(
        limit,
        cursor,
        |after, n| claims_after(conn, actor, filter, after, n),
        |c| c.id,
    )
}

/// One page of stored decisions, newest first: admins read all (or those about `about`);
/// everyone else only the decisions about themselves (asking about another person is forbidden).
pub fn list_decisions(
    conn: &mut PgConnection,
    actor: &AuthUser,
    about: Option<Uuid>,
    mut filter: DecisionFilter,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<Decision>, AppError> {
    filter.about = match (actor.role, about) {
        (Role::Admin, who) => who,
        (_, None) => Some(actor.id),
        (_, Some(who)) if who == actor.id => Some(who),
        _ => return Err(AppError::Forbidden),
    };
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::claims::list_decisions(conn, &filter, after, n),
        |d| d.id,
    )?)
}

/// One stored decision, for the person who asked, the person chosen, their managers and admins;
/// for anyone else it is not found.
pub fn decision(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<Decision, AppError> {
    let decision = repo::claims::find_decision(conn, id)?.ok_or(AppError::NotFound)?;
    if !may_read_decision(conn, actor, &decision)? {
        return Err(AppError::NotFound);
    }
    Ok(decision)
}
