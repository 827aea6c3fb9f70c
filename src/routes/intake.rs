//! Web-form intake (`/intake/leads`, for integrators with a source token), intake sources and the
//! quarantine (admin).

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::Admin;
use crate::db::{self, models::IntakeSource, models::QuarantineEntry};
use crate::domain::lead::{RawLead, SourceChannel};
use crate::domain::page::next_cursor;
use crate::error::{AppError, FieldError, Problem};
use crate::service::intake::{IntakeItem, ItemResult, KeyState};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(intake_leads)
        .service(list_sources)
        .service(create_source)
        .service(delete_source)
        .service(list_quarantine)
        .service(accept_quarantined)
        .service(discard_quarantined);
}

super::page_type!(QuarantinePage, QuarantineResponse);

/// Most leads in one batch.
pub const MAX_BATCH: usize = 500;

/// One lead from a web form. Field values are cleaned like every way in; invalid ones are
/// reported per field. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeLead {
    #[schema(example = "张伟")]
    pub name: Option<String>,
    pub company: Option<String>,
    #[schema(example = "138 1234 5678")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    /// `A` to `D`.
    pub grade: Option<String>,
    /// Overrides the source's channel.
    pub source_channel: Option<String>,
    /// E.g. the landing page or campaign.
    pub source_detail: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    /// Pass through the value of a hidden form field that people never see; bots fill it in, and
    /// such submissions go to quarantine.
    pub honeypot: Option<String>,
}

/// Several leads at once (at most 500).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBatch {
    /// Each item is an `IntakeLead`, checked on its own: an item that is not one (a wrong type,
    /// an unknown field) is answered `invalid` with its errors, and the others are still stored.
    #[schema(min_items = 1, max_items = 500, value_type = Vec<Object>)]
    pub leads: Vec<IntakeLead>,
}

/// One lead, or `{"leads": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum IntakeRequest {
    Batch(IntakeBatch),
    One(Box<IntakeLead>),
}

/// Any JSON document (checked by hand afterwards).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct AnyJson(Value);

impl Validate for AnyJson {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// What became of a submitted lead.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    /// A new lead in a pool.
    Created,
    /// The same person as an open lead: recorded on it as a touch, filling its empty fields.
    Merged,
    /// Suspect (honeypot, empty, disposable email, placeholder, link spam): held for an admin.
    Quarantined,
    /// Not stored; see `errors`.
    Invalid,
}

/// The answer for one lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeResult {
    pub status: IntakeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_id: Option<Uuid>,
}

/// The answer for one lead of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeItemResult {
    /// Position in `leads`.
    pub index: usize,
    pub status: IntakeStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_id: Option<Uuid>,
    /// Why the lead was not stored (`invalid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// A 200 answer: one merged lead, or a batch's results.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // documents the two shapes of a 200; each is built as itself
pub enum IntakeOk {
    One(IntakeResult),
    Batch(IntakeBatchResult),
}

/// The answer for a batch: every lead's result, and the counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeBatchResult {
    pub results: Vec<IntakeItemResult>,
    pub created: usize,
    pub merged: usize,
    pub quarantined: usize,
    pub invalid: usize,
}

/// Parses one item of the body into an intake item; errors carry the item's path.
fn parse_item(value: &Value, prefix: &str) -> Result<IntakeItem, Vec<FieldError>> {
    let lead: IntakeLead = serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let mut error = super::extract::field_error(&path, &err.into_inner().to_string());
        if !prefix.is_empty() {
            error.field = format!("{prefix}.{}", error.field);
        }
        vec![error]
    })?;
    Ok(IntakeItem {
        raw: RawLead {
            name: lead.name,
            company: lead.company,
            phone: lead.phone,
            email: lead.email,
            wechat: lead.wechat,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            grade: lead.grade,
            source_channel: lead.source_channel,
            source_detail: lead.source_detail,
            tags: lead.tags,
            custom: lead.custom,
        },
        honeypot: lead.honeypot,
        payload: value.clone(),
    })
}

fn prefix_errors(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{prefix}.{}", e.field);
            e
        })
        .collect()
}

fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized {
            code: "missing_token",
            detail: "send Authorization: Bearer <intake source token>".into(),
        })?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| t.starts_with(service::intake::TOKEN_PREFIX))
        .ok_or(AppError::Unauthorized {
            code: "invalid_token",
            detail: "not a valid intake source token".into(),
        })
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let text = value.to_str().ok().map(str::trim).unwrap_or("");
    if text.is_empty() || text.len() > 255 {
        return Err(AppError::validation(
            "Idempotency-Key",
            "invalid_format",
            "must be 1 to 255 visible ASCII characters (e.g. a UUID)",
        ));
    }
    Ok(Some(text.to_string()))
}

