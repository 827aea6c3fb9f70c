//! The pool engine over HTTP: the masked pool view, claims, assignments, `next-lead`,
//! distribution, claim records and stored decisions.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams, parse_query};
use super::leads::{
    FilterInput, LeadResponse, ListOrder, active_keys, build_filter, lead_response, parse_stored,
    split_custom,
};
use super::page_params;
use crate::AppState;
use crate::auth::{AuthUser, Supervisor};
use crate::crypto::Vault;
use crate::db::{self, models::Claim, models::Decision, models::Lead};
use crate::domain::claim::{ClaimEnd, ClaimStart};
use crate::domain::eligibility::Candidate;
use crate::domain::lead::{Grade, SourceChannel};
use crate::domain::mask;
use crate::domain::role::Role;
use crate::error::{AppError, Problem};
use crate::repo::claims::{ClaimFilter, ClaimScope, DecisionFilter};
use crate::service::claims::{Distribution, Stop, Taken};
use crate::service::leads::{EMAIL, PHONE, WECHAT};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pool_leads)
        .service(next_lead)
        .service(distribute)
        .service(claim_lead)
        .service(assign_lead)
        .service(list_claims)
        .service(list_decisions)
        .service(get_decision);
}

super::page_type!(PoolLeadPage, PoolLeadResponse);
super::page_type!(ClaimPage, ClaimResponse);
super::page_type!(DecisionPage, DecisionResponse);

/// A pooled lead as pool members browse it: contact data masked (`138****5678`,
/// `z***@example.com`); whoever claims it sees it in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolLeadResponse {
    pub id: Uuid,
    pub pool_id: Option<Uuid>,
    pub name: Option<String>,
    pub company: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// Masked, e.g. `z***@example.com`.
    pub email: Option<String>,
    /// Masked, e.g. `w***3`.
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<Grade>,
    pub source_channel: SourceChannel,
    pub source_detail: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PoolLeadResponse {
    fn build(
        vault: &Vault,
        lead: Lead,
        keys: &std::collections::HashSet<String>,
    ) -> Result<Self, AppError> {
        let masked = |purpose: &str, stored: Option<&Vec<u8>>, how: fn(&str) -> String| {
            super::leads::masked(vault, purpose, stored, how)
        };
        Ok(Self {
            phone: masked(PHONE, lead.phone_enc.as_ref(), mask::phone)?,
            email: masked(EMAIL, lead.email_enc.as_ref(), mask::email)?,
            wechat: masked(WECHAT, lead.wechat_enc.as_ref(), mask::wechat)?,
            grade: lead
                .grade
                .as_deref()
                .map(|g| parse_stored("grade", g))
                .transpose()?,
            source_channel: parse_stored("source channel", &lead.source_channel)?,
            custom: lead
                .custom
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| keys.contains(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            id: lead.id,
            pool_id: lead.pool_id,
            name: lead.name,
            company: lead.company,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            source_detail: lead.source_detail,
            tags: lead.tags,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
        })
    }
}

/// Filters and paging of a pool's leads (custom fields filter as `custom.<key>=<value>`).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PoolLeadsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `newest` (default) or `oldest` first.
    #[param(inline)]
    pub order: Option<ListOrder>,
    /// Source channel.
    pub source: Option<SourceChannel>,
    pub industry: Option<String>,
    pub grade: Option<Grade>,
    pub province: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the name or company, or an exact phone, email or WeChat id.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Comma-separated fields that must be empty (as in the lead list).
    pub missing: Option<String>,
}

/// The pooled leads of a pool, for its members and admins, contact data masked; filterable like
/// the lead list, newest or oldest first, keyset-paginated.
#[utoipa::path(
    tag = "pools",
    params(("id" = Uuid, Path, description = "Pool id"), PoolLeadsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of pooled leads, masked", body = PoolLeadPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pools/{id}/leads")]
