//! Bulk actions (批量操作): one action — assign, transfer, release, close, or a change of grade and
//! tags — on up to [`MAX_BULK`] leads chosen by id or by the lead-list filter.
//!
//! Each lead goes through the same service function as the one-lead endpoint (its rules, scope,
//! quotas, approvals, timeline and audit), in its own transaction: a lead that fails leaves
//! nothing behind, and the leads before and after it are not undone. The answer says what became
//! of each lead, with the status and problem code the one-lead endpoint would have answered.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crypto::Vault;
use crate::db::DbPool;
use crate::domain::custom_field::FieldDef;
use crate::domain::lead::{Grade, LeadState, MAX_TAGS};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::repo;
use crate::repo::leads::{LeadFilter, LeadScope};
use crate::service::audit::Audit;
use crate::service::lifecycle::Requested;

/// At most this many leads in one bulk action (by id, or matched by the filter).
pub const MAX_BULK: usize = 1000;

/// Which leads: listed ids, or every lead the filter matches in the caller's scope.
#[derive(Debug, Clone)]
pub enum Selection {
    Ids(Vec<Uuid>),
    Filter {
        filter: Box<LeadFilter>,
        custom: Vec<(String, String)>,
    },
}

/// What to do to each lead.
#[derive(Debug, Clone)]
pub enum BulkAction {
    Assign {
        user_id: Uuid,
        quota_override: bool,
    },
    Transfer {
        to_user_id: Uuid,
        reason: Option<String>,
    },
    Release {
        reason_code: String,
        note: Option<String>,
        to_pool_id: Option<Uuid>,
    },
    Close {
        reason: String,
    },
    /// `grade`: `Some(None)` clears it; tags are added, then removed.
    Update {
        grade: Option<Option<Grade>>,
        add_tags: Vec<String>,
        remove_tags: Vec<String>,
    },
}

impl BulkAction {
    pub fn name(&self) -> &'static str {
        match self {
            BulkAction::Assign { .. } => "assign",
            BulkAction::Transfer { .. } => "transfer",
            BulkAction::Release { .. } => "release",
            BulkAction::Close { .. } => "close",
            BulkAction::Update { .. } => "update",
        }
    }
}

/// What became of one lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Done at once.
    Done,
    /// A request waits for a manager's approval (a salesperson's release or transfer).
    Requested,
    /// Refused or failed: nothing about this lead changed.
    Failed,
}

/// One lead's result.
#[derive(Debug)]
pub struct BulkItem {
    pub lead_id: Uuid,
    pub outcome: ItemOutcome,
    /// The pending request, for [`ItemOutcome::Requested`].
    pub approval_id: Option<Uuid>,
    /// Why it failed: what the one-lead endpoint would have answered.
    pub error: Option<AppError>,
}

/// The leads `selection` names, in order, without repeats: listed ids as given (each is checked
/// when it is acted on: one the caller may not touch fails with 404), or the filter's matches in
/// the caller's lead scope — with `state=pooled` and a `pool_id`, the pooled leads of a pool the
/// caller belongs to (an admin: any pool). More than [`MAX_BULK`] matches is a 422 naming
/// `filter`.
pub fn select(
    conn: &mut PgConnection,
    actor: &AuthUser,
    selection: Selection,
) -> Result<Vec<Uuid>, AppError> {
    let (filter, custom) = match selection {
        Selection::Ids(ids) => {
            let mut seen = std::collections::HashSet::new();
            return Ok(ids.into_iter().filter(|id| seen.insert(*id)).collect());
        }
        Selection::Filter { filter, custom } => (*filter, custom),
    };
    let scope = match (filter.state, filter.pool_id) {
        (Some(LeadState::Pooled), Some(pool)) => {
            let allowed = match actor.role {
                Role::Admin => repo::pools::find(conn, pool)?.is_some(),
                _ => repo::pools::is_member(conn, pool, actor.id)?,
            };
            if !allowed {
                return Err(AppError::validation(
                    "filter.pool_id",
                    "not_found",
                    "no pool with this id that you belong to",
                ));
            }
            LeadScope::PooledIn(pool)
        }
        (Some(LeadState::Pooled), None) => {
            return Err(AppError::validation(
                "filter.pool_id",
                "required",
                "pooled leads are chosen within one pool: name it",
            ));
        }
        _ => crate::service::leads::scope_of(actor),
    };
    let (rows, _, more) = crate::service::leads::list(
        conn,
        scope,
        filter,
        custom,
        None,
        false,
        crate::domain::page::EXPORT_PAGE,
    )?;
    if more.is_some() {
        return Err(AppError::validation(
            "filter",
            "too_many",
            format!("the filter matches more than {MAX_BULK} leads: narrow it, or act in parts"),
        ));
    }
    Ok(rows.into_iter().map(|l| l.id).collect())
}

