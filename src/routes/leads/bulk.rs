//! `/leads/bulk/*`: one action on many leads (by id or by the lead-list filter), each lead under
//! the rules of its one-lead endpoint, with a result per lead.

use std::collections::BTreeMap;

use super::*;
use crate::service::bulk::{BulkAction, BulkItem, ItemOutcome, MAX_BULK, Selection};

/// Which leads: `lead_ids`, or `filter` (exactly one of the two).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkFilter {
    /// With `pooled`, `pool_id` is required: the pooled leads of that pool (one the caller
    /// belongs to; an admin: any). Otherwise the leads the caller may read, as `GET /leads`.
    pub state: Option<LeadState>,
    pub stage: Option<Stage>,
    pub pool_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Source channel.
    pub source: Option<SourceChannel>,
    pub industry: Option<String>,
    pub grade: Option<Grade>,
    pub province: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// As `q` of `GET /leads`.
    #[schema(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// As `missing` of `GET /leads` (comma-separated field names).
    pub missing: Option<String>,
    /// Custom fields, as `custom.<key>=<value>` of `GET /leads`: each value is read as its
    /// field's type.
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

/// What became of one lead.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkOutcome {
    /// Done at once.
    Done,
    /// A request waits for a manager's approval (a salesperson's release or transfer).
    Requested,
    /// Refused or failed: nothing about this lead changed.
    Failed,
}

/// One lead's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemResult {
    pub lead_id: Uuid,
    pub outcome: BulkOutcome,
    /// The status the one-lead endpoint would have answered (200, 202, or its error's).
    pub status: u16,
    /// The pending request (`GET /api/v1/approvals/{id}`); `null` unless `requested`.
    pub approval_id: Option<Uuid>,
    /// The problem the one-lead endpoint would have answered; `null` unless `failed`.
    pub problem: Option<Problem>,
}

/// The action this answer is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkActionName {
    Assign,
    Transfer,
    Release,
    Close,
    Update,
}

/// What a bulk action did, lead by lead (in the order of `lead_ids`, or of the list for a filter).
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub action: BulkActionName,
    /// Leads chosen (`lead_ids` without repeats, or the filter's matches).
    pub selected: usize,
    pub done: usize,
    pub requested: usize,
    pub failed: usize,
    pub items: Vec<BulkItemResult>,
}

/// A bulk assignment of pooled leads.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkAssignRequest {
    /// 1 to 1,000 lead ids (repeats are ignored).
    #[schema(min_items = 1, max_items = 1000)]
    pub lead_ids: Option<Vec<Uuid>>,
    pub filter: Option<BulkFilter>,
    /// As `POST /leads/{id}/assign`.
    pub user_id: Uuid,
    #[serde(default)]
    pub quota_override: bool,
}

/// A bulk transfer of owned leads.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTransferRequest {
    /// 1 to 1,000 lead ids (repeats are ignored).
    #[schema(min_items = 1, max_items = 1000)]
    pub lead_ids: Option<Vec<Uuid>>,
    pub filter: Option<BulkFilter>,
    /// As `POST /leads/{id}/transfer`.
    pub to_user_id: Uuid,
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// A bulk release of owned leads back to a pool.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkReleaseRequest {
    /// 1 to 1,000 lead ids (repeats are ignored).
    #[schema(min_items = 1, max_items = 1000)]
    pub lead_ids: Option<Vec<Uuid>>,
    pub filter: Option<BulkFilter>,
    /// As `POST /leads/{id}/release`: one of each lead's pool's `release_reasons`.
    #[schema(min_length = 1, max_length = 40)]
    pub reason_code: String,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    pub to_pool_id: Option<Uuid>,
}

/// A bulk close.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCloseRequest {
    /// 1 to 1,000 lead ids (repeats are ignored).
    #[schema(min_items = 1, max_items = 1000)]
    pub lead_ids: Option<Vec<Uuid>>,
    pub filter: Option<BulkFilter>,
    /// As `POST /leads/{id}/close`.
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A bulk change of grade and tags.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateRequest {
    /// 1 to 1,000 lead ids (repeats are ignored).
    #[schema(min_items = 1, max_items = 1000)]
    pub lead_ids: Option<Vec<Uuid>>,
    pub filter: Option<BulkFilter>,
    /// The new grade; `null` clears it; absent leaves it.
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<Grade>)]
    pub grade: Option<Option<Grade>>,
    /// Tags each lead gets (kept once; a lead may have at most 30).
    #[serde(default)]
    #[schema(max_items = 30)]
    pub add_tags: Vec<String>,
    /// Tags each lead loses (after `add_tags`).
    #[serde(default)]
    #[schema(max_items = 30)]
    pub remove_tags: Vec<String>,
}