fn json_response(status: u16, body: &Value, replayed: bool) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(body)
}

fn single_answer(result: ItemResult) -> Result<(u16, Value), AppError> {
    let (status, body) = match result {
        ItemResult::Created(id) => (
            201,
            IntakeResult {
                status: IntakeStatus::Created,
                lead_id: Some(id),
                quarantine_id: None,
            },
        ),
        ItemResult::Merged(id) => (
            200,
            IntakeResult {
                status: IntakeStatus::Merged,
                lead_id: Some(id),
                quarantine_id: None,
            },
        ),
        ItemResult::Quarantined(id) => (
            202,
            IntakeResult {
                status: IntakeStatus::Quarantined,
                lead_id: None,
                quarantine_id: Some(id),
            },
        ),
        ItemResult::Invalid(errors) => return Err(AppError::Validation(errors)),
    };
    Ok((
        status,
        serde_json::to_value(body).map_err(AppError::internal)?,
    ))
}

/// Counts what an answer says became of its leads (one lead's `status`, or a batch's counts).
fn count_outcomes(state: &AppState, answer: &Value) {
    if answer.get("results").is_some() {
        for outcome in ["created", "merged", "quarantined", "invalid"] {
            let n = answer[outcome].as_u64().unwrap_or(0);
            state.metrics.intake(outcome, n);
        }
    } else if let Some(status) = answer["status"].as_str() {
        state.metrics.intake(status, 1);
    }
}

fn batch_answer(results: Vec<ItemResult>) -> Result<(u16, Value), AppError> {
    let mut out = IntakeBatchResult {
        results: Vec::new(),
        created: 0,
        merged: 0,
        quarantined: 0,
        invalid: 0,
    };
    for (index, result) in results.into_iter().enumerate() {
        let mut item = IntakeItemResult {
            index,
            status: IntakeStatus::Invalid,
            lead_id: None,
            quarantine_id: None,
            errors: None,
        };
        match result {
            ItemResult::Created(id) => {
                out.created += 1;
                item.status = IntakeStatus::Created;
                item.lead_id = Some(id);
            }
            ItemResult::Merged(id) => {
                out.merged += 1;
                item.status = IntakeStatus::Merged;
                item.lead_id = Some(id);
            }
            ItemResult::Quarantined(id) => {
                out.quarantined += 1;
                item.status = IntakeStatus::Quarantined;
                item.quarantine_id = Some(id);
            }
            ItemResult::Invalid(errors) => {
                out.invalid += 1;
                item.errors = Some(prefix_errors(errors, &format!("leads[{index}]")));
            }
        }
        out.results.push(item);
    }
    Ok((200, serde_json::to_value(out).map_err(AppError::internal)?))
}

/// Counts a refusal for the source's rate limit in the intake metrics.
fn count_if_limited(state: &AppState, e: &AppError) {
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
async fn intake_leads(
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

/// An intake source (its token is never shown again after creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeSourceResponse {
    pub id: Uuid,
    pub name: String,
    /// Source channel of the leads it sends (unless a lead names another).
    pub channel: SourceChannel,
    /// Leads a minute: a single push counts one, a batch each of its leads.
    pub rate_limit_per_minute: i32,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<IntakeSource> for IntakeSourceResponse {
    type Error = AppError;

    fn try_from(s: IntakeSource) -> Result<Self, AppError> {
        Ok(Self {
            channel: s
                .channel
                .parse()
                .map_err(|_| AppError::internal(format!("unknown channel {:?}", s.channel)))?,
            id: s.id,
            name: s.name,
            rate_limit_per_minute: s.rate_limit_per_minute,
            created_at: s.created_at,
        })
    }
}

/// A new source and its token.
#[derive(Serialize, ToSchema)]
pub struct CreatedIntakeSource {
    #[serde(flatten)]
    pub source: IntakeSourceResponse,
    /// Send as `Authorization: Bearer <token>`; shown this once, stored only hashed.
    pub token: String,
}

/// A new intake source.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntakeSourceRequest {
    #[validate(length(min = 1, max = 200), custom(function = "super::non_blank"))]
    #[schema(min_length = 1, max_length = 200, example = "官网咨询表单")]
    pub name: String,
    pub channel: SourceChannel,
    /// Leads a minute (default 60): a single push counts one, a batch each of its leads.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub rate_limit_per_minute: Option<i32>,
}

/// The intake sources (admin).
#[utoipa::path(
    tag = "intake",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sources", body = Vec<IntakeSourceResponse>),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/intake-sources")]
