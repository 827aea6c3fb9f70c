//! Leads: every way in (manual entry, web-form intake, import) with dedupe and gap-filling,
//! scoped reads, data edits and the timeline.

use chrono::{DateTime, Utc};
use diesel::Connection;
use diesel::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crypto::Vault;
use crate::db::models::{Lead, LeadDataChanges, LeadEvent, LeadTouch, Notification};
use crate::domain::custom_field::{FieldDef, FieldType, merge, normalise};
use crate::domain::lead::{CleanLead, LeadState, SourceChannel};
use crate::domain::page::{Cursor, Limit, next_cursor};
use crate::domain::role::Role;
use crate::error::{AppError, FieldError};
use crate::repo;
use crate::repo::leads::{ContactColumn, LeadFilter, LeadScope};

pub const PHONE: &str = "phone";
pub const EMAIL: &str = "email";
pub const WECHAT: &str = "wechat";
pub const IDENTITY: &str = "identity";
/// Purpose of encrypted raw submissions (touch payloads, intake records).
pub const PAYLOAD: &str = "payload";

/// How a lead came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Manual,
    Intake,
    Import,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Manual => "manual",
            Via::Intake => "intake",
            Via::Import => "import",
        }
    }
}

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
            .map(|p| vault.blind_index(PHONE, p.as_str())),
        email: lead
            .email
            .as_ref()
            .map(|e| vault.blind_index(EMAIL, e.as_str())),
        wechat: lead.wechat.as_ref().map(|w| vault.blind_index(WECHAT, w)),
        identity: lead.identity_key().map(|k| vault.blind_index(IDENTITY, &k)),
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
        state: LeadState::Pooled.as_str().into(),
        stage: None,
        owner_id: None,
        name: l.name.clone(),
        company: l.company.clone(),
        phone_enc: l
            .phone
            .as_ref()
            .map(|p| vault.encrypt_str(PHONE, p.as_str())),
        phone_bidx: k.phone.clone(),
        email_enc: l
            .email
            .as_ref()
            .map(|e| vault.encrypt_str(EMAIL, e.as_str())),
        email_bidx: k.email.clone(),
        wechat_enc: l.wechat.as_ref().map(|w| vault.encrypt_str(WECHAT, w)),
        wechat_bidx: k.wechat.clone(),
        identity_bidx: k.identity.clone(),
        province: l.province.clone(),
        city: l.city.clone(),
        industry: l.industry.clone(),
        company_size: l.company_size.clone(),
        needs: l.needs.clone(),
        grade: l.grade.map(|g| g.as_str().to_string()),
        source_channel: channel.as_str().into(),
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
    kind: &str,
    actor_id: Option<Uuid>,
    details: Value,
    now: DateTime<Utc>,
) -> LeadEvent {
    LeadEvent {
        id: Uuid::now_v7(),
        lead_id,
        kind: kind.into(),
        actor_id,
        details,
        created_at: now,
    }
}

