//! Access tokens (HS256 JWTs) and opaque refresh tokens.
//!
//! Validation pins the algorithm to HS256 (so `alg: none` and any other algorithm fail), requires
//! and checks `iss`, `aud`, `sub` and `exp`, and checks `exp` against the injected clock.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::role::Role;
use crate::error::{AppError, ErrorCode};

pub const ISSUER: &str = "leadpool";
pub const AUDIENCE: &str = "leadpool-api";

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub role: Role,
    /// The user's token version when issued (tokens below the current one are refused).
    #[serde(default)]
    pub ver: i32,
    pub iat: i64,
    pub exp: i64,
}

/// Keys and settings for issuing and checking access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // `exp` is checked below against the injected clock, so tests can move time.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    pub fn issue_access(
        &self,
        user_id: Uuid,
        role: Role,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<String, AppError> {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id,
            role,
            ver: version,
            iat: now.timestamp(),
            exp: (now + self.access_ttl).timestamp(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("jwt encode: {e}")))
    }

    pub fn decode_access(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AppError> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            log::debug!("rejected access token: {e}");
            AppError::Unauthorized {
                code: ErrorCode::InvalidToken,
                detail: "the access token is not valid".into(),
            }
        })?;
        if data.claims.exp <= now.timestamp() {
            return Err(AppError::Unauthorized {
                code: ErrorCode::TokenExpired,
                detail: "the access token has expired; refresh it".into(),
            });
        }
        Ok(data.claims)
    }
}

/// A new random refresh token (what the client keeps) and its SHA-256 (what the database keeps).
pub fn new_refresh_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = crate::crypto::random_bytes();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], Duration::minutes(15), Duration::days(14))
    }

    #[test]
    fn issued_tokens_decode_until_they_expire() {
        let keys = keys();
        let now = Utc::now();
        let id = Uuid::now_v7();
        let token = keys.issue_access(id, Role::Manager, 0, now).unwrap();
        let claims = keys.decode_access(&token, now).unwrap();
        assert_eq!((claims.sub, claims.role), (id, Role::Manager));
        let err = keys
            .decode_access(&token, now + Duration::minutes(16))
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::TokenExpired);
    }

    #[test]
    fn another_key_is_refused() {
        let now = Utc::now();
        let token = keys()
            .issue_access(Uuid::now_v7(), Role::Admin, 0, now)
            .unwrap();
        let other = TokenKeys::new(&[8u8; 32], Duration::minutes(15), Duration::days(14));
        assert_eq!(
            other.decode_access(&token, now).unwrap_err().code(),
            ErrorCode::InvalidToken
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, hash_a) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(hash_refresh_token(&a), hash_a);
        assert_eq!(hash_a.len(), 32);
    }
}
