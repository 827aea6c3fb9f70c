//! Closing a lead for good (invalid, spam, lost), a customer included, and reopening a closed
//! customer.

use super::*;

/// A manager (of the owner, or a member of the lead's pool for a pooled lead) or an admin closes
/// a lead for good: invalid, spam, lost.
pub fn close(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Lead, AppError> {
    actor.require(&[Role::Manager, Role::Admin])?;
    let lead = repo::leads::find_for_update(conn, lead_id)?.ok_or(AppError::NotFound)?;
    let visible = match (actor.role, lead.state.as_str(), lead.pool_id) {
        (Role::Admin, _, _) => true,
        (_, "owned" | "converted", _) => crate::service::leads::may_read(conn, actor, &lead)?,
        (_, "pooled", Some(pool)) => repo::pools::is_member(conn, pool, actor.id)?,
        _ => false,
    };
    if !visible {
        return Err(AppError::NotFound);
    }
    match lead.state.as_str() {
        "owned" => {
            let (lead, _) = end_hold(
                conn,
                &lead,
                ClaimEnd::Closed,
                Some(actor.id),
                After::Closed,
                json!({"close_reason": reason}),
                now,
            )?;
            Ok(lead)
        }
        // Out of the pool, or (a customer: no hold to end) away from its owner.
        "pooled" | "converted" => close_unheld(conn, actor, &lead, &reason, now),
        _ => Err(AppError::Conflict {
            code: ErrorCode::LeadNotOpen,
            detail: format!("the lead is already {}", lead.state),
        }),
    }
}

/// Closes a lead no one holds (pooled, or a customer, which keeps its stage: won): the row, the
/// timeline entry and the audit.
fn close_unheld(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead: &Lead,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Lead, AppError> {
    let (stage, details, before) = if lead.state == LeadState::Converted {
        (
            lead.stage,
            json!({"close_reason": reason, "customer": true, "user_id": lead.owner_id}),
            json!({"state": "converted", "owner_id": lead.owner_id}),
        )
    } else {
        (
            None,
            json!({"close_reason": reason, "pool_id": lead.pool_id}),
            json!({"state": "pooled"}),
        )
    };
    let closed =
        repo::lifecycle::release_row(conn, lead.id, LeadState::Closed, lead.pool_id, stage, now)?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::Closed,
            Some(actor.id),
            details,
            now,
        ),
    )?;
    Audit::of(Some(actor.id), "lead.closed", "lead", Some(lead.id), now)
        .lead(lead.id)
        .change(
            Some(before),
            Some(json!({"state": "closed", "reason": reason})),
        )
        .write(conn)?;
    Ok(closed)
}

/// A manager (of the customer's owner) or an admin reopens a closed customer: it is `converted`
/// again, with the person whose hold converted it. Only a closed lead that was won can be
/// reopened (409 `conflict` otherwise); a lead closed before it was won stays closed.
pub fn reopen(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Lead, AppError> {
    actor.require(&[Role::Manager, Role::Admin])?;
    let lead = repo::leads::find_for_update(conn, lead_id)?.ok_or(AppError::NotFound)?;
    let owner = repo::claims::converted_by(conn, lead.id)?;
    if !crate::service::leads::may_read_owned_by(conn, actor, owner)? {
        return Err(AppError::NotFound);
    }
    let (LeadState::Closed, Some(owner)) = (lead.state, owner) else {
        return Err(AppError::Conflict {
            code: ErrorCode::Conflict,
            detail: format!(
                "only a closed customer can be reopened; this lead is {} and was {}won",
                lead.state,
                if owner.is_some() { "" } else { "never " }
            ),
        });
    };
    let reopened = repo::lifecycle::update_hold(
        conn,
        lead.id,
        &repo::lifecycle::HoldChanges::customer(Some(owner), lead.pool_id, now),
    )?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::Reopened,
            Some(actor.id),
            json!({"user_id": owner}),
            now,
        ),
    )?;
    Audit::of(Some(actor.id), "lead.reopened", "lead", Some(lead.id), now)
        .lead(lead.id)
        .change(
            Some(json!({"state": "closed", "owner_id": null})),
            Some(json!({"state": "converted", "owner_id": owner})),
        )
        .write(conn)?;
    Ok(reopened)
}
