//! Who may read a lead, reading one (and recording a reveal), and the caller's lead scope.

use super::*;

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
        (Purpose::Phone, &lead.phone_enc),
        (Purpose::Email, &lead.email_enc),
        (Purpose::Wechat, &lead.wechat_enc),
    ]
    .into_iter()
    .filter(|(_, stored)| stored.is_some())
    .map(|(purpose, _)| purpose.label())
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

/// Turns `custom.<key>=<value>` filters into JSON objects the `custom` column must contain.
pub(super) fn custom_filters(
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
    let defs = crate::service::lead_fields::active_defs(conn)?;
    filter.custom = custom_filters(&defs, custom_pairs)?;
    if filter.q_pattern.is_some() {
        filter.q_custom_keys = defs
            .iter()
            .filter(|(d, searchable)| *searchable && d.field_type == FieldType::Text)
            .map(|(d, _)| d.key.clone())
            .collect();
    }
    let (rows, next) = fetch_page(
        limit,
        cursor,
        |after, n| repo::leads::list(conn, &scope, &filter, after, newest_first, n),
        |l| l.id,
    )?;
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
    Ok(crate::domain::page::fetch_page(
        limit,
        cursor,
        |after, n| repo::leads::events(conn, id, after, n),
        |e| e.id,
    )?)
}
