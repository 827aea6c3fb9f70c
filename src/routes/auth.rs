//! `/auth/*` and `/me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::domain::leave::on_leave;
use crate::domain::role::Role;
use crate::error::{AppError, Problem};
use crate::routes::extract::JsonBody;
use crate::service;
use crate::service::auth::{RefreshOutcome, TokenPair};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(logout_everywhere)
        .service(me);
}

/// Email and password (no `Debug`: it holds a secret).
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin@example.com", max_length = 254)]
    #[validate(length(max = 254))]
    pub email: String,
    #[schema(example = "change-me-please", max_length = 128)]
    #[validate(length(max = 128))]
    pub password: String,
}

/// A short-lived access token and the refresh token that renews it.
#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Opaque; works once at `/auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    /// Who is signed in (with the role the access token carries), so a client needs no second
    /// request to know; `GET /me` has the rest.
    pub user: SessionUser,
}

/// The person a token pair is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionUser {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
}

impl From<TokenPair> for TokenResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
            token_type: "Bearer".into(),
            user: SessionUser {
                id: pair.user_id,
                name: pair.name,
                role: pair.role,
            },
            expires_in: pair.access_expires_in,
            refresh_expires_in: pair.refresh_expires_in,
        }
    }
}

/// A refresh token.
#[derive(Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 512))]
    #[schema(min_length = 1, max_length = 512)]
    pub refresh_token: String,
}

/// Signs in: answers an access token and a refresh token
///
/// A wrong email and a wrong password give the same answer (401 `invalid_credentials`); a
/// deactivated account answers 401 `account_disabled`. Guessing is slowed: after
/// `LEADPOOL_LOGIN_MAX_FAILURES` failures for one account (or
/// `LEADPOOL_LOGIN_MAX_FAILURES_PER_ADDRESS` from one address) within
/// `LEADPOOL_LOGIN_BLOCK_SECS`, sign-ins for it answer 429 (even with the right password) until
/// the block ends; a successful sign-in clears the account's count.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        crate::routes::responses::JsonBodyRefused,
        (status = 401, description = "`invalid_credentials` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body has the wrong shape (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins of this account from this address, or from this address by an account that failed from it too (`rate_limited`); retry after `Retry-After` seconds (the delay doubles with each further failure)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until sign-ins are accepted again"))),
        (status = 503, description = "The database is unavailable; retry after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before retrying"))),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> Result<web::Json<TokenResponse>, AppError> {
    let LoginRequest { email, password } = body.into_inner();
    // The peer's address; X-Forwarded-For only from a trusted proxy (a client could write
    // anything there).
    let address =
        crate::edge::client_address(&req, &state.config.trusted_proxies).map(|ip| ip.to_string());
    let keys = service::auth::throttle_keys(&email, address.as_deref());
    let limits = service::auth::LoginLimits {
        per_account: state.config.login_max_failures,
        per_address: state.config.login_max_failures_per_address,
        block_secs: state.config.login_block_secs,
    };
    let now = state.clock.now();
    let checked = keys.clone();
    let account = db::transaction(&state.pool, move |conn| {
        service::auth::refuse_if_blocked(conn, &checked, limits, now)?;
        service::auth::find_account(conn, &email)
    })
    .await?;
    let user_id =
        match web::block(move || service::auth::check_password(account.as_ref(), &password)).await?
        {
            Ok(id) => id,
            Err(refusal) => {
                // Counted in a transaction of its own: the refusal must not roll it back.
                let keys = keys.clone();
                db::transaction(&state.pool, move |conn| {
                    service::auth::record_failure(conn, &keys, limits, now)
                })
                .await?;
                return Err(refusal);
            }
        };
    let tokens = state.tokens.clone();
    let pair = db::transaction(&state.pool, move |conn| {
        service::auth::start_session(conn, &tokens, user_id, &keys, now)
    })
    .await?;
    Ok(web::Json(pair.into()))
}

/// Exchanges a refresh token for a new pair
///
/// Each refresh token works once. Presenting one that was already used signs out every session of
/// its family (401 `refresh_token_reused`): a copy of it is in someone else's hands. Refreshing
/// picks up role changes; a deactivated user is refused (401 `account_disabled`).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    security(()),
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        crate::routes::responses::JsonBodyRefused,
        (status = 401, description = "`invalid_refresh_token`, `refresh_token_reused` or `account_disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body has the wrong shape (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, AppError> {
    let token = body.into_inner().refresh_token;
    let now = state.clock.now();
    let tokens = state.tokens.clone();
    let outcome = db::transaction(&state.pool, move |conn| {
        service::auth::refresh(conn, &tokens, &token, now)
    })
    .await?;
    match outcome {
        RefreshOutcome::Renewed(pair) => Ok(web::Json(pair.into())),
        RefreshOutcome::Refused(err) => Err(err),
    }
}