/// Brings a submission in: a new lead, or (when an open lead has the same phone, email, WeChat id
/// or company + name) a touch on that lead that fills its empty fields and tells its owner. Manual
/// entry of a duplicate writes nothing and reports it. Concurrent submissions of the same person
/// create one lead: the unique indexes decide, not a prior read.
pub fn submit(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    sub: Submission,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    if !sub.lead.is_identifiable() {
        return Err(AppError::validation(
            "phone",
            "no_contact",
            "a lead needs a phone, email or WeChat id, or both company and name",
        ));
    }
    let custom = merge(defs, &Map::new(), &sub.lead.custom, true).map_err(custom_errors)?;
    let pool_id = match sub.pool_id {
        Some(id) => {
            repo::pools::find(conn, id)?.ok_or_else(|| {
                AppError::validation("pool_id", "not_found", "no pool has this id")
            })?;
            id
        }
        None => super::pools::route_lead(
            conn,
            Some(sub.lead.source_channel.unwrap_or(sub.default_channel)),
            sub.lead.province.as_deref(),
            sub.lead.industry.as_deref(),
        )?
        .ok_or(AppError::Rule {
            code: "no_pool",
            detail: "no pool's routing matches this lead and there is no default pool".into(),
        })?,
    };
    let k = keys(vault, &sub.lead);
    let channel = sub.lead.source_channel.unwrap_or(sub.default_channel);
    let row = Lead {
        created_by: sub.actor_id,
        import_id: sub.import_id,
        ..pooled_lead(vault, &sub.lead, &k, pool_id, channel, custom.clone(), now)
    };

    // Insert-or-find, a few times: the matching lead may be closed between our two statements.
    let mut try_insert = !sub.known_duplicate;
    for _ in 0..3 {
        let created = if try_insert {
            repo::leads::insert_if_new(conn, &row)?
        } else {
            None
        };
        try_insert = true;
        if let Some(created) = created {
            repo::leads::insert_event(
                conn,
                &event(
                    created.id,
                    "created",
                    sub.actor_id,
                    json!({"via": sub.via.as_str(), "source_channel": channel.as_str(), "pool_id": pool_id}),
                    now,
                ),
            )?;
            return Ok(Outcome::Created(created));
        }
        let existing = repo::leads::find_open_duplicate(
            conn,
            k.phone.as_deref(),
            k.email.as_deref(),
            k.wechat.as_deref(),
            k.identity.as_deref(),
        )?;
        let Some(existing) = existing else { continue };
        if sub.via == Via::Manual {
            return Ok(Outcome::Duplicate(existing));
        }
        let (lead, filled, writes) =
            merge_submission(conn, vault, &existing, &sub, &k, &custom, now)?;
        writes.insert(conn)?;
        return Ok(Outcome::Merged { lead, filled });
    }
    Err(AppError::Conflict {
        code: "concurrent_update",
        detail: "the matching lead changed while this submission was stored; retry".into(),
    })
}

/// What a submission merged into an open lead writes besides the lead: a touch, a timeline entry
/// and, when someone owns the lead, a notification.
#[derive(Default)]
struct MergeWrites {
    touches: Vec<LeadTouch>,
    events: Vec<LeadEvent>,
    notifications: Vec<Notification>,
}

impl MergeWrites {
    fn append(&mut self, other: MergeWrites) {
        self.touches.extend(other.touches);
        self.events.extend(other.events);
        self.notifications.extend(other.notifications);
    }

    fn insert(self, conn: &mut PgConnection) -> Result<(), AppError> {
        repo::leads::insert_touches(conn, &self.touches)?;
        repo::leads::insert_events(conn, &self.events)?;
        repo::lifecycle::insert_notifications(conn, &self.notifications)?;
        Ok(())
    }
}

