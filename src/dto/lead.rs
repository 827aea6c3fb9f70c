//! How a lead is shown (by the lead routes, the pool view, claims and the lifecycle answers):
//! contact data masked unless revealed, custom fields limited to the active ones; and the listing
//! parameters the lead list and the pool view share.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::crypto::{Purpose, Vault};
use crate::db::{self, models::Lead};
use crate::domain::custom_field::FieldDef;
use crate::domain::lead::{Grade, LeadState, SourceChannel, Stage};
use crate::domain::mask;
use crate::error::AppError;

/// Order of a lead listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// Most recently created first (default).
    #[default]
    Newest,
    Oldest,
}

/// A lead, as people who may read it see it: its contact data in full for its owner (and in the
/// answer that created it), masked for everyone else unless they ask `?reveal=contact`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadResponse {
    pub id: Uuid,
    /// The pool the lead is in, or returns to.
    pub pool_id: Option<Uuid>,
    pub state: LeadState,
    /// Pipeline stage while owned.
    pub stage: Option<Stage>,
    /// Who holds it: the owner of an `owned` lead, or of a `converted` one (their customer).
    pub owner_id: Option<Uuid>,
    /// Contact person.
    pub name: Option<String>,
    pub company: Option<String>,
    /// E.164, e.g. `+8613812345678`. Phone, email and WeChat id are in full for the lead's owner
    /// (and in the answer that created it); anyone else sees them masked (`138****5678`,
    /// `z***@example.com`, `w***3`) unless they ask `GET /leads/{id}?reveal=contact` (audited).
    pub phone: Option<String>,
    pub email: Option<String>,
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
    /// Values of the active custom fields, by key.
    #[schema(value_type = HashMap<String, crate::dto::shapes::CustomValue>)]
    pub custom: Map<String, Value>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// While owned: when the current hold started.
    pub claimed_at: Option<DateTime<Utc>>,
    /// While owned: the last follow-up of the current hold.
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// While owned: the planned next follow-up.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// While owned: when the lead goes back to its pool unless something happens first
    /// (`null`: no rule applies, e.g. an exempt stage).
    pub recycle_at: Option<DateTime<Utc>>,
    /// The rule behind `recycle_at`.
    pub recycle_reason: Option<crate::domain::claim::ClaimEnd>,
}

/// How much of a lead's contact data (phone, email, WeChat) an answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// In full: for the lead's creator in the creation answer, and for an audited reveal.
    Full,
    /// In full if this person owns the lead, else masked (`138****5678`): a manager or admin
    /// sees it in full only by asking (`?reveal=contact`), which the audit log records.
    ForViewer(Uuid),
}

impl Contact {
    fn full_for(self, lead: &Lead) -> bool {
        match self {
            Contact::Full => true,
            Contact::ForViewer(viewer) => lead.owner_id == Some(viewer),
        }
    }
}

/// A lead as an answer to `viewer`, with the custom fields active now (read in a transaction of
/// its own).
pub async fn lead_response(
    state: &AppState,
    lead: Lead,
    viewer: Uuid,
) -> Result<LeadResponse, AppError> {
    let cache = state.field_defs.clone();
    let defs = db::connection(&state.pool, move |conn| cache.get(conn)).await?;
    lead_response_with(state, lead, viewer, &defs)
}

/// [`lead_response`] with the active field definitions already read.
pub fn lead_response_with(
    state: &AppState,
    lead: Lead,
    viewer: Uuid,
    defs: &[(crate::domain::custom_field::FieldDef, bool)],
) -> Result<LeadResponse, AppError> {
    LeadResponse::build(
        &state.vault,
        lead,
        &active_keys(defs),
        Contact::ForViewer(viewer),
    )
}

/// A stored contact value, decrypted and masked with `how`.
pub fn masked(
    vault: &Vault,
    purpose: Purpose,
    stored: Option<&Vec<u8>>,
    how: fn(&str) -> String,
) -> Result<Option<String>, AppError> {
    Ok(decrypt(vault, purpose, stored)?.map(|v| how(&v)))
}

pub fn decrypt(
    vault: &Vault,
    purpose: Purpose,
    stored: Option<&Vec<u8>>,
) -> Result<Option<String>, AppError> {
    stored
        .map(|bytes| vault.decrypt_string(purpose, bytes))
        .transpose()
        .map_err(|e| AppError::internal(format!("cannot decrypt a stored {purpose}: {e}")))
}

impl LeadResponse {
    pub fn build(
        vault: &Vault,
        lead: Lead,
        active_keys: &HashSet<String>,
        contact: Contact,
    ) -> Result<Self, AppError> {
        let full = contact.full_for(&lead);
        let shown = |purpose: Purpose, stored: Option<&Vec<u8>>, how: fn(&str) -> String| {
            if full {
                decrypt(vault, purpose, stored)
            } else {
                masked(vault, purpose, stored, how)
            }
        };
        let custom = lead
            .custom
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| active_keys.contains(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            phone: shown(Purpose::Phone, lead.phone_enc.as_ref(), mask::phone)?,
            email: shown(Purpose::Email, lead.email_enc.as_ref(), mask::email)?,
            wechat: shown(Purpose::Wechat, lead.wechat_enc.as_ref(), mask::wechat)?,
            state: lead.state,
            stage: lead.stage,
            grade: lead.grade,
            source_channel: lead.source_channel,
            custom,
            id: lead.id,
            pool_id: lead.pool_id,
            owner_id: lead.owner_id,
            name: lead.name,
            company: lead.company,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            source_detail: lead.source_detail,
            tags: lead.tags,
            created_by: lead.created_by,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            claimed_at: lead.claimed_at,
            last_follow_up_at: lead.last_follow_up_at,
            next_follow_up_at: lead.next_follow_up_at,
            recycle_at: lead.recycle_at,
            recycle_reason: lead.recycle_reason,
        })
    }
}

/// Splits `custom.<key>=<value>` pairs off a query string.
pub fn split_custom(query: &str) -> (String, Vec<(String, String)>) {
    let mut rest = form_urlencoded::Serializer::new(String::new());
    let mut custom = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.strip_prefix("custom.") {
            Some(field) => custom.push((field.to_string(), value.into_owned())),
            None => {
                rest.append_pair(&key, &value);
            }
        }
    }
    (rest.finish(), custom)
}

pub fn active_keys(defs: &[(FieldDef, bool)]) -> HashSet<String> {
    defs.iter().map(|(d, _)| d.key.clone()).collect()
}
