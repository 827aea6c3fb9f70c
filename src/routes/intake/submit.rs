//! `POST /intake/leads`: an integrator's web-form leads, idempotent per `Idempotency-Key`.

use super::*;

/// Counts a refusal for the source's rate limit in the intake metrics.
pub(super) fn count_if_limited(state: &AppState, e: &AppError) {
    if matches!(e, AppError::TooManyRequests { .. }) {
        state.metrics.intake("rate_limited", 1);
    }
}

/// Pushes one lead, or a batch of up to 500, from a web form or shop
///
/// A batch is `{"leads": [...]}`. Authenticate with the source's token
/// (`Authorization: Bearer lpi_...`). Each source may send `rate_limit_per_minute` leads a minute
/// (a batch counts each of its leads; one larger than the limit is 422); past it, 429 with
/// `Retry-After`.
///
/// One lead: 201 `created`, 200 `merged` (the same phone, email, WeChat id or company + name as an
/// open lead: recorded on it as a touch, filling its empty fields, and its owner is notified), 202
/// `quarantined` (suspect: a filled `honeypot`, nothing to reach the person by, a throwaway email
/// domain, a placeholder number such as 13800138000 or a test name, a link in the name, or no pool
/// to put it in yet), or 422 with field errors. A batch answers 200 with each lead's result; valid
/// leads are stored even when others are invalid. Any 2xx means stored.
///
/// Send an `Idempotency-Key` header to retry safely: the same key with the same body replays the
/// first answer (header `Idempotent-Replayed: true`); with another body it is 422
/// `idempotency_key_reused`; while the first request is still running, 409
/// `idempotency_key_in_progress`. Keys are kept 24 hours.
#[utoipa::path(
    tag = "intake",
    request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1 to 255 characters)")),
    security(("intake_token" = [])),
    responses(
        (status = 201, description = "One lead: created", body = IntakeResult,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answer replays the first request with the same `Idempotency-Key`"))),
        (status = 200, description = "One lead: merged into the open lead it duplicates (`IntakeResult`); or a batch's results (`IntakeBatchResult`)", body = IntakeOk,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answer replays the first request with the same `Idempotency-Key`"))),
        (status = 202, description = "One lead: quarantined", body = IntakeResult,
            headers(("Idempotent-Replayed" = String, description = "`true` when this answer replays the first request with the same `Idempotency-Key`"))),
        crate::routes::responses::JsonBodyRefused,
        (status = 401, description = "Missing or unknown source token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`idempotency_key_in_progress`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused` or `no_pool`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/intake/leads")]
pub(super) async fn intake_leads(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let token = bearer(&req)?;
    let key = idempotency_key(&req)?;
    let now = state.clock.now();
    let source = db::transaction(&state.pool, move |conn| {
        service::intake::authenticate(conn, &token, now)
    })
    .await
    .inspect_err(|e| count_if_limited(&state, e))?;
    // The body is read only once the caller is known: a stranger's body costs nothing.
    let body = JsonBody::<AnyJson>::from_request(&req, &mut payload.into_inner())
        .await?
        .into_inner()
        .0;

    // Parse before claiming the key: a malformed request never holds one.
    let push = parse_push(&body, &source)?;
    let pool = state.pool.clone();
    let vault = state.vault.clone();
    let received = web::block(move || {
        service::intake::receive(&pool, &vault, source, key, &body, push, render, now)
    })
    .await?
    .inspect_err(|e| count_if_limited(&state, e))?;
    if !received.replayed {
        count_outcomes(&state, &received.body);
    }
    Ok(json_response(
        received.status,
        &received.body,
        received.replayed,
    ))
}