/// Merges `sub` into `existing`, an open lead the caller has locked: fills its gaps and returns
/// the lead after, the fields filled, and the rows that record the touch.
fn merge_submission(
    conn: &mut PgConnection,
    vault: &Vault,
    existing: &Lead,
    sub: &Submission,
    k: &Keys,
    custom: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(Lead, Vec<String>, MergeWrites), AppError> {
    let (lead, filled) = merge_into(conn, vault, existing, &sub.lead, k, custom, now)?;
    let channel = sub.lead.source_channel.unwrap_or(sub.default_channel);
    let mut writes = MergeWrites::default();
    writes.touches.push(LeadTouch {
        id: Uuid::now_v7(),
        lead_id: lead.id,
        via: sub.via.as_str().into(),
        source_channel: channel.as_str().into(),
        source_detail: sub.lead.source_detail.clone(),
        actor_id: sub.actor_id,
        payload_enc: vault.encrypt(PAYLOAD, sub.payload.to_string().as_bytes()),
        filled_fields: filled.clone(),
        created_at: now,
        intake_source_id: sub.intake_source_id,
        import_id: sub.import_id,
    });
    writes.events.push(event(
        lead.id,
        "touched",
        sub.actor_id,
        json!({"via": sub.via.as_str(), "source_channel": channel.as_str(), "filled": filled}),
        now,
    ));
    if let Some(owner) = lead.owner_id {
        writes.notifications.push(Notification {
            id: Uuid::now_v7(),
            user_id: owner,
            kind: "duplicate_touch".into(),
            lead_id: Some(lead.id),
            message: format!(
                "A new {} submission ({}) matched your lead {}",
                sub.via.as_str(),
                channel.as_str(),
                lead.company
                    .as_deref()
                    .or(lead.name.as_deref())
                    .unwrap_or("(unnamed)")
            ),
            read_at: None,
            created_at: now,
        });
    }
    Ok((lead, filled, writes))
}

/// Merges many submissions, each already refused by the unique indexes (an open lead has one of
/// its keys), in order: the same as `submit` one by one, with the matching leads found and
/// locked in one statement and the touches, timeline entries and notifications written in bulk.
/// A submission whose lead is no longer open goes through `submit`.
pub fn merge_many(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    subs: Vec<Submission>,
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, AppError> {
    let keyed: Vec<(Submission, Keys)> = subs
        .into_iter()
        .map(|sub| {
            let k = keys(vault, &sub.lead);
            (sub, k)
        })
        .collect();
    let column = |pick: fn(&Keys) -> &Option<Vec<u8>>| -> Vec<Vec<u8>> {
        keyed.iter().filter_map(|(_, k)| pick(k).clone()).collect()
    };
    let mut leads = repo::leads::lock_open_with_keys(
        conn,
        &column(|k| &k.phone),
        &column(|k| &k.email),
        &column(|k| &k.wechat),
        &column(|k| &k.identity),
    )?;
    // Key → position in `leads`, one map per column, kept up to date as merges fill keys.
    let mut index: [std::collections::HashMap<Vec<u8>, usize>; 4] = Default::default();
    let lead_keys = |lead: &Lead| {
        [
            lead.phone_bidx.clone(),
            lead.email_bidx.clone(),
            lead.wechat_bidx.clone(),
            lead.identity_bidx.clone(),
        ]
    };
    for (at, lead) in leads.iter().enumerate() {
        for (map, key) in index.iter_mut().zip(lead_keys(lead)) {
            if let Some(key) = key {
                map.insert(key, at);
            }
        }
    }
    let mut outcomes = Vec::with_capacity(keyed.len());
    let mut writes = MergeWrites::default();
    for (sub, k) in keyed {
        let wanted = [&k.phone, &k.email, &k.wechat, &k.identity];
        let found = index
            .iter()
            .zip(wanted)
            .find_map(|(map, key)| key.as_ref().and_then(|key| map.get(key)).copied());
        let Some(at) = found else {
            outcomes.push(submit(conn, vault, defs, sub, now)?);
            continue;
        };
        if sub.via == Via::Manual {
            outcomes.push(Outcome::Duplicate(leads[at].clone()));
            continue;
        }
        let custom = merge(defs, &Map::new(), &sub.lead.custom, true).map_err(custom_errors)?;
        let (lead, filled, written) =
            merge_submission(conn, vault, &leads[at], &sub, &k, &custom, now)?;
        writes.append(written);
        for (map, key) in index.iter_mut().zip(lead_keys(&lead)) {
            if let Some(key) = key {
                map.insert(key, at);
            }
        }
        leads[at] = lead.clone();
        outcomes.push(Outcome::Merged { lead, filled });
    }
    writes.insert(conn)?;
    Ok(outcomes)
}

/// Fills the empty fields of `existing` from `new`. A contact value that another open lead
/// already has is not copied (it would make the two leads duplicates of each other).
fn merge_into(
    conn: &mut PgConnection,
    vault: &Vault,
    existing: &Lead,
    new: &CleanLead,
    k: &Keys,
    new_custom: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(Lead, Vec<String>), AppError> {
    let mut changes = LeadDataChanges::default();
    let mut filled: Vec<String> = Vec::new();
    macro_rules! fill_text {
        ($field:ident) => {
            if existing.$field.is_none() {
                if let Some(value) = &new.$field {
                    changes.$field = Some(Some(value.clone()));
                    filled.push(stringify!($field).to_string());
                }
            }
        };
    }
    fill_text!(name);
    fill_text!(company);
    fill_text!(province);
    fill_text!(city);
    fill_text!(industry);
    fill_text!(company_size);
    fill_text!(needs);
    fill_text!(source_detail);
    if existing.grade.is_none() {
        if let Some(grade) = new.grade {
            changes.grade = Some(Some(grade.as_str().into()));
            filled.push("grade".into());
        }
    }
    let free =
        |conn: &mut PgConnection, column: ContactColumn, key: &[u8]| -> Result<bool, AppError> {
            Ok(repo::leads::open_lead_with(conn, column, key, existing.id)?.is_none())
        };
    if existing.phone_bidx.is_none() {
        if let (Some(phone), Some(key)) = (&new.phone, &k.phone) {
            if free(conn, ContactColumn::Phone, key)? {
                changes.phone_enc = Some(Some(vault.encrypt_str(PHONE, phone.as_str())));
                changes.phone_bidx = Some(Some(key.clone()));
                filled.push("phone".into());
            }
        }
    }
    if existing.email_bidx.is_none() {
        if let (Some(email), Some(key)) = (&new.email, &k.email) {
            if free(conn, ContactColumn::Email, key)? {
                changes.email_enc = Some(Some(vault.encrypt_str(EMAIL, email.as_str())));
                changes.email_bidx = Some(Some(key.clone()));
                filled.push("email".into());
            }
        }
    }
    if existing.wechat_bidx.is_none() {
        if let (Some(wechat), Some(key)) = (&new.wechat, &k.wechat) {
            if free(conn, ContactColumn::Wechat, key)? {
                changes.wechat_enc = Some(Some(vault.encrypt_str(WECHAT, wechat)));
                changes.wechat_bidx = Some(Some(key.clone()));
                filled.push("wechat".into());
            }
        }
    }
    // Company + name identity, when the fill completes it.
    let company = existing.company.clone().or_else(|| new.company.clone());
    let name = existing.name.clone().or_else(|| new.name.clone());
    if existing.identity_bidx.is_none() {
        if let Some(identity) = company
            .zip(name)
            .and_then(|(c, n)| crate::domain::text::identity_key(&c, &n))
        {
            let key = vault.blind_index(IDENTITY, &identity);
            if free(conn, ContactColumn::Identity, &key)? {
                changes.identity_bidx = Some(Some(key));
            }
        }
    }
    let mut tags = existing.tags.clone();
    for tag in &new.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    if tags.len() != existing.tags.len() {
        changes.tags = Some(tags);
        filled.push("tags".into());
    }
    let mut custom = existing.custom.as_object().cloned().unwrap_or_default();
    let mut custom_filled = false;
    for (key, value) in new_custom {
        if !custom.contains_key(key) {
            custom.insert(key.clone(), value.clone());
            filled.push(format!("custom.{key}"));
            custom_filled = true;
        }
    }
    if custom_filled {
        changes.custom = Some(Value::Object(custom));
    }
    if filled.is_empty() && changes.identity_bidx.is_none() {
        return Ok((existing.clone(), filled));
    }
    changes.updated_at = Some(now);
    // A savepoint: should a concurrent writer take one of the contact values meanwhile, fill
    // without the contact fields rather than fail the submission.
    let attempt = conn.transaction(|c| repo::leads::update_data(c, existing.id, &changes));
    match attempt {
        Ok(lead) => Ok((lead, filled)),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            changes.phone_enc = None;
            changes.phone_bidx = None;
            changes.email_enc = None;
            changes.email_bidx = None;
            changes.wechat_enc = None;
            changes.wechat_bidx = None;
            changes.identity_bidx = None;
            filled.retain(|f| !matches!(f.as_str(), "phone" | "email" | "wechat"));
            let lead = repo::leads::update_data(conn, existing.id, &changes)?;
            Ok((lead, filled))
        }
        Err(other) => Err(other.into()),
    }
}

/// Whether `actor` may read (and edit the data of) `lead`: admins any lead; a salesperson the
/// leads they own; a manager the leads they or their teams' members own.
pub fn may_read(conn: &mut PgConnection, actor: &AuthUser, lead: &Lead) -> Result<bool, AppError> {
    may_read_owned_by(conn, actor, lead.owner_id)
}

/// Whether `actor` may read a lead owned by `owner` (`None`: nobody owns it), by role: an admin
/// reads every lead, a manager those of the people they manage, a salesperson their own.
pub fn may_read_owned_by(
    conn: &mut PgConnection,
    actor: &AuthUser,
    owner: Option<Uuid>,
) -> Result<bool, AppError> {
    Ok(match actor.role {
        Role::Admin => true,
        Role::Sales => owner == Some(actor.id),
        Role::Manager => match owner {
            Some(owner) => repo::users::is_managed_by(conn, owner, actor.id)?,
            None => false,
        },
    })
}

/// A lead `actor` may read; 404 otherwise (ids cannot be probed).
pub fn get(conn: &mut PgConnection, actor: &AuthUser, id: Uuid) -> Result<Lead, AppError> {
    let lead = repo::leads::find(conn, id)?.ok_or(AppError::NotFound)?;
    if may_read(conn, actor, &lead)? {
        Ok(lead)
    } else {
        Err(AppError::NotFound)
    }
}

/// Records that `actor`, who does not own `lead`, was shown its contact data in full (nothing is
/// recorded for the owner, or when the lead has no contact data).
pub fn record_reveal(
    conn: &mut PgConnection,
    actor: Uuid,
    lead: &Lead,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let fields: Vec<&str> = [
        (PHONE, &lead.phone_enc),
        (EMAIL, &lead.email_enc),
        (WECHAT, &lead.wechat_enc),
    ]
    .into_iter()
    .filter(|(_, stored)| stored.is_some())
    .map(|(name, _)| name)
    .collect();
    if lead.owner_id == Some(actor) || fields.is_empty() {
        return Ok(());
    }
    crate::service::audit::Audit::of(
        Some(actor),
        "lead.contact_revealed",
        "lead",
        Some(lead.id),
        now,
    )
    .lead(lead.id)
    .change(
        None,
        Some(serde_json::json!({"fields": fields, "owner_id": lead.owner_id, "state": lead.state})),
    )
    .write(conn)
}

/// The listing scope of a role.
pub fn scope_of(actor: &AuthUser) -> LeadScope {
    match actor.role {
        Role::Admin => LeadScope::All,
        Role::Manager => LeadScope::ManagedBy(actor.id),
        Role::Sales => LeadScope::OwnedBy(actor.id),
    }
}

/// A new encrypted contact value and its blind index (`None`, `None` clears the field).
type ContactChange = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A change to a lead's data, cleaned. `None` leaves a field; `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct LeadEdit {
    pub name: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub phone: Option<Option<crate::domain::phone::Phone>>,
    pub email: Option<Option<crate::domain::email::Email>>,
    pub wechat: Option<Option<String>>,
    pub province: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub company_size: Option<Option<String>>,
    pub needs: Option<Option<String>>,
    pub grade: Option<Option<crate::domain::lead::Grade>>,
    pub source_detail: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub custom: Option<Map<String, Value>>,
}

/// Edits data fields of a lead the actor may read. A contact value that another open lead has is
/// refused (409 `duplicate_lead`). The timeline records which fields changed; contact values are
/// never written there.
pub fn edit(
    conn: &mut PgConnection,
    vault: &Vault,
    defs: &[FieldDef],
    actor: &AuthUser,
    id: Uuid,
    edit: LeadEdit,
    now: DateTime<Utc>,
) -> Result<Lead, AppError> {
    let lead = repo::leads::find_for_update(conn, id)?.ok_or(AppError::NotFound)?;
    if !may_read(conn, actor, &lead)? {
        return Err(AppError::NotFound);
    }
    let mut changes = LeadDataChanges::default();
    let mut changed: Map<String, Value> = Map::new();
    let mut contact_changed: Vec<&str> = Vec::new();
    macro_rules! set_text {
        ($field:ident) => {
            if let Some(value) = edit.$field.clone() {
                if value != lead.$field {
                    changed.insert(stringify!($field).into(), json!({"from": lead.$field, "to": value}));
                    changes.$field = Some(value);
                }
            }
        };
    }
    set_text!(name);
    set_text!(company);
    set_text!(province);
    set_text!(city);
    set_text!(industry);
    set_text!(company_size);
    set_text!(needs);
    set_text!(source_detail);
    if let Some(grade) = edit.grade {
        let grade = grade.map(|g| g.as_str().to_string());
        if grade != lead.grade {
            changed.insert("grade".into(), json!({"from": lead.grade, "to": grade}));
            changes.grade = Some(grade);
        }
    }
    if let Some(tags) = edit.tags.clone() {
        if tags != lead.tags {
            changed.insert("tags".into(), json!({"from": lead.tags, "to": tags}));
            changes.tags = Some(tags);
        }
    }
    if let Some(input) = &edit.custom {
        let existing = lead.custom.as_object().cloned().unwrap_or_default();
        let merged = merge(defs, &existing, input, false).map_err(custom_errors)?;
        if merged != existing {
            changed.insert("custom".into(), json!({"from": existing, "to": merged}));
            changes.custom = Some(Value::Object(merged));
        }
    }
    let open = LeadState::Pooled.as_str() == lead.state || LeadState::Owned.as_str() == lead.state;
    let mut contact = |column: ContactColumn,
                       purpose: &'static str,
                       value: Option<Option<String>>,
                       current_bidx: &Option<Vec<u8>>|
     -> Result<Option<ContactChange>, AppError> {
        let Some(value) = value else { return Ok(None) };
        let bidx = value.as_ref().map(|v| vault.blind_index(purpose, v));
        if &bidx == current_bidx {
            return Ok(None);
        }
        if let (true, Some(key)) = (open, &bidx) {
            if let Some(other) = repo::leads::open_lead_with(conn, column, key, lead.id)? {
                return Err(duplicate(conn, actor, other, purpose)?);
            }
        }
        contact_changed.push(purpose);
        Ok(Some((value.map(|v| vault.encrypt_str(purpose, &v)), bidx)))
    };
    if let Some((enc, bidx)) = contact(
        ContactColumn::Phone,
        PHONE,
        edit.phone.map(|p| p.map(|p| p.into_inner())),
        &lead.phone_bidx,
    )? {
        changes.phone_enc = Some(enc);
        changes.phone_bidx = Some(bidx);
    }
    if let Some((enc, bidx)) = contact(
        ContactColumn::Email,
        EMAIL,
        edit.email.map(|e| e.map(|e| e.into_inner())),
        &lead.email_bidx,
    )? {
        changes.email_enc = Some(enc);
        changes.email_bidx = Some(bidx);
    }
    if let Some((enc, bidx)) = contact(
        ContactColumn::Wechat,
        WECHAT,
        edit.wechat.clone(),
        &lead.wechat_bidx,
    )? {
        changes.wechat_enc = Some(enc);
        changes.wechat_bidx = Some(bidx);
    }
    // Company + name identity follows the new values.
    let company = changes.company.clone().unwrap_or(lead.company.clone());
    let name = changes.name.clone().unwrap_or(lead.name.clone());
    let identity = company
        .as_deref()
        .zip(name.as_deref())
        .and_then(|(c, n)| crate::domain::text::identity_key(c, n))
        .map(|k| vault.blind_index(IDENTITY, &k));
    if identity != lead.identity_bidx {
        if let (true, Some(key)) = (open, &identity) {
            if let Some(other) =
                repo::leads::open_lead_with(conn, ContactColumn::Identity, key, lead.id)?
            {
                return Err(duplicate(conn, actor, other, "company and name")?);
            }
        }
        changes.identity_bidx = Some(identity);
    }
    // Still reachable or identifiable afterwards?
    let has = |change: &Option<Option<Vec<u8>>>, current: &Option<Vec<u8>>| match change {
        Some(v) => v.is_some(),
        None => current.is_some(),
    };
    let identifiable = has(&changes.phone_bidx, &lead.phone_bidx)
        || has(&changes.email_bidx, &lead.email_bidx)
        || has(&changes.wechat_bidx, &lead.wechat_bidx)
        || (company.is_some() && name.is_some());
    if !identifiable {
        return Err(AppError::validation(
            "phone",
            "no_contact",
            "a lead needs a phone, email or WeChat id, or both company and name",
        ));
    }
    if changed.is_empty() && contact_changed.is_empty() {
        return Ok(lead);
    }
    changes.updated_at = Some(now);
    let updated = repo::leads::update_data(conn, lead.id, &changes).map_err(|err| match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict {
            code: "duplicate_lead",
            detail: "another open lead got the same contact details at the same time".into(),
        },
        other => other.into(),
    })?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            "updated",
            Some(actor.id),
            json!({"changed": changed, "contact_changed": contact_changed}),
            now,
        ),
    )?;
    Ok(updated)
}