/// Acts on each lead in turn, each in its own transaction on one connection of `pool`; runs on
/// the calling thread (call it off the async workers). Every lead gets its result: once the
/// database cannot be reached, the leads not yet tried are answered 503 rather than the whole
/// request, so the answer always says which leads changed.
#[allow(clippy::too_many_arguments)]
pub fn run(
    pool: &DbPool,
    vault: &Vault,
    actor: &AuthUser,
    action: &BulkAction,
    lead_ids: &[Uuid],
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Vec<BulkItem>, AppError> {
    crate::db::on_pooled(pool, |conn| {
        let defs: Vec<FieldDef> = crate::service::lead_fields::active_defs(conn)?
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        let mut items = Vec::with_capacity(lead_ids.len());
        // Once the database is out of reach (or a lead met a bug: that lead's result is a 500,
        // logged), the rest are not tried: each is answered 503 (retry later), and the leads
        // done so far stay in the answer.
        let mut stopped = false;
        for &lead_id in lead_ids {
            let done = if stopped {
                Err(AppError::Unavailable)
            } else {
                act(conn, vault, &defs, actor, action, lead_id, now, tz)
            };
            items.push(match done {
                Ok(approval_id) => BulkItem {
                    lead_id,
                    outcome: if approval_id.is_some() {
                        ItemOutcome::Requested
                    } else {
                        ItemOutcome::Done
                    },
                    approval_id,
                    error: None,
                },
                Err(e) => {
                    if let AppError::Internal(cause) = &e {
                        log::error!("bulk {} of lead {lead_id}: {cause}", action.name());
                    }
                    stopped |= matches!(e, AppError::Internal(_) | AppError::Unavailable);
                    BulkItem {
                        lead_id,
                        outcome: ItemOutcome::Failed,
                        approval_id: None,
                        error: Some(e),
                    }
                }
            });
        }
        let counts = json!({
            "action": action.name(),
            "selected": items.len(),
            "done": items.iter().filter(|i| i.outcome == ItemOutcome::Done).count(),
            "requested": items.iter().filter(|i| i.outcome == ItemOutcome::Requested).count(),
            "failed": items.iter().filter(|i| i.outcome == ItemOutcome::Failed).count(),
        });
        // Each lead's change is audited as one at a time; this records the request itself (and
        // does not take back the answer when it cannot be written).
        let recorded = conn.transaction(|conn| {
            Audit::of(Some(actor.id), "lead.bulk", "bulk", None, now)
                .change(None, Some(counts))
                .write(conn)
        });
        if let Err(e) = recorded {
            log::warn!(
                "bulk {}: its audit entry was not written: {e}",
                action.name()
            );
        }
        Ok(items)
    })
}

/// One lead's action in its own transaction; the pending request's id when it waits for
/// approval. A claim refusal (an assignment over a quota) commits its decision record and fails.
#[allow(clippy::too_many_arguments)]
fn act(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    actor: &AuthUser,
    action: &BulkAction,
    lead_id: Uuid,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Option<Uuid>, AppError> {
    use crate::service::{claims, leads, lifecycle};
    let requested = |r: Requested| match r {
        Requested::Done(_) => None,
        Requested::Pending(a) => Some(a.id),
    };
    match action {
        BulkAction::Assign {
            user_id,
            quota_override,
        } => conn
            .transaction(|conn| {
                claims::assign(conn, actor, lead_id, *user_id, *quota_override, now, tz)
            })
            .and_then(|taken| taken)
            .map(|_| None),
        BulkAction::Transfer { to_user_id, reason } => conn
            .transaction(|conn| {
                lifecycle::transfer(conn, actor, lead_id, *to_user_id, reason.clone(), now, tz)
            })
            .map(requested),
        BulkAction::Release {
            reason_code,
            note,
            to_pool_id,
        } => conn
            .transaction(|conn| {
                lifecycle::release(
                    conn,
                    actor,
                    lead_id,
                    reason_code.clone(),
                    note.clone(),
                    *to_pool_id,
                    now,
                )
            })
            .map(requested),
        BulkAction::Close { reason } => conn
            .transaction(|conn| lifecycle::close(conn, actor, lead_id, reason.clone(), now))
            .map(|_| None),
        BulkAction::Update {
            grade,
            add_tags,
            remove_tags,
        } => conn
            .transaction(|conn| {
                // Locked first, so that the tags added to are the lead's current ones.
                let lead =
                    repo::leads::find_for_update(conn, lead_id)?.ok_or(AppError::NotFound)?;
                let mut tags = lead.tags.clone();
                for tag in add_tags {
                    if !tags.contains(tag) {
                        tags.push(tag.clone());
                    }
                }
                tags.retain(|t| !remove_tags.contains(t));
                if tags.len() > MAX_TAGS && leads::may_read(conn, actor, &lead)? {
                    return Err(AppError::validation(
                        "add_tags",
                        "too_many",
                        format!("the lead would have more than {MAX_TAGS} tags"),
                    ));
                }
                let edit = leads::LeadEdit {
                    grade: *grade,
                    tags: (tags != lead.tags).then_some(tags),
                    ..Default::default()
                };
                leads::edit(conn, vault, defs, actor, lead_id, edit, now)
            })
            .map(|_| None),
    }
}