async fn pool_leads(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<PoolLeadPage>, AppError> {
    let pool_id = id.into_inner();
    super::extract::refuse_nul_in_query(req.query_string())?;
    let (rest, custom_pairs) = split_custom(req.query_string());
    let query: PoolLeadsQuery = parse_query(&rest)?;
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let filter = build_filter(
        &state.vault,
        FilterInput {
            source: query.source,
            industry: query.industry.as_deref(),
            grade: query.grade,
            province: query.province.as_deref(),
            created_from: query.created_from,
            created_to: query.created_to,
            updated_from: query.updated_from,
            updated_to: query.updated_to,
            q: query.q.as_deref(),
            missing: query.missing.as_deref(),
        },
    )?;
    let newest_first = query.order.unwrap_or_default() == ListOrder::Newest;
    let (rows, defs, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::pools::pooled_leads(
            conn,
            &user,
            pool_id,
            filter,
            custom_pairs,
            cursor,
            newest_first,
            limit,
        )
    })
    .await?;
    let keys = active_keys(&defs);
    let items = rows
        .into_iter()
        .map(|lead| PoolLeadResponse::build(&state.vault, lead, &keys))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(PoolLeadPage { items, next_cursor }))
}

/// A claim record: one stretch of ownership of a lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimResponse {
    pub id: Uuid,
    pub lead_id: Uuid,
    /// The pool the lead was taken from.
    pub pool_id: Option<Uuid>,
    /// Who held (holds) the lead.
    pub user_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub started_how: ClaimStart,
    /// Who started it (the claimer, or the manager who assigned).
    pub started_by: Option<Uuid>,
    /// An admin assigned it over the quotas.
    pub quota_override: bool,
    /// The decision that led to it (`GET /api/v1/claim-decisions/{id}`).
    pub decision_id: Option<Uuid>,
    /// Whether the claim is open (the person holds the lead now).
    pub active: bool,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<ClaimEnd>,
    pub ended_by: Option<Uuid>,
}

impl ClaimResponse {
    fn build(c: Claim) -> Result<Self, AppError> {
        Ok(Self {
            started_how: parse_stored("claim start", &c.started_how)?,
            end_reason: c
                .end_reason
                .as_deref()
                .map(|r| parse_stored("claim end", r))
                .transpose()?,
            active: c.ended_at.is_none(),
            id: c.id,
            lead_id: c.lead_id,
            pool_id: c.pool_id,
            user_id: c.user_id,
            started_at: c.started_at,
            started_by: c.started_by,
            quota_override: c.quota_override,
            decision_id: c.decision_id,
            ended_at: c.ended_at,
            ended_by: c.ended_by,
        })
    }
}

/// A lead that changed hands: its new state, the claim record and the decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct TakenResponse {
    /// The lead, now owned (contact data in full for its new owner and those above them).
    pub lead: LeadResponse,
    pub claim: ClaimResponse,
    pub decision_id: Uuid,
}

/// Counts a claim, next-lead or assignment in the metrics: taken (by how) or refused (by code).
fn counted(state: &AppState, taken: Result<Taken, AppError>) -> Result<Taken, AppError> {
    match &taken {
        Ok(t) => state.metrics.claimed(&t.claim.started_how),
        Err(e) if actix_web::ResponseError::status_code(e).is_client_error() => {
            state.metrics.claim_refused(e.code())
        }
        Err(_) => {}
    }
    taken
}

async fn taken_response(
    state: &AppState,
    taken: Taken,
    viewer: Uuid,
) -> Result<TakenResponse, AppError> {
    Ok(TakenResponse {
        lead: lead_response(state, taken.lead, viewer).await?,
        claim: ClaimResponse::build(taken.claim)?,
        decision_id: taken.decision.id,
    })
}