/// 409 `duplicate_lead`, naming the other lead only if the caller may read it.
pub fn duplicate(
    conn: &mut PgConnection,
    actor: &AuthUser,
    other: Uuid,
    what: &str,
) -> Result<AppError, AppError> {
    let visible = match repo::leads::find(conn, other)? {
        Some(lead) => may_read(conn, actor, &lead)?,
        None => false,
    };
    Ok(AppError::DuplicateLead {
        detail: format!("another open lead has the same {what}"),
        existing_lead_id: visible.then_some(other),
    })
}

/// Turns `custom.<key>=<value>` filters into JSON objects the `custom` column must contain.
fn custom_filters(
    defs: &[(FieldDef, bool)],
    pairs: Vec<(String, String)>,
) -> Result<Vec<Value>, AppError> {
    let mut out = Vec::new();
    for (key, text) in pairs {
        let field = format!("custom.{key}");
        let Some((def, _)) = defs.iter().find(|(d, _)| d.key == key) else {
            return Err(AppError::validation(
                field,
                "unknown_field",
                "is not a custom field",
            ));
        };
        let value = match def.field_type {
            FieldType::MultiSelect => normalise(def, &Value::Array(vec![Value::String(text)])),
            _ => normalise(def, &Value::String(text)),
        }
        .map_err(|(code, message)| AppError::validation(field.clone(), code, message))?;
        let mut object = Map::new();
        object.insert(key, value);
        out.push(Value::Object(object));
    }
    Ok(out)
}

