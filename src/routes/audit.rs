//! The audit trail over HTTP (admins): who did what to which object, with the state before and
//! after, filterable, newest first, as JSON pages or streamed CSV.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::QueryParams;
use super::page_params;
use crate::AppState;
use crate::auth::Admin;
use crate::db::{self, models::AuditEntry};
use crate::error::{AppError, Problem};
use crate::repo::audit::AuditFilter;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit).service(list_audit_csv);
}

super::page_type!(AuditPage, AuditEntryResponse);

/// One audited change.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryResponse {
    pub id: Uuid,
    /// Who did it (`null`: the system, e.g. the recycle sweep).
    pub actor_id: Option<Uuid>,
    /// What was done, `<object>.<verb>`: e.g. `pool.rules_changed`, `lead.claimed` (a claim or an
    /// assignment), `lead.released`, `lead.recycled_no_contact`,
    /// `lead.transferred`, `lead.contact_revealed`, `approval.approved`, `user.updated`.
    pub action: String,
    /// The kind of object changed, e.g. `pool`, `lead`, `approval`, `setting`.
    pub object_type: String,
    pub object_id: Option<Uuid>,
    /// The lead concerned, if any.
    pub lead_id: Option<Uuid>,
    /// The object's relevant state before the change.
    #[schema(value_type = Option<HashMap<String, crate::dto::shapes::AnyValue>>)]
    pub before: Option<Value>,
    /// ... and after it.
    #[schema(value_type = Option<HashMap<String, crate::dto::shapes::AnyValue>>)]
    pub after: Option<Value>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryResponse {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            lead_id: e.lead_id,
            before: e.before,
            after: e.after,
            created_at: e.created_at,
        }
    }
}

/// An entry as a CSV row: `before` and `after` as JSON text.
#[derive(Serialize)]
struct AuditRecord {
    id: Uuid,
    actor_id: Option<Uuid>,
    action: String,
    object_type: String,
    object_id: Option<Uuid>,
    lead_id: Option<Uuid>,
    before: Option<String>,
    after: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditRecord {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            actor_id: e.actor_id,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            lead_id: e.lead_id,
            before: e.before.map(|v| v.to_string()),
            after: e.after.map(|v| v.to_string()),
            created_at: e.created_at,
        }
    }
}

const AUDIT_CSV_HEADER: &[&str] = &[
    "id",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "lead_id",
    "before",
    "after",
    "created_at",
];

/// Filters and paging of the audit trail.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAuditQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Who did it.
    pub actor_id: Option<Uuid>,
    /// The lead concerned.
    pub lead_id: Option<Uuid>,
    /// An action, e.g. `pool.rules_changed`.
    #[param(max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub action: Option<String>,
    /// A kind of object, e.g. `pool`.
    #[param(max_length = 100)]
    #[validate(length(min = 1, max = 100))]
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Lists the audit trail, newest first (admins)
///
/// The trail records rule and tier-policy changes, assignments (over the quotas too), releases,
/// transfers, approvals and their decisions, closes and recycles. Entries are written in the same
/// transaction as the change and can never be edited or deleted. Answers a page of entries, or,
/// with `Accept: text/csv`, every matching entry, streamed.
#[utoipa::path(
    tag = "audit",
    params(ListAuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries (with `Accept: text/csv`, the CSV of `GET /audit.csv`)",
            body = AuditPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/audit")]
async fn list_audit(
    state: web::Data<AppState>,
    _admin: Admin,
    req: HttpRequest,
    query: QueryParams<ListAuditQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    list_audit_answer(state, _admin, query, as_csv).await
}

/// Exports audit entries as CSV (admin)
///
/// Every entry `GET /audit` would list with the same filters (no paging), streamed as CSV,
/// `before`/`after` as JSON text.
#[utoipa::path(
    tag = "audit",
    params(ListAuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/audit.csv")]
async fn list_audit_csv(
    state: web::Data<AppState>,
    _admin: Admin,
    query: QueryParams<ListAuditQuery>,
) -> Result<HttpResponse, AppError> {
    list_audit_answer(state, _admin, query, true).await
}

async fn list_audit_answer(
    state: web::Data<AppState>,
    _admin: Admin,
    query: QueryParams<ListAuditQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        lead_id: q.lead_id,
        action: q.action,
        object_type: q.object_type,
        object_id: q.object_id,
        from: q.from,
        to: q.to,
    };
    if as_csv {
        return Ok(super::csv::stream_pages(
            &state,
            "audit.csv",
            AUDIT_CSV_HEADER,
            move |conn, after, limit| {
                crate::service::audit::entries_after(conn, &filter, after, limit)
            },
            |e| e.id,
            |e| Ok(AuditRecord::from(e)),
        ));
    }
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        crate::service::audit::list(conn, &filter, limit, cursor)
    })
    .await?;
    Ok(HttpResponse::Ok().json(AuditPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
