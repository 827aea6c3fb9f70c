//! Row types: what the tables hold, as diesel reads and writes them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::approval::{ApprovalKind, ApprovalStatus};
use crate::domain::claim::{ClaimEnd, ClaimStart, DecisionKind, DecisionOutcome};
use crate::domain::custom_field::FieldType;
use crate::domain::event::{LeadEventKind, NotificationKind};
use crate::domain::follow_up::FollowUpType;
use crate::domain::import::{ImportEncoding, ImportStatus};
use crate::domain::lead::{Grade, LeadState, SourceChannel, Stage, Via};
use crate::domain::role::Role;
use crate::domain::suspicion::QuarantineStatus;

use super::schema::{
    approvals, audit_log, claim_decisions, claims, follow_ups, idempotency_keys, import_chunks,
    import_rejects, imports, intake_quarantine, intake_sources, lead_events, lead_fields,
    lead_touches, leads, notifications, pool_rule_versions, pools, refresh_tokens, teams, users,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub tier: Option<i32>,
    pub active: bool,
    pub on_leave_from: Option<DateTime<Utc>>,
    pub on_leave_until: Option<DateTime<Utc>>,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The tier was set by an admin (else it is computed by the tier policy).
    pub tier_pinned: bool,
    /// Access tokens issued below this version no longer work (raised by a password change, a
    /// deactivation, "sign out everywhere").
    pub token_version: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub team_id: Option<Uuid>,
    pub tier: Option<i32>,
    pub tier_pinned: bool,
    pub active: bool,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A partial update of a user; `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<Option<Uuid>>,
    pub tier: Option<Option<i32>>,
    pub tier_pinned: Option<bool>,
    pub active: Option<bool>,
    pub on_leave_from: Option<Option<DateTime<Utc>>>,
    pub on_leave_until: Option<Option<DateTime<Utc>>>,
    pub password_hash: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub manager_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The team this one sits below (departments nest).
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub manager_id: Option<Option<Uuid>>,
    pub parent_id: Option<Option<Uuid>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: Vec<u8>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = pools, check_for_backend(diesel::pg::Pg))]
pub struct Pool {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub is_default: bool,
    pub routing_priority: i32,
    pub routing: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The current rule set as stored (fields left out take their defaults).
    pub rules: serde_json::Value,
    pub rules_version: i32,
    /// Whether the teams below a member team are members too.
    pub member_sub_teams: bool,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = pools)]
pub struct PoolChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_default: Option<bool>,
    pub routing_priority: Option<i32>,
    pub routing: Option<serde_json::Value>,
    pub member_sub_teams: Option<bool>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_fields, check_for_backend(diesel::pg::Pg))]
pub struct LeadField {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub searchable: bool,
    pub position: i32,
    pub deleted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = lead_fields)]
pub struct LeadFieldChanges {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub searchable: Option<bool>,
    pub position: Option<i32>,
    pub deleted_at: Option<Option<DateTime<Utc>>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A lead row. Contact fields are encrypted (`*_enc`) with blind indexes (`*_bidx`).
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable, Insertable)]
#[diesel(table_name = leads, check_for_backend(diesel::pg::Pg))]
pub struct Lead {
    pub id: Uuid,
    pub pool_id: Option<Uuid>,
    pub state: LeadState,
    pub stage: Option<Stage>,
    pub owner_id: Option<Uuid>,
    pub name: Option<String>,
    pub company: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_bidx: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub email_bidx: Option<Vec<u8>>,
    pub wechat_enc: Option<Vec<u8>>,
    pub wechat_bidx: Option<Vec<u8>>,
    pub identity_bidx: Option<Vec<u8>>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<Grade>,
    pub source_channel: SourceChannel,
    pub source_detail: Option<String>,
    pub tags: Vec<String>,
    pub custom: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub import_id: Option<Uuid>,
    /// The current hold (owned leads): when it started and whether from a pool.
    #[diesel(skip_insertion)]
    pub claimed_at: Option<DateTime<Utc>>,
    #[diesel(skip_insertion)]
    pub claimed_from_pool: bool,
    #[diesel(skip_insertion)]
    pub last_follow_up_at: Option<DateTime<Utc>>,
    #[diesel(skip_insertion)]
    pub follow_ups_since_progress: i32,
    #[diesel(skip_insertion)]
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// When the lead goes back to its pool unless something happens first, and why.
    #[diesel(skip_insertion)]
    pub recycle_at: Option<DateTime<Utc>>,
    #[diesel(skip_insertion)]
    pub recycle_reason: Option<ClaimEnd>,
    #[diesel(skip_insertion)]
    pub recycle_warned_at: Option<DateTime<Utc>>,
}

/// A change to a lead's data fields (never its ownership). `Some(None)` clears a field.
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = leads)]
pub struct LeadDataChanges {
    pub name: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub phone_enc: Option<Option<Vec<u8>>>,
    pub phone_bidx: Option<Option<Vec<u8>>>,
    pub email_enc: Option<Option<Vec<u8>>>,
    pub email_bidx: Option<Option<Vec<u8>>>,
    pub wechat_enc: Option<Option<Vec<u8>>>,
    pub wechat_bidx: Option<Option<Vec<u8>>>,
    pub identity_bidx: Option<Option<Vec<u8>>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub company_size: Option<Option<String>>,
    pub needs: Option<Option<String>>,
    pub grade: Option<Option<Grade>>,
    pub source_detail: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub custom: Option<serde_json::Value>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_touches, check_for_backend(diesel::pg::Pg))]
pub struct LeadTouch {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub via: Via,
    pub source_channel: SourceChannel,
    pub source_detail: Option<String>,
    pub actor_id: Option<Uuid>,
    pub payload_enc: Vec<u8>,
    pub filled_fields: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub intake_source_id: Option<Uuid>,
    pub import_id: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = lead_events, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct LeadEvent {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub kind: LeadEventKind,
    pub actor_id: Option<Uuid>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = notifications, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub kind: NotificationKind,
    pub lead_id: Option<Uuid>,
    pub message: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = intake_sources, check_for_backend(diesel::pg::Pg))]
pub struct IntakeSource {
    pub id: Uuid,
    pub name: String,
    pub channel: SourceChannel,
    pub rate_limit_per_minute: i32,
    pub token_hash: Vec<u8>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
pub struct IdempotencyKey {
    pub source_id: Uuid,
    pub key: String,
    pub request_hash: Vec<u8>,
    pub claim: Uuid,
    pub status: Option<i16>,
    pub response_enc: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = intake_quarantine, check_for_backend(diesel::pg::Pg))]
pub struct QuarantineEntry {
    pub id: Uuid,
    pub source_id: Uuid,
    pub payload_enc: Vec<u8>,
    pub reasons: Vec<String>,
    pub status: QuarantineStatus,
    pub lead_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = imports, check_for_backend(diesel::pg::Pg))]
pub struct Import {
    pub id: Uuid,
    pub uploaded_by: Uuid,
    pub dry_run: bool,
    pub status: ImportStatus,
    pub file_name: Option<String>,
    pub encoding: ImportEncoding,
    pub header: Vec<String>,
    pub mapping: serde_json::Value,
    pub pool_id: Option<Uuid>,
    pub source_channel: SourceChannel,
    pub rows_total: i32,
    pub rows_done: i32,
    pub created: i32,
    pub merged: i32,
    pub rejected: i32,
    pub duplicates_in_file: i32,
    pub duplicates_in_db: i32,
    pub chunks_total: i32,
    pub chunks_done: i32,
    pub lease_until: Option<DateTime<Utc>>,
    pub lease_token: Option<Uuid>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_chunks, check_for_backend(diesel::pg::Pg))]
pub struct ImportChunk {
    pub import_id: Uuid,
    pub seq: i32,
    pub first_row: i32,
    pub rows_enc: Vec<u8>,
    pub done: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = import_rejects, check_for_backend(diesel::pg::Pg))]
pub struct ImportReject {
    pub import_id: Uuid,
    pub row_no: i32,
    pub raw_enc: Vec<u8>,
    pub reason: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pool_rule_versions, check_for_backend(diesel::pg::Pg))]
pub struct RuleVersion {
    pub pool_id: Uuid,
    pub version: i32,
    pub rules: serde_json::Value,
    pub diff: serde_json::Value,
    pub changed_by: Option<Uuid>,
    pub changed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = claims, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct Claim {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub pool_id: Option<Uuid>,
    pub user_id: Uuid,
    pub started_at: DateTime<Utc>,
    pub started_day: chrono::NaiveDate,
    pub started_how: ClaimStart,
    pub started_by: Option<Uuid>,
    pub quota_override: bool,
    pub decision_id: Option<Uuid>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<ClaimEnd>,
    pub ended_by: Option<Uuid>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = claim_decisions, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct Decision {
    pub id: Uuid,
    pub kind: DecisionKind,
    pub pool_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    pub outcome: DecisionOutcome,
    pub chosen_user_id: Option<Uuid>,
    pub code: Option<crate::domain::error_code::ErrorCode>,
    pub candidates: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
// A `None` is bound as NULL (not DEFAULT), so every insert has the same SQL and stays prepared.
#[diesel(table_name = follow_ups, check_for_backend(diesel::pg::Pg), treat_none_as_default_value = false)]
pub struct FollowUp {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub claim_id: Option<Uuid>,
    pub user_id: Uuid,
    pub type_: FollowUpType,
    pub content: String,
    pub feedback: Option<String>,
    pub outcome: Option<String>,
    pub stage_from: Option<Stage>,
    pub stage_to: Option<Stage>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub corrects_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = approvals, check_for_backend(diesel::pg::Pg))]
pub struct Approval {
    pub id: Uuid,
    pub kind: ApprovalKind,
    pub lead_id: Uuid,
    pub claim_id: Uuid,
    pub requester_id: Uuid,
    pub status: ApprovalStatus,
    pub reason_code: Option<String>,
    pub note: Option<String>,
    pub to_pool_id: Option<Uuid>,
    pub to_user_id: Option<Uuid>,
    pub decided_by: Option<Uuid>,
    pub comment: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}