/// A page of the leads in `scope` (see [`scope_of`]), with the active custom field definitions.
#[allow(clippy::type_complexity)]
pub fn list(
    conn: &mut PgConnection,
    scope: LeadScope,
    mut filter: LeadFilter,
    custom_pairs: Vec<(String, String)>,
    cursor: Option<Cursor>,
    newest_first: bool,
    limit: Limit,
) -> Result<(Vec<Lead>, Vec<(FieldDef, bool)>, Option<String>), AppError> {
    let defs = super::lead_fields::active_defs(conn)?;
    filter.custom = custom_filters(&defs, custom_pairs)?;
    if filter.q_pattern.is_some() {
        filter.q_custom_keys = defs
            .iter()
            .filter(|(d, searchable)| *searchable && d.field_type == FieldType::Text)
            .map(|(d, _)| d.key.clone())
            .collect();
    }
    let mut rows = repo::leads::list(
        conn,
        &scope,
        &filter,
        cursor.map(|c| c.0),
        newest_first,
        limit.get() + 1,
    )?;
    let next = next_cursor(&mut rows, limit, |l| l.id);
    Ok((rows, defs, next))
}

/// Every lead of a listing, page by page (keyset, in one transaction): `each` gets a page and
/// the active custom fields, and says whether to go on (a client that went away stops it).
pub fn export(
    conn: &mut PgConnection,
    scope: LeadScope,
    filter: LeadFilter,
    custom_pairs: Vec<(String, String)>,
    newest_first: bool,
    mut each: impl FnMut(Vec<Lead>, &[(FieldDef, bool)]) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    let mut cursor = None;
    loop {
        let (rows, defs, next) = list(
            conn,
            scope.clone(),
            filter.clone(),
            custom_pairs.clone(),
            cursor,
            newest_first,
            crate::domain::page::EXPORT_PAGE,
        )?;
        if !each(rows, &defs)? {
            return Ok(());
        }
        match next {
            Some(next) => cursor = Some(Cursor::decode(&next).map_err(AppError::internal)?),
            None => return Ok(()),
        }
    }
}

/// A page of the timeline of a lead `actor` may read, oldest first.
pub fn timeline(
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
    cursor: Option<Cursor>,
    limit: Limit,
) -> Result<(Vec<LeadEvent>, Option<String>), AppError> {
    get(conn, actor, id)?;
    let mut rows = repo::leads::events(conn, id, cursor.map(|c| c.0), limit.get() + 1)?;
    let next = next_cursor(&mut rows, limit, |e| e.id);
    Ok((rows, next))
}