async fn list_sources(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<Vec<IntakeSourceResponse>>, AppError> {
    let rows = db::transaction(&state.pool, move |conn| {
        Ok(crate::repo::intake::list_sources(conn)?)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(TryInto::try_into)
            .collect::<Result<_, _>>()?,
    ))
}

/// Creates an intake source (admin); the answer carries its token, shown this once.
#[utoipa::path(
    tag = "intake",
    request_body = CreateIntakeSourceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; keep the token", body = CreatedIntakeSource),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/intake-sources")]
async fn create_source(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreateIntakeSourceRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let now = state.clock.now();
    let name = crate::domain::text::single_line(&req.name);
    let (source, token) = db::transaction(&state.pool, move |conn| {
        service::intake::create_source(
            conn,
            name,
            req.channel,
            req.rate_limit_per_minute.unwrap_or(60),
            user.id,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedIntakeSource {
            source: source.try_into()?,
            token,
        }))
}

/// Deletes an intake source (admin): its token stops working at once; its leads stay.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Source id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/intake-sources/{id}")]
async fn delete_source(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let actor = user.id;
    let deleted = db::transaction(&state.pool, move |conn| {
        service::intake::delete_source(conn, actor, id, now)
    })
    .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// A held submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuarantineResponse {
    pub id: Uuid,
    pub source_id: Uuid,
    /// `honeypot`, `empty`, `disposable_email`, `placeholder`, `link_in_name`.
    pub reasons: Vec<String>,
    /// `pending`, `accepted` or `discarded`.
    pub status: String,
    /// The submission as received.
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The lead it became, once accepted.
    pub lead_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn quarantine_response(
    vault: &crate::crypto::Vault,
    entry: QuarantineEntry,
) -> Result<QuarantineResponse, AppError> {
    Ok(QuarantineResponse {
        payload: service::intake::payload_of(vault, &entry)?,
        id: entry.id,
        source_id: entry.source_id,
        reasons: entry.reasons,
        status: entry.status,
        lead_id: entry.lead_id,
        decided_by: entry.decided_by,
        decided_at: entry.decided_at,
        created_at: entry.created_at,
    })
}

/// Which held submissions to list.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineStatus {
    Pending,
    Accepted,
    Discarded,
}

/// Filters and paging of the quarantine.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuarantineQuery {
    /// Default `pending`.
    #[param(inline)]
    pub status: Option<QuarantineStatus>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Suspect submissions held for review (admin), oldest first.
#[utoipa::path(
    tag = "intake",
    params(QuarantineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of held submissions", body = QuarantinePage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/intake/quarantine")]
async fn list_quarantine(
    state: web::Data<AppState>,
    _admin: Admin,
    query: QueryParams<QuarantineQuery>,
) -> Result<web::Json<QuarantinePage>, AppError> {
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let status = match query.status.unwrap_or(QuarantineStatus::Pending) {
        QuarantineStatus::Pending => "pending",
        QuarantineStatus::Accepted => "accepted",
        QuarantineStatus::Discarded => "discarded",
    };
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        let mut rows = crate::repo::intake::list_quarantine(
            conn,
            Some(status),
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = next_cursor(&mut rows, limit, |e| e.id);
        Ok((rows, next))
    })
    .await?;
    let items = rows
        .into_iter()
        .map(|e| quarantine_response(&state.vault, e))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(QuarantinePage { items, next_cursor }))
}

async fn decide(
    state: web::Data<AppState>,
    user: Admin,
    id: Uuid,
    accept: bool,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    let now = state.clock.now();
    let vault = state.vault.clone();
    let entry = db::transaction(&state.pool, move |conn| {
        if !accept {
            return service::intake::discard(conn, id, user.id, now);
        }
        let defs = service::lead_fields::field_defs(conn)?;
        service::intake::accept(conn, &vault, &defs, id, user.id, |v| parse_item(v, ""), now)
    })
    .await?;
    Ok(web::Json(quarantine_response(&state.vault, entry)?))
}

/// Accepts a held submission (admin): it comes in as a lead (created or merged), skipping the
/// suspicion rules. 409 `quarantine_already_decided` when decided before.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Quarantine entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted; `lead_id` is the lead", body = QuarantineResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quarantine_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The submission cannot become a lead (field errors, `no_pool`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/intake/quarantine/{id}/accept")]
async fn accept_quarantined(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    decide(state, user, id.into_inner(), true).await
}

/// Discards a held submission (admin). 409 `quarantine_already_decided` when decided before.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Quarantine entry id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Discarded", body = QuarantineResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins review the quarantine", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`quarantine_already_decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/intake/quarantine/{id}/discard")]
async fn discard_quarantined(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<web::Json<QuarantineResponse>, AppError> {
    decide(state, user, id.into_inner(), false).await
}
