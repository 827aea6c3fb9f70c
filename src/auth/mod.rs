//! Authentication: passwords, access and refresh tokens, and the extractor that turns a bearer
//! token into an [`AuthUser`]: the token's signature and expiry, then the user's current access
//! (active, role, token version), usually from this instance's memory (see [`access`]).

pub mod access;
pub mod password;
pub mod tokens;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::AppState;
use crate::domain::role::Role;
use crate::error::{AppError, ErrorCode};

/// The caller, as proven by a valid access token, with the role they have now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: Uuid,
    pub role: Role,
}

impl AuthUser {
    /// Passes when the caller has one of `roles`; otherwise 403 `forbidden`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        self.require(&[Role::Admin])
    }
}

fn unauthorized(code: ErrorCode, detail: &str) -> AppError {
    AppError::Unauthorized {
        code,
        detail: detail.to_string(),
    }
}

impl FromRequest for AuthUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(authenticate(req))
    }
}

/// A signed-in admin. Anyone else is refused (401, or 403 `forbidden`) while the request is
/// extracted, before its body is read: a caller without the role learns nothing from validation.
#[derive(Debug, Clone)]
pub struct Admin(pub AuthUser);

/// A signed-in manager or admin; others are refused like for [`Admin`].
#[derive(Debug, Clone)]
pub struct Supervisor(pub AuthUser);

impl std::ops::Deref for Admin {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl std::ops::Deref for Supervisor {
    type Target = AuthUser;
    fn deref(&self) -> &AuthUser {
        &self.0
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(req);
        Box::pin(async move {
            let user = user.await?;
            user.require_admin()?;
            Ok(Admin(user))
        })
    }
}

impl FromRequest for Supervisor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(req);
        Box::pin(async move {
            let user = user.await?;
            user.require(&[Role::Manager, Role::Admin])?;
            Ok(Supervisor(user))
        })
    }
}

/// The token is checked at once (no database); the user's current access after, from this
/// instance's memory or, when it has none fresh, from the database.
fn authenticate(req: &HttpRequest) -> impl Future<Output = Result<AuthUser, AppError>> + 'static {
    let checked = bearer_claims(req);
    async move {
        let (state, claims) = checked?;
        let access = match state.access.get(claims.sub) {
            Some(access) => access,
            None => {
                let epoch = state.access.epoch();
                let id = claims.sub;
                let loaded =
                    crate::db::connection(&state.pool, move |conn| Ok(access::load(conn, id)?))
                        .await?;
                let access = loaded.ok_or_else(|| {
                    unauthorized(ErrorCode::InvalidToken, "the access token is not valid")
                })?;
                state.access.put(id, access, epoch);
                access
            }
        };
        if !access.active {
            return Err(unauthorized(
                ErrorCode::AccountDisabled,
                "this account is deactivated",
            ));
        }
        if claims.ver < access.token_version {
            return Err(unauthorized(
                ErrorCode::TokenRevoked,
                "this access token was revoked (a password change or sign-out everywhere); sign in again",
            ));
        }
        Ok(AuthUser {
            id: claims.sub,
            role: access.role,
        })
    }
}

fn bearer_claims(req: &HttpRequest) -> Result<(web::Data<AppState>, tokens::Claims), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("AppState is not registered"))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        unauthorized(
            ErrorCode::MissingToken,
            "send Authorization: Bearer <access token>",
        )
    })?;
    let value = value.to_str().map_err(|_| {
        unauthorized(
            ErrorCode::InvalidToken,
            "the Authorization header is not valid text",
        )
    })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized(
                ErrorCode::InvalidToken,
                "the Authorization scheme must be Bearer",
            )
        })?;
    let claims = state.tokens.decode_access(token, state.clock.now())?;
    Ok((state, claims))
}