/// Claims a pooled lead (first come; in `capability` pools, within the caller's tier). Of many
/// people claiming one lead at once exactly one wins; the others get 409
/// `lead_already_claimed`, or 404 once the lead is out of the pool and not one the caller may
/// read (a colleague's lead answers like an unknown id, and no decision is stored). Quotas are checked in the same transaction and hold under
/// concurrency: 422 `claim_quota_exceeded` (`max_owned_per_user` / the tier's `max_owned`),
/// `daily_claim_limit_reached` (per local calendar day; releasing does not give a claim back),
/// `reclaim_cooldown` (a previous owner within `reclaim_cooldown_days`), `grade_not_allowed`
/// (the tier may not take this grade), `user_on_leave`, `user_inactive`; 422
/// `claim_mode_mismatch` in `round_robin` pools. Every refusal is stored with its explanation
/// (`decision_id`, `explanation` in the problem body).
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Lead id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Claimed: the lead in its new state", body = TakenResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, not in a pool the caller belongs to, or out of the pool and not the caller's to read (a colleague's lead)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_already_claimed`: taken while the caller claimed it, or already the caller's (or, for a manager, held by someone they manage)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_quota_exceeded`, `daily_claim_limit_reached`, `reclaim_cooldown`, `grade_not_allowed`, `user_on_leave`, `user_inactive`, `claim_mode_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: more claim attempts this minute than `LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE`; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next minute's attempts"))),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/claim")]
async fn claim_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let per_minute = state.config.claim_attempts_per_minute;
    // One connection for the attempt's count, the claim (its own transaction when it needs one)
    // and the field definitions the answer shows.
    let cache = state.field_defs.clone();
    let (taken, defs) = db::connection(&state.pool, move |conn| {
        service::claims::count_claim_attempt(conn, user.id, per_minute, now)?;
        let taken = service::claims::claim(conn, &user, lead_id, now, tz)?;
        let defs = match &taken {
            Ok(_) => Some(cache.get(conn)?),
            Err(_) => None,
        };
        Ok((taken, defs))
    })
    .await?;
    let taken = counted(&state, taken)?;
    Ok(web::Json(TakenResponse {
        lead: super::leads::lead_response_with(
            &state,
            taken.lead,
            viewer,
            defs.as_deref().map_or(&[][..], |d| d.as_slice()),
        )?,
        claim: ClaimResponse::build(taken.claim)?,
        decision_id: taken.decision.id,
    }))
}

/// A manager's or admin's assignment of a pooled lead.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The salesperson (a member of the pool; for a manager, one of their teams).
    pub user_id: Uuid,
    /// Admins only: assign even over the person's quotas, cooldown or grade restriction
    /// (audited as `lead.assigned_over_quota`).
    #[serde(default)]
    pub quota_override: bool,
}

/// Assigns a pooled lead to a pool member (managers: members of their teams; admins: anyone),
/// with the same quota checks as a claim (422 with the specific code), unless an admin sets
/// `quota_override` (audited). 409 `lead_already_claimed` when someone holds it.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = AssignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Assigned: the lead in its new state", body = TakenResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Salespeople may not assign; only admins may override quotas", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not in a pool the caller belongs to", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`lead_already_claimed`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (unknown `user_id`), `not_pool_member`, `claim_quota_exceeded`, `daily_claim_limit_reached`, `reclaim_cooldown`, `grade_not_allowed`, `user_on_leave`, `user_inactive`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads/{id}/assign")]
async fn assign_lead(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<AssignRequest>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let lead_id = id.into_inner();
    let req = body.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let taken = db::transaction(&state.pool, move |conn| {
        service::claims::assign(
            conn,
            &user,
            lead_id,
            req.user_id,
            req.quota_override,
            now,
            tz,
        )
    })
    .await
    .and_then(|taken| taken);
    let taken = counted(&state, taken)?;
    Ok(web::Json(taken_response(&state, taken, viewer).await?))
}

/// Gives the caller their next lead: in a `round_robin` pool when it is their turn (409
/// `not_your_turn` when others in the rotation are further behind than `round_robin_max_ahead`
/// allows), in a `capability` pool the next lead of a grade their tier may take; the lead is the
/// oldest pooled one, or the best graded, as the pool's `lead_order` says. 409 `pool_empty` when
/// there is none; 422 with the quota code when the caller is at a quota; 422
/// `claim_mode_mismatch` in `first_come` pools. Refusals carry their explanation.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Pool id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's next lead, now theirs", body = TakenResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_your_turn`, `pool_empty`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`claim_quota_exceeded`, `daily_claim_limit_reached`, `user_on_leave`, `user_inactive`, `claim_mode_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: more claim attempts this minute than `LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE`; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next minute's attempts"))),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/pools/{id}/next-lead")]
async fn next_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<TakenResponse>, AppError> {
    let viewer = user.id;
    let pool_id = id.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let per_minute = state.config.claim_attempts_per_minute;
    let taken = db::connection(&state.pool, move |conn| {
        service::claims::count_claim_attempt(conn, user.id, per_minute, now)?;
        conn.transaction(|conn| service::claims::next_lead(conn, &user, pool_id, now, tz))
    })
    .await
    .and_then(|taken| taken);
    let taken = counted(&state, taken)?;
    Ok(web::Json(taken_response(&state, taken, viewer).await?))
}