/// Signs out of one sign-in by revoking its refresh token
///
/// Revokes the given refresh token and every token refreshed from the same sign-in. Answers 204
/// whether or not the token was known. The access token of this sign-in stays valid until it
/// expires (at most `LEADPOOL_ACCESS_TOKEN_TTL_SECS`): to end every access token at once, use
/// `POST /auth/logout-everywhere`.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "The body has the wrong shape (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<RefreshRequest>,
) -> Result<HttpResponse, AppError> {
    let token = body.into_inner().refresh_token;
    let now = state.clock.now();
    db::transaction(&state.pool, move |conn| {
        service::auth::logout(conn, user.id, &token, now)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs the caller out everywhere
///
/// Every refresh token of the caller is revoked and every access token they hold (this one
/// included) stops working, on every instance within moments. Any signed-in user may call it, for
/// themselves only; answers 204.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session of the caller ended"),
        crate::routes::responses::Unauthenticated,
        crate::routes::responses::Unavailable,
    )
)]
#[post("/auth/logout-everywhere")]
async fn logout_everywhere(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now();
    db::transaction(&state.pool, move |conn| {
        service::auth::sign_out_everywhere(conn, user.id, user.id, now)
    })
    .await?;
    state.access.forget(user.id);
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's team, by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRef {
    pub id: Uuid,
    pub name: String,
}

/// The signed-in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team: Option<TeamRef>,
    /// Capability tier (1 is the first tier), when one is set.
    pub tier: Option<i32>,
    pub active: bool,
    pub on_leave_from: Option<DateTime<Utc>>,
    pub on_leave_until: Option<DateTime<Utc>>,
    /// Whether the caller is on leave right now.
    pub on_leave: bool,
    /// For each pool the caller belongs to: the quotas that apply to them and what is left today.
    pub pools: Vec<PoolQuotaResponse>,
}

/// A person's quotas in one pool and what they have left (today: the local calendar day in the
/// organisation's time zone).
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolQuotaResponse {
    pub pool_id: Uuid,
    pub pool_name: String,
    pub claim_mode: crate::domain::rules::ClaimMode,
    /// The tier whose quotas apply (capability pools), else the person's tier.
    pub tier: Option<i32>,
    /// Lead grades the person may claim here (`null`: all).
    pub grades: Option<Vec<crate::domain::lead::Grade>>,
    /// Owned leads from this pool now.
    pub owned: i64,
    /// `null`: no limit.
    pub max_owned: Option<i64>,
    /// How many more leads the person may hold (`null`: no limit).
    pub owned_left: Option<i64>,
    /// Claims from this pool today.
    pub claimed_today: i64,
    pub max_claims_per_day: Option<i64>,
    /// Claims left today (`null`: no limit).
    pub claims_left_today: Option<i64>,
}

/// Answers the signed-in caller, with their quotas in each of their pools
///
/// Who the caller is, their role, team and tier, and in each of their pools the quotas that apply
/// and what is left today (the local calendar day in the organisation's time zone). Any
/// signed-in user may call it.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        crate::routes::responses::Unauthenticated,
        crate::routes::responses::Unavailable,
    )
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<web::Json<MeResponse>, AppError> {
    let now = state.clock.now();
    let tz = state.config.timezone;
    let (me, team, quotas) = db::transaction(&state.pool, move |conn| {
        let (me, team) = service::users::profile(conn, user.id)?;
        let quotas = service::claims::quotas_of(conn, &me, now, tz)?;
        Ok((me, team, quotas))
    })
    .await?;
    let on_leave = on_leave(me.on_leave_from, me.on_leave_until, now);
    Ok(web::Json(MeResponse {
        id: me.id,
        role: me.role,
        name: me.name,
        email: me.email,
        team: team.map(|t| TeamRef {
            id: t.id,
            name: t.name,
        }),
        tier: me.tier,
        active: me.active,
        on_leave_from: me.on_leave_from,
        on_leave_until: me.on_leave_until,
        on_leave,
        pools: quotas
            .into_iter()
            .map(|q| {
                let left = |max: Option<i64>, used: i64| max.map(|m| (m - used).max(0));
                PoolQuotaResponse {
                    pool_id: q.pool_id,
                    pool_name: q.pool_name,
                    claim_mode: q.claim_mode,
                    tier: q.quota.tier,
                    grades: q.quota.grades.clone(),
                    owned: q.owned,
                    max_owned: q.quota.max_owned,
                    owned_left: left(q.quota.max_owned, q.owned),
                    claimed_today: q.claimed_today,
                    max_claims_per_day: q.quota.max_claims_per_day,
                    claims_left_today: left(q.quota.max_claims_per_day, q.claimed_today),
                }
            })
            .collect(),
    }))
}
