//! Data edits of a lead, and the duplicate check on changed contact data.

use super::*;
use crate::error::ErrorCode;

/// A new encrypted contact value and its blind index (`None`, `None` clears the field).
pub(super) type ContactChange = (Option<Vec<u8>>, Option<Vec<u8>>);

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
    let open = lead.state.is_open();
    let mut contact = |column: ContactColumn,
                       purpose: Purpose,
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
                return Err(duplicate(conn, actor, other, purpose.label())?);
            }
        }
        contact_changed.push(purpose.label());
        Ok(Some((value.map(|v| vault.encrypt_str(purpose, &v)), bidx)))
    };
    if let Some((enc, bidx)) = contact(
        ContactColumn::Phone,
        Purpose::Phone,
        edit.phone.map(|p| p.map(|p| p.into_inner())),
        &lead.phone_bidx,
    )? {
        changes.phone_enc = Some(enc);
        changes.phone_bidx = Some(bidx);
    }
    if let Some((enc, bidx)) = contact(
        ContactColumn::Email,
        Purpose::Email,
        edit.email.map(|e| e.map(|e| e.into_inner())),
        &lead.email_bidx,
    )? {
        changes.email_enc = Some(enc);
        changes.email_bidx = Some(bidx);
    }
    if let Some((enc, bidx)) = contact(
        ContactColumn::Wechat,
        Purpose::Wechat,
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
        .map(|k| vault.blind_index(Purpose::Identity, &k));
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
            code: ErrorCode::DuplicateLead,
            detail: "another open lead got the same contact details at the same time".into(),
        },
        other => other.into(),
    })?;
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::Updated,
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
