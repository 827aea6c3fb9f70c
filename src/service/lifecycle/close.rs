//! Closing a lead for good (invalid, spam, lost).

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
        (_, "owned", _) => crate::service::leads::may_read(conn, actor, &lead)?,
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
        "pooled" => {
            let closed = repo::lifecycle::release_row(
                conn,
                lead.id,
                LeadState::Closed,
                lead.pool_id,
                None,
                now,
            )?;
            repo::leads::insert_event(
                conn,
                &event(
                    lead.id,
                    crate::domain::event::LeadEventKind::Closed,
                    Some(actor.id),
                    json!({"close_reason": reason, "pool_id": lead.pool_id}),
                    now,
                ),
            )?;
            Audit::of(Some(actor.id), "lead.closed", "lead", Some(lead.id), now)
                .lead(lead.id)
                .change(
                    Some(json!({"state": "pooled"})),
                    Some(json!({"state": "closed", "reason": reason})),
                )
                .write(conn)?;
            Ok(closed)
        }
        _ => Err(AppError::Conflict {
            code: ErrorCode::LeadNotOpen,
            detail: format!("the lead is already {}", lead.state),
        }),
    }
}
