//! Pool rule sets (`/pools/{id}/rules`) and the organisation's tier policy (`/tier-policy`).

use actix_web::{get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::{Admin, AuthUser};
use crate::db::{self, models::RuleVersion};
use crate::domain::page::Cursor;
use crate::domain::rules::{Rules, TierPolicy};
use crate::error::{AppError, Problem};
use crate::service::{self, rules::CurrentRules};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_rules)
        .service(put_rules)
        .service(rule_versions)
        .service(super::rules_explain::explain_rules)
        .service(preview_rules)
        .service(get_tier_policy)
        .service(put_tier_policy)
        .service(recompute_tiers);
}

super::page_type!(RuleVersionPage, RuleVersionResponse);

/// A pool's current rule set.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesResponse {
    /// Starts at 1 (the defaults) and grows by one with every change.
    pub version: i32,
    pub rules: Rules,
    /// Who made this version (`null` for rules that predate versioning).
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

impl From<CurrentRules> for RulesResponse {
    fn from(c: CurrentRules) -> Self {
        Self {
            version: c.version,
            rules: c.rules,
            changed_by: c.changed_by,
            changed_at: c.changed_at,
        }
    }
}

/// Answers a pool's current rules
///
/// Every field, with defaults filled in, plus the version and who made it. For the pool's members
/// and admins; 404 for anyone else.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Pool id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The current rule set", body = RulesResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools/{id}/rules")]
async fn get_rules(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<RulesResponse>, AppError> {
    let id = id.into_inner();
    let current = db::transaction(&state.pool, move |conn| {
        service::rules::get(conn, &user, id)
    })
    .await?;
    Ok(web::Json(current.into()))
}

/// Replaces a pool's rules (admin)
///
/// Fields left out take their defaults; `null` turns an optional rule off. The change takes effect
/// at once and makes a new version recording who, when and what changed (`GET .../rules/versions`);
/// sending the current rules again changes nothing. Invalid rules are refused with field-level
/// errors (422 `validation_failed`), e.g. `no_contact_days` below 1, a tier without `max_owned`, an
/// unknown stage in `exempt_stages`, `capability` mode without tiers.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Pool id")),
    request_body = Rules,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules now in force", body = RulesResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins change rules", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` with an error per field", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[put("/pools/{id}/rules")]
async fn put_rules(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    body: JsonBody<Rules>,
) -> Result<web::Json<RulesResponse>, AppError> {
    let id = id.into_inner();
    let rules = body.into_inner();
    let now = state.clock.now();
    let current = db::transaction(&state.pool, move |conn| {
        service::rules::put(conn, &user, id, rules, now)
    })
    .await?;
    Ok(web::Json(current.into()))
}

/// One version of a pool's rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionResponse {
    pub version: i32,
    pub rules: Rules,
    /// What changed from the previous version: `{rule: {from, to}}`.
    #[schema(value_type = HashMap<String, crate::dto::shapes::RuleChange>)]
    pub diff: Value,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

impl RuleVersionResponse {
    fn build(v: RuleVersion) -> Result<Self, AppError> {
        Ok(Self {
            rules: Rules::from_stored(&v.rules)
                .map_err(|e| AppError::internal(format!("stored rules: {e}")))?,
            version: v.version,
            diff: v.diff,
            changed_by: v.changed_by,
            changed_at: v.changed_at,
        })
    }
}

/// Lists the history of a pool's rules, newest first (admin)
///
/// Each version with who made it, when, and what changed from the previous one (`diff`).
/// Keyset-paginated.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Pool id"), crate::dto::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of versions, newest first", body = RuleVersionPage),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins read the history", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools/{id}/rules/versions")]
async fn rule_versions(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    query: QueryParams<crate::dto::PageQuery>,
) -> Result<web::Json<RuleVersionPage>, AppError> {
    let id = id.into_inner();
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    // The cursor carries the last version seen.
    let before = match cursor {
        Some(c) => Some(i32::try_from(c.0.as_u128()).map_err(|_| {
            AppError::validation("cursor", "invalid_cursor", "is not a cursor of this list")
        })?),
        None => None,
    };
    let (rows, next) = db::transaction(&state.pool, move |conn| {
        service::rules::versions(conn, &user, id, before, limit)
    })
    .await?;
    Ok(web::Json(RuleVersionPage {
        items: rows
            .into_iter()
            .map(RuleVersionResponse::build)
            .collect::<Result<_, _>>()?,
        next_cursor: next.map(|v| Cursor(Uuid::from_u128(v as u128)).encode()),
    }))
}

/// The organisation's tier policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierPolicyResponse {
    pub policy: TierPolicy,
    /// `null` while the defaults apply.
    pub updated_by: Option<Uuid>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Answers the organisation's tier policy (admin)
///
/// How tiers are computed for people whose tier an admin has not set
/// (`tier_source: computed`): levels tried in order over the claims of the last `window_days`.
/// Admins only; `updated_by` is `null` while the defaults apply.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tier policy", body = TierPolicyResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/tier-policy")]
async fn get_tier_policy(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<TierPolicyResponse>, AppError> {
    let (policy, updated_by, updated_at) =
        db::transaction(&state.pool, service::rules::tier_policy).await?;
    Ok(web::Json(TierPolicyResponse {
        policy,
        updated_by,
        updated_at,
    }))
}

/// Replaces the tier policy (admin; audited)
///
/// Tiers are recomputed on the next scheduled run, or at once with
/// `POST /tier-policy/recompute`.
#[utoipa::path(
    tag = "rules",
    request_body = TierPolicy,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The policy now in force", body = TierPolicyResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[put("/tier-policy")]
async fn put_tier_policy(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<TierPolicy>,
) -> Result<web::Json<TierPolicyResponse>, AppError> {
    let policy = body.into_inner();
    let now = state.clock.now();
    let (actor, stored) = (user.id, policy.clone());
    db::transaction(&state.pool, move |conn| {
        service::rules::put_tier_policy(conn, &user, &stored, now)
    })
    .await?;
    Ok(web::Json(TierPolicyResponse {
        policy,
        updated_by: Some(actor),
        updated_at: Some(now),
    }))
}

/// One person whose computed tier changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierChangeResponse {
    pub user_id: Uuid,
    pub from: Option<i32>,
    pub to: Option<i32>,
    /// Claims started in the window.
    pub claims: i64,
    /// Of those, how many ended converted.
    pub converted: i64,
}

/// The outcome of a recomputation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecomputeResponse {
    pub changed: Vec<TierChangeResponse>,
}

/// Recomputes every computed tier now from the policy (admin)
///
/// Also runs on a schedule (`LEADPOOL_TIER_RECOMPUTE_SECS`). Answers whose tier changed, from
/// what to what, with the claims and conversions it was computed from.
#[utoipa::path(
    tag = "rules",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Who changed tier", body = RecomputeResponse),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/tier-policy/recompute")]
async fn recompute_tiers(
    state: web::Data<AppState>,
    user: Admin,
) -> Result<web::Json<RecomputeResponse>, AppError> {
    let now = state.clock.now();
    let actor = Some(user.id);
    let changes = db::transaction(&state.pool, move |conn| {
        service::rules::recompute_tiers(conn, actor, now)
    })
    .await?;
    Ok(web::Json(RecomputeResponse {
        changed: changes
            .into_iter()
            .map(|c| TierChangeResponse {
                user_id: c.user_id,
                from: c.from,
                to: c.to,
                claims: c.claims,
                converted: c.converted,
            })
            .collect(),
    }))
}

/// A lead a rule set would send back to the pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct WouldRecycleResponse {
    pub lead_id: Uuid,
    pub owner_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub reason: crate::domain::claim::ClaimEnd,
}

/// What a rule set would recycle, soonest first (each window includes the earlier ones).
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastResponse {
    /// Due now: the next sweep would recycle these.
    pub now: Vec<WouldRecycleResponse>,
    pub within_24h: Vec<WouldRecycleResponse>,
    pub within_7d: Vec<WouldRecycleResponse>,
    pub count_now: usize,
    pub count_within_24h: usize,
    pub count_within_7d: usize,
}

/// A holder over a proposed quota.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaExcessResponse {
    pub user_id: Uuid,
    pub tier: Option<i32>,
    pub owned: i64,
    pub max_owned: Option<i64>,
    pub claimed_today: i64,
    pub max_claims_per_day: Option<i64>,
}

/// The what-if of a proposed rule set.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResponse {
    /// Under the rules in force.
    pub current: ForecastResponse,
    /// Under the proposed rules.
    pub proposed: ForecastResponse,
    /// Holders who would be over the proposed `max_owned`, or whose claims the proposed daily
    /// limit would refuse for the rest of today.
    pub over_quota: Vec<QuotaExcessResponse>,
}

fn forecast_response(f: service::lifecycle::RecycleForecast) -> ForecastResponse {
    let list = |v: Vec<service::lifecycle::WouldRecycle>| -> Vec<WouldRecycleResponse> {
        v.into_iter()
            .map(|w| WouldRecycleResponse {
                lead_id: w.lead_id,
                owner_id: w.owner_id,
                at: w.at,
                reason: w.reason,
            })
            .collect()
    };
    ForecastResponse {
        count_now: f.now.len(),
        count_within_24h: f.within_24h.len(),
        count_within_7d: f.within_7d.len(),
        now: list(f.now),
        within_24h: list(f.within_24h),
        within_7d: list(f.within_7d),
    }
}

/// Previews what a proposed rule set would do, without changing anything (admin)
///
/// Compared with the rules in force: which owned leads (and whose) would be recycled now, within
/// 24 hours and within 7 days, and which holders would be over the proposed quotas.
#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Pool id")),
    request_body = Rules,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The what-if", body = PreviewResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/pools/{id}/rules/preview")]
async fn preview_rules(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
    body: JsonBody<Rules>,
) -> Result<web::Json<PreviewResponse>, AppError> {
    let id = id.into_inner();
    let proposed = body.into_inner();
    let now = state.clock.now();
    let tz = state.config.timezone;
    let preview = db::transaction(&state.pool, move |conn| {
        service::lifecycle::preview(conn, &user, id, &proposed, now, tz)
    })
    .await?;
    Ok(web::Json(PreviewResponse {
        current: forecast_response(preview.current),
        proposed: forecast_response(preview.proposed),
        over_quota: preview
            .over_quota
            .into_iter()
            .map(|q| QuotaExcessResponse {
                user_id: q.user_id,
                tier: q.tier,
                owned: q.owned,
                max_owned: q.max_owned,
                claimed_today: q.claimed_today,
                max_claims_per_day: q.max_claims_per_day,
            })
            .collect(),
    }))
}