/// Checks the selection part of a request: exactly one of `lead_ids` and `filter`, at most
/// [`MAX_BULK`] ids; the filter's values parsed as `GET /leads` parses them.
pub(super) fn selection(
    state: &AppState,
    lead_ids: Option<Vec<Uuid>>,
    filter: Option<BulkFilter>,
    errors: &mut Vec<FieldError>,
) -> Option<Selection> {
    match (lead_ids, filter) {
        (Some(ids), None) => {
            if ids.is_empty() || ids.len() > MAX_BULK {
                errors.push(FieldError::new(
                    "lead_ids",
                    "invalid_length",
                    format!("1 to {MAX_BULK} lead ids"),
                ));
                return None;
            }
            Some(Selection::Ids(ids))
        }
        (None, Some(f)) => {
            if f.q
                .as_ref()
                .is_some_and(|q| q.is_empty() || q.chars().count() > 200)
            {
                errors.push(FieldError::new(
                    "filter.q",
                    "invalid_length",
                    "1 to 200 characters",
                ));
                return None;
            }
            let built = service::leads::build_filter(
                &state.vault,
                service::leads::FilterInput {
                    source: f.source,
                    industry: f.industry.as_deref(),
                    grade: f.grade,
                    province: f.province.as_deref(),
                    created_from: f.created_from,
                    created_to: f.created_to,
                    updated_from: f.updated_from,
                    updated_to: f.updated_to,
                    q: f.q.as_deref(),
                    missing: f.missing.as_deref(),
                },
            );
            match built {
                Ok(mut filter) => {
                    filter.state = f.state;
                    filter.stage = f.stage;
                    filter.pool_id = f.pool_id;
                    filter.owner_id = f.owner_id;
                    Some(Selection::Filter {
                        filter: Box::new(filter),
                        custom: f.custom.into_iter().collect(),
                    })
                }
                Err(e) => {
                    errors.extend(in_filter(e));
                    None
                }
            }
        }
        (ids, _) => {
            let message = if ids.is_some() {
                "name the leads by `lead_ids` or by `filter`, not both"
            } else {
                "name the leads: `lead_ids` or `filter`"
            };
            for field in ["lead_ids", "filter"] {
                errors.push(FieldError::new(field, "required", message));
            }
            None
        }
    }
}

/// The field errors of a filter, named as fields of `filter`.
fn in_filter(e: AppError) -> Vec<FieldError> {
    match e {
        AppError::Validation(errors) => errors
            .into_iter()
            .map(|mut e| {
                if !e.field.starts_with("filter") {
                    e.field = format!("filter.{}", e.field);
                }
                e
            })
            .collect(),
        other => vec![FieldError::new(
            "filter",
            "invalid_value",
            other.to_string(),
        )],
    }
}

/// Chooses the leads and acts on each, off the async workers.
pub(super) async fn run(
    state: &AppState,
    actor: AuthUser,
    selection: Selection,
    action: BulkAction,
) -> Result<web::Json<BulkResult>, AppError> {
    let (pool, vault) = (state.pool.clone(), state.vault.clone());
    let now = state.clock.now();
    let tz = state.config.timezone;
    let name = match action {
        BulkAction::Assign { .. } => BulkActionName::Assign,
        BulkAction::Transfer { .. } => BulkActionName::Transfer,
        BulkAction::Release { .. } => BulkActionName::Release,
        BulkAction::Close { .. } => BulkActionName::Close,
        BulkAction::Update { .. } => BulkActionName::Update,
    };
    let items = web::block(move || {
        let ids = db::on_pooled(&pool, |conn| {
            diesel::Connection::transaction(conn, |conn| {
                service::bulk::select(conn, &actor, selection)
            })
        })
        .map_err(|e| match e {
            AppError::Validation(errors) => AppError::Validation(in_filter_fields(errors)),
            other => other,
        })?;
        service::bulk::run(&pool, &vault, &actor, &action, &ids, now, tz)
    })
    .await??;
    Ok(web::Json(result(name, items)))
}

/// Errors of the filter's custom fields come named `custom.<key>`: as fields of `filter`.
fn in_filter_fields(errors: Vec<FieldError>) -> Vec<FieldError> {
    in_filter(AppError::Validation(errors))
}

fn result(action: BulkActionName, items: Vec<BulkItem>) -> BulkResult {
    use actix_web::ResponseError;
    let count = |o: ItemOutcome| items.iter().filter(|i| i.outcome == o).count();
    let (done, requested, failed) = (
        count(ItemOutcome::Done),
        count(ItemOutcome::Requested),
        count(ItemOutcome::Failed),
    );
    let items: Vec<BulkItemResult> = items
        .into_iter()
        .map(|item| BulkItemResult {
            lead_id: item.lead_id,
            outcome: match item.outcome {
                ItemOutcome::Done => BulkOutcome::Done,
                ItemOutcome::Requested => BulkOutcome::Requested,
                ItemOutcome::Failed => BulkOutcome::Failed,
            },
            status: match (&item.error, item.outcome) {
                (Some(e), _) => e.status_code().as_u16(),
                (None, ItemOutcome::Requested) => 202,
                (None, _) => 200,
            },
            approval_id: item.approval_id,
            problem: item.error.as_ref().map(AppError::to_problem),
        })
        .collect();
    BulkResult {
        action,
        selected: items.len(),
        done,
        requested,
        failed,
        items,
    }
}

/// A required text field: cleaned, not blank, at most `max` characters.
pub(super) fn text_field(
    value: &str,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match crate::domain::text::clean(value) {
        None => {
            errors.push(FieldError::new(field, "blank", "must not be blank"));
            None
        }
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(
                field,
                "too_long",
                format!("at most {max} characters"),
            ));
            None
        }
        Some(v) => Some(v),
    }
}

/// An optional note: cleaned (blank is none), at most 2,000 characters.
pub(super) fn note_field(
    value: Option<String>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let note = value.and_then(|n| crate::domain::text::clean(&n));
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new(
            field,
            "too_long",
            "at most 2000 characters",
        ));
    }
    note
}

/// `value`, or every field error at once (sorted by field).
pub(super) fn checked<T>(mut errors: Vec<FieldError>, value: Option<T>) -> Result<T, AppError> {
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        _ => Err(AppError::Validation(errors)),
    }
}
