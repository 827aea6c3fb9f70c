//! Signing in and out, and rotating refresh tokens.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::auth::password;
use crate::auth::tokens::{TokenKeys, hash_refresh_token, new_refresh_token};
use crate::db::models::{RefreshToken, User};
use crate::domain::email::Email;
use crate::error::{AppError, ErrorCode};
use crate::repo;

/// A fresh access token and the refresh token that renews it (no `Debug`: it holds secrets).
#[derive(Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires_in: i64,
    pub refresh_expires_in: i64,
    /// Who the tokens are for, as of now.
    pub user_id: Uuid,
    pub name: String,
    pub role: crate::domain::role::Role,
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized {
        code: ErrorCode::InvalidCredentials,
        detail: "the email or password is wrong".into(),
    }
}

fn account_disabled() -> AppError {
    AppError::Unauthorized {
        code: ErrorCode::AccountDisabled,
        detail: "this account is deactivated".into(),
    }
}

/// What a client's failed sign-ins are counted under: the account (by its email, normalised)
/// from the client's address, and the address alone.
#[derive(Debug, Clone)]
pub struct ThrottleKeys {
    pub pair: String,
    pub address: Option<String>,
}

impl ThrottleKeys {
    fn all(&self) -> Vec<String> {
        std::iter::once(self.pair.clone())
            .chain(self.address.clone())
            .collect()
    }
}

pub fn throttle_keys(email: &str, address: Option<&str>) -> ThrottleKeys {
    let account = match Email::parse(email) {
        Ok(email) => email.as_str().to_string(),
        Err(_) => email.trim().to_lowercase().chars().take(300).collect(),
    };
    ThrottleKeys {
        pair: format!("account:{account}|address:{}", address.unwrap_or("unknown")),
        address: address.map(|a| format!("address:{a}")),
    }
}

/// How many failures start delaying a key, and the window they are counted in (also the
/// longest delay).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: i32,
    pub per_address: i32,
    pub block_secs: i32,
}

/// 429 while this account's sign-ins from this address are delayed, or while the address's are
/// and the account has failures of its own from it. An address that guessed at many accounts
/// (an office behind one address, a load balancer's) does not keep out a person who has not
/// failed: their right password goes through, so a stranger's guesses cannot lock them out.
pub fn refuse_if_blocked(
    conn: &mut PgConnection,
    keys: &ThrottleKeys,
    limits: LoginLimits,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let standing = repo::login_failures::standing(conn, &keys.all(), limits.block_secs, now)?;
    let of = |key: &str| standing.iter().find(|s| s.key == key);
    let pair = of(&keys.pair);
    let address = keys.address.as_deref().and_then(of);
    let wait = match (pair, address) {
        (Some(pair), _) if pair.blocked_secs.is_some() => pair.blocked_secs,
        (Some(pair), Some(address)) if pair.failures > 0 => address.blocked_secs,
        _ => None,
    };
    match wait {
        Some(secs) => Err(AppError::TooManyRequests {
            detail: "too many failed sign-ins; try again later".into(),
            retry_after_secs: secs.max(1) as u64,
        }),
        None => Ok(()),
    }
}

/// Counts a failed sign-in against the account from this address and against the address.
pub fn record_failure(
    conn: &mut PgConnection,
    keys: &ThrottleKeys,
    limits: LoginLimits,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::login_failures::record(conn, &keys.pair, limits.per_account, limits.block_secs, now)?;
    if let Some(address) = &keys.address {
        repo::login_failures::record(conn, address, limits.per_address, limits.block_secs, now)?;
    }
    repo::login_failures::prune(
        conn,
        now - chrono::Duration::seconds(i64::from(limits.block_secs)),
    )?;
    Ok(())
}

/// The account an email address belongs to, for the password check. The check itself runs
/// outside any transaction (argon2 is slow on purpose; no connection is held meanwhile).
pub fn find_account(conn: &mut PgConnection, email: &str) -> Result<Option<User>, AppError> {
    match Email::parse(email) {
        Ok(email) => Ok(repo::users::find_by_email(conn, email.as_str())?),
        Err(_) => Ok(None),
    }
}

/// Checks a password against the account found (or against a dummy hash when there is none, so
/// both failures take as long). CPU-heavy: call it on the blocking pool.
pub fn check_password(account: Option<&User>, password_text: &str) -> Result<Uuid, AppError> {
    let Some(user) = account else {
        password::verify_against_dummy(password_text);
        return Err(invalid_credentials());
    };
    if !password::verify(password_text, &user.password_hash) {
        return Err(invalid_credentials());
    }
    if !user.active {
        return Err(account_disabled());
    }
    Ok(user.id)
}

