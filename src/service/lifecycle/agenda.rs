//! A person's agenda: the holds that need them next, soonest first.

use super::*;
use crate::domain::follow_up::AgendaItemKind;

/// One item of a person's agenda.
#[derive(Debug, Clone)]
pub struct AgendaItem {
    pub lead: AgendaLead,
    /// `follow_up` or `recycle`.
    pub kind: AgendaItemKind,
    pub at: DateTime<Utc>,
    pub reason: Option<ClaimEnd>,
}

/// The caller's due and overdue next follow-ups and their leads due back to the pool, up to
/// `horizon`, soonest first. One statement: it needs no transaction.
pub fn agenda(
    conn: &mut PgConnection,
    actor: &AuthUser,
    horizon: DateTime<Utc>,
) -> Result<Vec<AgendaItem>, AppError> {
    let mut items = Vec::new();
    for lead in repo::lifecycle::agenda(conn, actor.id, horizon)? {
        if let Some(at) = lead.next_follow_up_at.filter(|at| *at <= horizon) {
            items.push(AgendaItem {
                lead: lead.clone(),
                kind: AgendaItemKind::FollowUp,
                at,
                reason: None,
            });
        }
        if let Some(at) = lead.recycle_at.filter(|at| *at <= horizon) {
            items.push(AgendaItem {
                reason: lead.recycle_reason,
                lead,
                kind: AgendaItemKind::Recycle,
                at,
            });
        }
    }
    items.sort_by_key(|i| (i.at, i.lead.id));
    Ok(items)
}