/// How many leads to hand out.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributeRequest {
    /// At most this many leads (1 to 500).
    #[validate(range(min = 1, max = 500))]
    #[schema(minimum = 1, maximum = 500)]
    pub count: i64,
}

/// Why a distribution stopped.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStop {
    /// Handed out as many as asked.
    Done,
    /// No pooled lead left that an eligible member may take.
    PoolEmpty,
    /// Nobody is eligible (see `candidates` for why).
    NoEligibleMember,
}

/// One lead handed out.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub lead_id: Uuid,
    pub user_id: Uuid,
    pub claim_id: Uuid,
    pub decision_id: Uuid,
    /// Everyone considered for this lead and why each was skipped (`pass`: their place in the
    /// rotation; the eligible one with the lowest pass gets the lead).
    #[schema(value_type = Vec<Candidate>)]
    pub candidates: Value,
}

/// The outcome of a distribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionResponse {
    pub assigned: Vec<Assignment>,
    pub stopped: DistributionStop,
    /// The members at the end and why each would be skipped now.
    pub candidates: Vec<Candidate>,
}

impl From<Distribution> for DistributionResponse {
    fn from(d: Distribution) -> Self {
        Self {
            assigned: d
                .taken
                .into_iter()
                .map(|t| Assignment {
                    lead_id: t.lead.id,
                    user_id: t.claim.user_id,
                    claim_id: t.claim.id,
                    decision_id: t.decision.id,
                    candidates: t.decision.candidates,
                })
                .collect(),
            stopped: match d.stop {
                Stop::Done => DistributionStop::Done,
                Stop::PoolEmpty => DistributionStop::PoolEmpty,
                Stop::NoEligibleMember => DistributionStop::NoEligibleMember,
            },
            candidates: d.last_candidates,
        }
    }
}

/// Hands out up to `count` pooled leads now to eligible members in rotation (admins: all members;
/// managers: members of their teams), skipping the inactive, those on leave and those at a quota,
/// honouring weights, and keeping the fairness balance of the round robin. Safe with several
/// instances (the pool's rotation is locked while it runs). Each assignment carries its
/// explanation.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Pool id")),
    request_body = DistributeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was handed out, with each decision", body = DistributionResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Salespeople may not distribute", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool, or a manager who is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/pools/{id}/distribute")]
async fn distribute(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DistributeRequest>,
) -> Result<web::Json<DistributionResponse>, AppError> {
    let pool_id = id.into_inner();
    let count = body.into_inner().count as usize;
    let now = state.clock.now();
    let tz = state.config.timezone;
    let distribution = db::transaction(&state.pool, move |conn| {
        service::claims::distribute(conn, &user, pool_id, count, now, tz)
    })
    .await?;
    for taken in &distribution.taken {
        state.metrics.claimed(&taken.claim.started_how);
    }
    Ok(web::Json(distribution.into()))
}

/// Filters and paging of claim records.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListClaimsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub user_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub pool_id: Option<Uuid>,
    /// `true`: open claims only; `false`: ended only.
    pub active: Option<bool>,
    pub started_how: Option<ClaimStart>,
    pub end_reason: Option<ClaimEnd>,
    pub started_from: Option<DateTime<Utc>>,
    pub started_to: Option<DateTime<Utc>>,
    pub ended_from: Option<DateTime<Utc>>,
    pub ended_to: Option<DateTime<Utc>>,
}

/// Claim records, newest first: salespeople their own, managers their teams', admins all.
#[utoipa::path(
    tag = "claims",
    params(ListClaimsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of claim records; with `Accept: text/csv`, every matching record (no paging: `limit` and `cursor` are ignored), streamed as CSV with the same fields",
            content((ClaimPage = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/claims")]
async fn list_claims(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<ListClaimsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let scope = match user.role {
        Role::Admin => ClaimScope::All,
        Role::Manager => ClaimScope::ManagedBy(user.id),
        Role::Sales => ClaimScope::Of(user.id),
    };
    let filter = ClaimFilter {
        user_id: q.user_id,
        lead_id: q.lead_id,
        pool_id: q.pool_id,
        active: q.active,
        started_how: q.started_how.map(|h| h.as_str().into()),
        end_reason: q.end_reason.map(|r| r.as_str().into()),
        started_from: q.started_from,
        started_to: q.started_to,
        ended_from: q.ended_from,
        ended_to: q.ended_to,
    };
    if super::csv::wanted(&req) {
        return Ok(super::csv::stream_pages(
            &state,
            "claims.csv",
            CLAIM_CSV_HEADER,
            move |conn, after, limit| {
                Ok(crate::repo::claims::list(
                    conn, &scope, &filter, after, limit,
                )?)
            },
            |c| c.id,
            ClaimResponse::build,
        ));
    }
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        let mut rows =
            crate::repo::claims::list(conn, &scope, &filter, cursor.map(|c| c.0), limit.get() + 1)?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |c| c.id);
        Ok((rows, next))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ClaimPage {
        items: rows
            .into_iter()
            .map(ClaimResponse::build)
            .collect::<Result<_, _>>()?,
        next_cursor,
    }))
}

