//! The five bulk actions: `POST /leads/bulk/{assign,transfer,release,close,update}`.

use super::bulk::*;
use super::*;
use crate::auth::Supervisor;
use crate::domain::lead::clean_tags;
use crate::service::bulk::BulkAction;

/// Assigns many pooled leads to one pool member (managers and admins)
///
/// Each lead as `POST /leads/{id}/assign` would: membership, scope and the receiver's quotas
/// checked lead by lead (an admin may override them, audited), each in its own transaction, so a
/// lead that fails changes nothing and does not undo the others. Leads by `lead_ids` (1 to
/// 1,000), or by `filter` with `state: pooled` and a `pool_id` (at most 1,000 matches). The answer
/// gives each lead's outcome with the status and problem its one-lead request would have had:
/// once the receiver's quota is full, the rest fail with `claim_quota_exceeded`.
#[utoipa::path(
    tag = "bulk",
    request_body = BulkAssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each lead", body = BulkResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not assign; only admins may override quotas", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither or both of `lead_ids` and `filter`, more than 1,000 leads, a bad filter", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/bulk/assign")]
pub(super) async fn bulk_assign(
    state: web::Data<AppState>,
    user: Supervisor,
    body: JsonBody<BulkAssignRequest>,
) -> Result<web::Json<BulkResult>, AppError> {
    let req = body.into_inner();
    if req.quota_override && user.role != crate::domain::role::Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let selected = selection(&state, req.lead_ids, req.filter, &mut errors);
    let selected = checked(errors, selected)?;
    let action = BulkAction::Assign {
        user_id: req.user_id,
        quota_override: req.quota_override,
    };
    run(&state, user.0, selected, action).await
}

/// Transfers many owned leads to one person
///
/// Each lead as `POST /leads/{id}/transfer` would: the owner's manager or an admin transfers at
/// once (`done`); a salesperson's own leads become requests waiting for approval (`requested`,
/// with `approval_id`); the receiver's quota is checked lead by lead. Each lead in its own
/// transaction. Leads by `lead_ids` (1 to 1,000) or by `filter` (at most 1,000 matches among the
/// leads the caller may read).
#[utoipa::path(
    tag = "bulk",
    request_body = BulkTransferRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each lead", body = BulkResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "`validation_failed`: neither or both of `lead_ids` and `filter`, more than 1,000 leads, a bad filter or reason", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/bulk/transfer")]
pub(super) async fn bulk_transfer(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<BulkTransferRequest>,
) -> Result<web::Json<BulkResult>, AppError> {
    let req = body.into_inner();
    let mut errors = Vec::new();
    let reason = note_field(req.reason, "reason", &mut errors);
    let selected = selection(&state, req.lead_ids, req.filter, &mut errors);
    let selected = checked(errors, selected)?;
    let action = BulkAction::Transfer {
        to_user_id: req.to_user_id,
        reason,
    };
    run(&state, user, selected, action).await
}

/// Releases many owned leads back to a pool
///
/// Each lead as `POST /leads/{id}/release` would: the reason code must be in each lead's pool's
/// list; a salesperson's own leads go back at once, or become requests when the pool requires
/// approval (`requested`); the owner's manager or an admin releases at once. Each lead in its own
/// transaction. Leads by `lead_ids` (1 to 1,000) or by `filter` (at most 1,000 matches among the
/// leads the caller may read).
#[utoipa::path(
    tag = "bulk",
    request_body = BulkReleaseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each lead", body = BulkResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "`validation_failed`: neither or both of `lead_ids` and `filter`, more than 1,000 leads, a bad filter, a blank reason code", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/bulk/release")]
pub(super) async fn bulk_release(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<BulkReleaseRequest>,
) -> Result<web::Json<BulkResult>, AppError> {
    let req = body.into_inner();
    let mut errors = Vec::new();
    let reason_code = text_field(&req.reason_code, "reason_code", 40, &mut errors);
    let note = note_field(req.note, "note", &mut errors);
    let selected = selection(&state, req.lead_ids, req.filter, &mut errors);
    let (selected, reason_code) = checked(errors, selected.zip(reason_code))?;
    let action = BulkAction::Release {
        reason_code,
        note,
        to_pool_id: req.to_pool_id,
    };
    run(&state, user, selected, action).await
}

/// Closes many leads for good (managers and admins)
///
/// Each lead as `POST /leads/{id}/close` would (its claim ends `closed`; a customer leaves its
/// owner), each in its own transaction. Leads by `lead_ids` (1 to 1,000) or by `filter` (at most
/// 1,000 matches among the leads the caller may read, or a pool's pooled leads).
#[utoipa::path(
    tag = "bulk",
    request_body = BulkCloseRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each lead", body = BulkResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not close leads", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: neither or both of `lead_ids` and `filter`, more than 1,000 leads, a bad filter, a blank reason", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/bulk/close")]
pub(super) async fn bulk_close(
    state: web::Data<AppState>,
    user: Supervisor,
    body: JsonBody<BulkCloseRequest>,
) -> Result<web::Json<BulkResult>, AppError> {
    let req = body.into_inner();
    let mut errors = Vec::new();
    let reason = crate::domain::text::multi_line(&req.reason);
    if reason.trim().is_empty() {
        errors.push(FieldError::new("reason", "blank", "must not be blank"));
    } else if reason.chars().count() > 2000 {
        errors.push(FieldError::new(
            "reason",
            "too_long",
            "at most 2000 characters",
        ));
    }
    let selected = selection(&state, req.lead_ids, req.filter, &mut errors);
    let selected = checked(errors, selected)?;
    run(&state, user.0, selected, BulkAction::Close { reason }).await
}

/// Changes the grade and tags of many leads
///
/// Each lead as `PATCH /leads/{id}` would change them (the owner, their manager, an admin; the
/// timeline records the change), each in its own transaction: `grade` is set (or cleared with
/// `null`), `add_tags` are added and then `remove_tags` removed. A lead that would have more than
/// 30 tags fails (`validation_failed` on `add_tags`). Leads by `lead_ids` (1 to 1,000) or by
/// `filter` (at most 1,000 matches among the leads the caller may read).
#[utoipa::path(
    tag = "bulk",
    request_body = BulkUpdateRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What became of each lead", body = BulkResult),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "`validation_failed`: neither or both of `lead_ids` and `filter`, more than 1,000 leads, a bad filter, no change asked for, a bad tag", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads/bulk/update")]
pub(super) async fn bulk_update(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<BulkUpdateRequest>,
) -> Result<web::Json<BulkResult>, AppError> {
    let req = body.into_inner();
    let mut errors = Vec::new();
    let mut tags = |field: &str, raw: &[String]| -> Vec<String> {
        let (tags, error) = clean_tags(raw);
        if let Some((code, message)) = error {
            errors.push(FieldError::new(field, code, message));
        }
        tags
    };
    let add_tags = tags("add_tags", &req.add_tags);
    let remove_tags = tags("remove_tags", &req.remove_tags);
    if req.grade.is_none() && add_tags.is_empty() && remove_tags.is_empty() {
        for field in ["grade", "add_tags", "remove_tags"] {
            errors.push(FieldError::new(
                field,
                "required",
                "ask for a change: a grade, tags to add or tags to remove",
            ));
        }
    }
    let selected = selection(&state, req.lead_ids, req.filter, &mut errors);
    let selected = checked(errors, selected)?;
    let action = BulkAction::Update {
        grade: req.grade,
        add_tags,
        remove_tags,
    };
    run(&state, user, selected, action).await
}
