//! Leads: every way in (manual entry, web-form intake, import) with dedupe and gap-filling,
//! scoped reads, data edits and the timeline.

mod edit;
mod merge;
mod read;
mod search;
mod submit;

pub use edit::*;
pub use merge::*;
pub use read::*;
pub use search::{FilterInput, build_filter};
pub use submit::*;

use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crypto::Purpose;
use crate::crypto::Vault;
use crate::db::models::{Lead, LeadDataChanges, LeadEvent, LeadTouch, Notification};
use crate::domain::custom_field::{FieldDef, FieldType, merge, normalise};
use crate::domain::lead::{CleanLead, LeadState, SourceChannel};
use crate::domain::page::{Cursor, Limit, fetch_page};
use crate::domain::role::Role;
use crate::error::{AppError, FieldError};
use crate::repo;
use crate::repo::leads::{ContactColumn, LeadFilter, LeadScope};

pub use crate::domain::lead::Via;

/// A cleaned submission and where it came from.
#[derive(Debug, Clone)]
pub struct Submission {
    pub lead: CleanLead,
    /// An explicit pool; otherwise routing decides.
    pub pool_id: Option<Uuid>,
    pub via: Via,
    pub actor_id: Option<Uuid>,
    /// The intake source, for web-form submissions.
    pub intake_source_id: Option<Uuid>,
    /// The import, for rows of a file.
    pub import_id: Option<Uuid>,
    /// The caller already tried to insert it and an open lead had one of its keys: go straight
    /// to finding that lead.
    pub known_duplicate: bool,
    /// Channel when the submission names none (an intake source's channel, `import`).
    pub default_channel: SourceChannel,
    /// The submission as received, kept encrypted on a touch.
    pub payload: Value,
}

/// What a submission came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A new lead.
    Created(Lead),
    /// An existing open lead matched: the submission became a touch and filled its gaps.
    Merged { lead: Lead, filled: Vec<String> },
    /// Manual entry only: an existing open lead matched and nothing was written.
    Duplicate(Lead),
}

/// The blind indexes of a cleaned lead.
pub(crate) struct Keys {
    pub phone: Option<Vec<u8>>,
    pub email: Option<Vec<u8>>,
    pub wechat: Option<Vec<u8>>,
    pub identity: Option<Vec<u8>>,
}

pub(crate) fn keys(vault: &Vault, lead: &CleanLead) -> Keys {
    Keys {
        phone: lead
            .phone
            .as_ref()
            .map(|p| vault.blind_index(Purpose::Phone, p.as_str())),
        email: lead
            .email
            .as_ref()
            .map(|e| vault.blind_index(Purpose::Email, e.as_str())),
        wechat: lead
            .wechat
            .as_ref()
            .map(|w| vault.blind_index(Purpose::Wechat, w)),
        identity: lead
            .identity_key()
            .map(|k| vault.blind_index(Purpose::Identity, &k)),
    }
}

/// A new lead in `pool_id` made of a cleaned lead, its contact data encrypted and its blind
/// indexes `k`; nobody created it and no import brought it until the caller says so.
pub(crate) fn pooled_lead(
    vault: &Vault,
    l: &CleanLead,
    k: &Keys,
    pool_id: Uuid,
    channel: SourceChannel,
    custom: Map<String, Value>,
    now: DateTime<Utc>,
) -> Lead {
    Lead {
        id: Uuid::now_v7(),
        pool_id: Some(pool_id),
        state: LeadState::Pooled,
        stage: None,
        owner_id: None,
        name: l.name.clone(),
        company: l.company.clone(),
        phone_enc: l
            .phone
            .as_ref()
            .map(|p| vault.encrypt_str(Purpose::Phone, p.as_str())),
        phone_bidx: k.phone.clone(),
        email_enc: l
            .email
            .as_ref()
            .map(|e| vault.encrypt_str(Purpose::Email, e.as_str())),
        email_bidx: k.email.clone(),
        wechat_enc: l
            .wechat
            .as_ref()
            .map(|w| vault.encrypt_str(Purpose::Wechat, w)),
        wechat_bidx: k.wechat.clone(),
        identity_bidx: k.identity.clone(),
        province: l.province.clone(),
        city: l.city.clone(),
        industry: l.industry.clone(),
        company_size: l.company_size.clone(),
        needs: l.needs.clone(),
        grade: l.grade,
        source_channel: channel,
        source_detail: l.source_detail.clone(),
        tags: l.tags.clone(),
        custom: Value::Object(custom),
        created_by: None,
        created_at: now,
        updated_at: now,
        import_id: None,
        claimed_at: None,
        claimed_from_pool: false,
        last_follow_up_at: None,
        follow_ups_since_progress: 0,
        next_follow_up_at: None,
        recycle_at: None,
        recycle_reason: None,
        recycle_warned_at: None,
    }
}

fn custom_errors(errors: Vec<(String, &'static str, String)>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|(key, code, message)| FieldError::new(format!("custom.{key}"), code, message))
            .collect(),
    )
}

/// A timeline entry of a lead.
pub(crate) fn event(
    lead_id: Uuid,
    kind: crate::domain::event::LeadEventKind,
    actor_id: Option<Uuid>,
    details: Value,
    now: DateTime<Utc>,
) -> LeadEvent {
    LeadEvent {
        id: Uuid::now_v7(),
        lead_id,
        kind,
        actor_id,
        details,
        created_at: now,
    }
}
