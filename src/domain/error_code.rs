//! The catalogue of error codes: every `code` a problem+json answer can carry, in one place. The
//! OpenAPI document lists them as the enum of `Problem.code`, and the API tests check that every
//! problem they receive carries one of them.

use super::text_enum::text_enum;

text_enum! {
    /// Stable snake_case error code clients can rely on (`Problem.code`).
    ErrorCode {
        // 400, 405, 408, 413, 415: the request itself.
        /// The body is not JSON (or not the multipart form an upload takes).
        MalformedBody = "malformed_body",
        /// The path is known but does not take this method (see `Allow`).
        MethodNotAllowed = "method_not_allowed",
        /// The body did not arrive within the client timeout.
        RequestTimeout = "request_timeout",
        /// The body is larger than the route's limit.
        PayloadTooLarge = "payload_too_large",
        /// The body is not in a media type the route takes.
        UnsupportedMediaType = "unsupported_media_type",
        // 401, 403, 404: who is asking.
        /// No access token was sent.
        MissingToken = "missing_token",
        /// The token is not valid (signature, kind, revoked, or an unknown intake source).
        InvalidToken = "invalid_token",
        /// The access token was revoked (sign-out, password change, role change or deactivation).
        TokenRevoked = "token_revoked",
        /// The access token has expired: refresh it.
        TokenExpired = "token_expired",
        /// Wrong email or password.
        InvalidCredentials = "invalid_credentials",
        /// The account is deactivated.
        AccountDisabled = "account_disabled",
        /// The refresh token is unknown, expired or revoked.
        InvalidRefreshToken = "invalid_refresh_token",
        /// A refresh token was used twice: its whole family is revoked.
        RefreshTokenReused = "refresh_token_reused",
        /// The caller's role may not do this.
        Forbidden = "forbidden",
        /// A browser page from an origin not allowed to call the API.
        OriginNotAllowed = "origin_not_allowed",
        /// Not there, or not for the caller's eyes.
        NotFound = "not_found",
        // 409: the current state.
        /// Conflicts with the current state.
        Conflict = "conflict",
        /// Another change to the same thing got in first: read it again and retry.
        ConcurrentUpdate = "concurrent_update",
        /// The lead already exists as an open lead (`existing_lead_id` when the caller may read it).
        DuplicateLead = "duplicate_lead",
        /// Another user has this email.
        EmailTaken = "email_taken",
        /// Another pool has this name.
        PoolNameTaken = "pool_name_taken",
        /// Another team has this name.
        TeamNameTaken = "team_name_taken",
        /// Another custom field has this key.
        FieldKeyTaken = "field_key_taken",
        /// The last active admin cannot be removed, demoted or deactivated.
        LastAdmin = "last_admin",
        /// The person still holds leads or customers: hand them over first
        /// (`POST /api/v1/users/{id}/hand-over`).
        HoldsLeads = "holds_leads",
        /// Someone else holds the lead.
        LeadAlreadyClaimed = "lead_already_claimed",
        /// The lead is converted or closed.
        LeadNotOpen = "lead_not_open",
        /// The lead is not owned (by the caller, where it must be).
        LeadNotOwned = "lead_not_owned",
        /// A release or transfer of this lead already waits for approval.
        ApprovalPending = "approval_pending",
        /// The request was already approved, rejected, cancelled or made obsolete.
        ApprovalAlreadyDecided = "approval_already_decided",
        /// The quarantined submission was already accepted or discarded.
        QuarantineAlreadyDecided = "quarantine_already_decided",
        /// A request with this `Idempotency-Key` is still running.
        IdempotencyKeyInProgress = "idempotency_key_in_progress",
        /// This instance no longer holds the job's lease (another took it over).
        LeaseLost = "lease_lost",
        // 422: the request is well-formed but refused.
        /// Fields are not valid: see `errors`.
        ValidationFailed = "validation_failed",
        /// The `Idempotency-Key` was used with another body.
        IdempotencyKeyReused = "idempotency_key_reused",
        /// No pool to put the lead in (none given, and no routing rule or default pool).
        NoPool = "no_pool",
        /// A stage may only move forward (except by a manager).
        StageBackward = "stage_backward",
        /// The pool's claim mode does not hand leads out this way.
        ClaimModeMismatch = "claim_mode_mismatch",
        /// The person holds as many leads as the quota allows.
        ClaimQuotaExceeded = "claim_quota_exceeded",
        /// The person made as many claims today as allowed.
        DailyClaimLimitReached = "daily_claim_limit_reached",
        /// The person is on leave.
        UserOnLeave = "user_on_leave",
        /// The person is deactivated.
        UserInactive = "user_inactive",
        /// The person held this lead before and the cooldown has not passed.
        ReclaimCooldown = "reclaim_cooldown",
        /// The person's tier may not take leads of this grade.
        GradeNotAllowed = "grade_not_allowed",
        /// The person is not a member of the pool.
        NotPoolMember = "not_pool_member",
        /// In a round-robin pool, it is someone else's turn.
        NotYourTurn = "not_your_turn",
        /// No pooled lead the person may take.
        PoolEmpty = "pool_empty",
        // 429, 500, 503.
        /// Too many requests for now: see `Retry-After`.
        RateLimited = "rate_limited",
        /// A concurrent transaction got in the way; nothing was stored: retry after `Retry-After`.
        RetryLater = "retry_later",
        /// The database is unavailable: retry after `Retry-After`.
        ServiceUnavailable = "service_unavailable",
        /// A bug or unexpected failure; the cause is logged, never answered.
        InternalError = "internal_error",
    }
}

/// Codes compare with their text (`err.code() == "lease_lost"`).
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_snake_case() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(*code));
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{code}"
            );
        }
    }
}