/// Starts a new token family for a user whose password was just checked. The user is read again
/// (locked against a concurrent deactivation or password change) and must still be active.
pub fn start_session(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    user_id: Uuid,
    throttle: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<TokenPair, AppError> {
    let user = repo::users::find_locked(conn, user_id)?.ok_or_else(invalid_credentials)?;
    if !user.active {
        return Err(account_disabled());
    }
    repo::login_failures::clear(conn, &throttle.pair)?;
    issue_pair(conn, keys, &user, Uuid::now_v7(), now)
}

/// What a refresh attempt came to. Rejections that revoke tokens are outcomes, not errors, so that
/// the revocation commits before the client is refused.
pub enum RefreshOutcome {
    Renewed(TokenPair),
    Refused(AppError),
}

/// Spends a refresh token and issues the next pair of its family. Presenting a token that was
/// already spent revokes the whole family: someone else holds a copy.
pub fn refresh(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    token: &str,
    now: DateTime<Utc>,
) -> Result<RefreshOutcome, AppError> {
    let hash = hash_refresh_token(token);
    let invalid = || AppError::Unauthorized {
        code: ErrorCode::InvalidRefreshToken,
        detail: "the refresh token is unknown, expired or revoked".into(),
    };
    let Some(known) = repo::refresh_tokens::find_by_hash(conn, &hash)? else {
        return Ok(RefreshOutcome::Refused(invalid()));
    };
    // Lock the user before spending: a concurrent deactivation or password change either waits
    // for this refresh (and then revokes the token it issues) or goes first (and this refresh
    // finds the token revoked).
    repo::users::find_locked(conn, known.user_id)?;
    let Some(spent) = repo::refresh_tokens::spend(conn, &hash, now)? else {
        let refused = match repo::refresh_tokens::find_by_hash(conn, &hash)? {
            Some(known) if known.used_at.is_some() && known.revoked_at.is_none() => {
                repo::refresh_tokens::revoke_family(conn, known.family_id, now)?;
                log::warn!(
                    "refresh token reuse for user {}: token family {} revoked",
                    known.user_id,
                    known.family_id
                );
                AppError::Unauthorized {
                    code: ErrorCode::RefreshTokenReused,
                    detail: "this refresh token was already used; every session it belonged to is now signed out".into(),
                }
            }
            _ => invalid(),
        };
        return Ok(RefreshOutcome::Refused(refused));
    };
    let user = repo::users::find(conn, spent.user_id)?.ok_or(AppError::NotFound)?;
    if !user.active {
        repo::refresh_tokens::revoke_family(conn, spent.family_id, now)?;
        return Ok(RefreshOutcome::Refused(account_disabled()));
    }
    issue_pair(conn, keys, &user, spent.family_id, now).map(RefreshOutcome::Renewed)
}

/// Ends every session of `user_id` at once: their refresh tokens are revoked and their token
/// version raised, so the access tokens they hold stop working too (on every instance within
/// moments: the version change is pushed to each).
pub fn end_sessions(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::refresh_tokens::revoke_user(conn, user_id, now)?;
    repo::users::bump_token_version(conn, user_id)?;
    Ok(())
}

/// "Sign out everywhere", by the person themselves or an admin: [`end_sessions`], audited.
pub fn sign_out_everywhere(
    conn: &mut PgConnection,
    actor: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    repo::users::find_locked(conn, user_id)?.ok_or(AppError::NotFound)?;
    end_sessions(conn, user_id, now)?;
    crate::service::audit::Audit::of(
        Some(actor),
        "user.signed_out_everywhere",
        "user",
        Some(user_id),
        now,
    )
    .write(conn)?;
    Ok(())
}

/// Revokes the family of `token` if it belongs to `user_id`. Unknown tokens are ignored, so the
/// answer never tells whether a token exists.
pub fn logout(
    conn: &mut PgConnection,
    user_id: Uuid,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(known) = repo::refresh_tokens::find_by_hash(conn, &hash_refresh_token(token))? {
        if known.user_id == user_id {
            repo::refresh_tokens::revoke_family(conn, known.family_id, now)?;
        }
    }
    Ok(())
}

fn issue_pair(
    conn: &mut PgConnection,
    keys: &TokenKeys,
    user: &User,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> Result<TokenPair, AppError> {
    let role = user.role;
    let access_token = keys.issue_access(user.id, role, user.token_version, now)?;
    let (refresh_token, token_hash) = new_refresh_token();
    repo::refresh_tokens::insert(
        conn,
        &RefreshToken {
            id: Uuid::now_v7(),
            family_id,
            user_id: user.id,
            token_hash,
            issued_at: now,
            expires_at: now + keys.refresh_ttl,
            used_at: None,
            revoked_at: None,
        },
    )?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        access_expires_in: keys.access_ttl.num_seconds(),
        refresh_expires_in: keys.refresh_ttl.num_seconds(),
        user_id: user.id,
        name: user.name.clone(),
        role: user.role,
    })
}
