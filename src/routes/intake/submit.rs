//! `POST /intake/leads`: an integrator's web-form leads, idempotent per `Idempotency-Key`.

use super::*;

/// Counts a refusal for the source's rate limit in the intake metrics.
pub(super) fn count_if_limited(state: &AppState, e: &AppError) {
    if matches!(e, AppError::TooManyRequests { .. }) {
        state.metrics.intake("rate_limited", 1);
    }
}

/// Pushes one lead, or a batch `{"leads": [...]}` of up to 500, from a web form or shop.
///
/// Authenticate with the source's token (`Authorization: Bearer lpi_...`). Each source may send
/// `rate_limit_per_minute` leads a minute (a batch counts each of its leads; one larger than the
/// limit is 422); past it, 429 with `Retry-After`.
///
/// One lead: 201 `created`, 200 `merged` (the same phone, email, WeChat id or company + name as an
/// open lead: recorded on it as a touch, filling its empty fields, and its owner is notified), 202
/// `quarantined` (suspect: a filled `honeypot`, nothing to reach the person by, a throwaway email
/// domain, a placeholder number such as 13800138000 or a test name, a link in the name, or no pool
/// to put it in yet), or 422
/// with field errors. A batch answers 200 with each lead's result; valid leads are stored even when
/// others are invalid. Any 2xx means stored.
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
        (status = 201, description = "One lead: created", body = IntakeResult),
        (status = 200, description = "One lead: merged into the open lead it duplicates (`IntakeResult`); or a batch's results (`IntakeBatchResult`)", body = IntakeOk),
        (status = 202, description = "One lead: quarantined", body = IntakeResult),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or unknown source token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`idempotency_key_in_progress`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused` or `no_pool`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
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
    let batch = match body.as_object() {
        Some(object) if object.contains_key("leads") => {
            if object.len() != 1 {
                return Err(AppError::validation(
                    "body",
                    "unknown_field",
                    "a batch has only `leads`",
                ));
            }
            let Some(items) = object["leads"].as_array() else {
                return Err(AppError::validation(
                    "leads",
                    "invalid_type",
                    "must be an array of leads",
                ));
            };
            if items.is_empty() || items.len() > MAX_BATCH {
                return Err(AppError::validation(
                    "leads",
                    "out_of_range",
                    format!("must hold 1 to {MAX_BATCH} leads"),
                ));
            }
            // Each lead counts against the minute's limit: a batch that could never fit is
            // refused as such rather than told to retry.
            let limit = usize::try_from(source.rate_limit_per_minute).unwrap_or(0);
            if items.len() > limit {
                return Err(AppError::validation(
                    "leads",
                    "out_of_range",
                    format!("this source may send {limit} leads a minute: send smaller batches"),
                ));
            }
            // Item errors are prefixed with `leads[i]` when the batch answer is built.
            Some(items.iter().map(|v| parse_item(v, "")).collect::<Vec<_>>())
        }
        Some(_) => None,
        None => {
            return Err(AppError::validation(
                "body",
                "invalid_type",
                "must be a lead object or {\"leads\": [...]}",
            ));
        }
    };
    let single = match &batch {
        None => Some(parse_item(&body, "").map_err(AppError::Validation)?),
        Some(_) => None,
    };
    if let Some(items) = &batch {
        let (leads, counted) = (items.len(), source.clone());
        db::connection(&state.pool, move |conn| {
            service::intake::count_batch(conn, &counted, leads, now)
        })
        .await
        .inspect_err(|e| count_if_limited(&state, e))?;
    }

    let vault = state.vault.clone();
    let source_id = source.id;
    // The key and the claim this request holds on it.
    let mut claimed: Option<(String, uuid::Uuid)> = None;
    if let Some(key) = key {
        let hash = service::intake::request_hash(&vault, &body);
        let vault = vault.clone();
        let claim_key = key.clone();
        let state_of_key = db::transaction(&state.pool, move |conn| {
            service::intake::begin_idempotent(conn, &vault, source_id, &claim_key, hash, now)
        })
        .await?;
        match state_of_key {
            KeyState::Replay { status, body } => return Ok(json_response(status, &body, true)),
            KeyState::Fresh(claim) => claimed = Some((key, claim)),
        }
    }

    let work_key = claimed.clone();
    let outcome = db::transaction(&state.pool, move |conn| {
        if let Some((key, claim)) = &work_key {
            service::intake::hold_idempotent(conn, source_id, key, *claim)?;
        }
        let defs = service::lead_fields::field_defs(conn)?;
        let (status, answer) = match (single, batch) {
            (Some(item), _) => single_answer(service::intake::submit_item(
                conn, &vault, &defs, &source, item, false, now,
            )?)?,
            (None, Some(items)) => {
                let mut results = Vec::with_capacity(items.len());
                for item in items {
                    results.push(match item {
                        Ok(item) => service::intake::submit_item(
                            conn, &vault, &defs, &source, item, false, now,
                        )?,
                        Err(errors) => ItemResult::Invalid(errors),
                    });
                }
                batch_answer(results)?
            }
            (None, None) => return Err(AppError::internal("neither a lead nor a batch")),
        };
        if let Some((key, claim)) = &work_key {
            service::intake::finish_idempotent(
                conn, &vault, source.id, key, *claim, status, &answer, now,
            )?;
        }
        Ok((status, answer))
    })
    .await;
    match outcome {
        Ok((status, answer)) => {
            count_outcomes(&state, &answer);
            Ok(json_response(status, &answer, false))
        }
        Err(err) => {
            if let Some((key, claim)) = claimed {
                let released = db::transaction(&state.pool, move |conn| {
                    service::intake::abandon_idempotent(conn, source_id, &key, claim)
                })
                .await;
                if let Err(e) = released {
                    log::warn!("could not release an idempotency key after a failed intake: {e}");
                }
            }
            Err(err)
        }
    }
}