const CLAIM_CSV_HEADER: &[&str] = &[
    "id",
    "lead_id",
    "pool_id",
    "user_id",
    "started_at",
    "started_how",
    "started_by",
    "quota_override",
    "decision_id",
    "active",
    "ended_at",
    "end_reason",
    "ended_by",
];

/// A stored decision: who asked, what was decided, every candidate considered and why each was
/// skipped.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub id: Uuid,
    /// `claim`, `next_lead`, `assign` or `distribute`.
    pub kind: String,
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Who asked.
    pub actor_id: Option<Uuid>,
    /// `assigned` or `refused`.
    pub outcome: String,
    pub chosen_user_id: Option<Uuid>,
    /// For refusals: the error code that was answered.
    pub code: Option<String>,
    #[schema(value_type = Vec<Candidate>)]
    pub candidates: Value,
    pub created_at: DateTime<Utc>,
}

impl From<Decision> for DecisionResponse {
    fn from(d: Decision) -> Self {
        Self {
            id: d.id,
            kind: d.kind,
            pool_id: d.pool_id,
            lead_id: d.lead_id,
            actor_id: d.actor_id,
            outcome: d.outcome,
            chosen_user_id: d.chosen_user_id,
            code: d.code,
            candidates: d.candidates,
            created_at: d.created_at,
        }
    }
}

/// Filters and paging of decisions.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDecisionsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    /// Decisions about this person (who asked or who was chosen). Salespeople: themselves only.
    pub user_id: Option<Uuid>,
    /// `assigned` or `refused`.
    #[param(inline)]
    pub outcome: Option<DecisionOutcome>,
}

/// The outcome of a decision.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Assigned,
    Refused,
}

/// Stored decisions, newest first: admins all (filterable); others the decisions about
/// themselves.
#[utoipa::path(
    tag = "claims",
    params(ListDecisionsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of decisions", body = DecisionPage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins may read decisions about other people", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/claim-decisions")]
async fn list_decisions(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ListDecisionsQuery>,
) -> Result<web::Json<DecisionPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let about = match (user.role, q.user_id) {
        (Role::Admin, who) => who,
        (_, None) => Some(user.id),
        (_, Some(who)) if who == user.id => Some(who),
        _ => return Err(AppError::Forbidden),
    };
    let filter = DecisionFilter {
        pool_id: q.pool_id,
        lead_id: q.lead_id,
        about,
        outcome: q.outcome.map(|o| {
            match o {
                DecisionOutcome::Assigned => "assigned",
                DecisionOutcome::Refused => "refused",
            }
            .to_string()
        }),
    };
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        let mut rows = crate::repo::claims::list_decisions(
            conn,
            &filter,
            cursor.map(|c| c.0),
            limit.get() + 1,
        )?;
        let next = crate::domain::page::next_cursor(&mut rows, limit, |d| d.id);
        Ok((rows, next))
    })
    .await?;
    Ok(web::Json(DecisionPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// One decision, for the person who asked, the person chosen, their managers and admins.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Decision id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The decision", body = DecisionResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such decision, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/claim-decisions/{id}")]
async fn get_decision(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<DecisionResponse>, AppError> {
    let id = id.into_inner();
    let decision = db::transaction(&state.pool, move |conn| {
        let decision = crate::repo::claims::find_decision(conn, id)?.ok_or(AppError::NotFound)?;
        if !service::claims::may_read_decision(conn, &user, &decision)? {
            return Err(AppError::NotFound);
        }
        Ok(decision)
    })
    .await?;
    Ok(web::Json(decision.into()))
}
