//! A submission that duplicates an open lead fills its gaps and touches it instead (one or many).

use super::*;

/// What a submission merged into an open lead writes besides the lead: a touch, a timeline entry
/// and, when someone owns the lead, a notification.
#[derive(Default)]
pub(super) struct MergeWrites {
    pub(super) touches: Vec<LeadTouch>,
    pub(super) events: Vec<LeadEvent>,
    pub(super) notifications: Vec<Notification>,
}

impl MergeWrites {
    fn append(&mut self, other: MergeWrites) {
        self.touches.extend(other.touches);
        self.events.extend(other.events);
        self.notifications.extend(other.notifications);
    }

    pub(super) fn insert(self, conn: &mut PgConnection) -> Result<(), AppError> {
        repo::leads::insert_touches(conn, &self.touches)?;
        repo::leads::insert_events(conn, &self.events)?;
        repo::lifecycle::insert_notifications(conn, &self.notifications)?;
        Ok(())
    }
}

/// Merges `sub` into `existing`, an open lead the caller has locked: fills its gaps and returns
/// the lead after, the fields filled, and the rows that record the touch.
pub(super) fn merge_submission(
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
        via: sub.via,
        source_channel: channel,
        source_detail: sub.lead.source_detail.clone(),
        actor_id: sub.actor_id,
        payload_enc: vault.encrypt(Purpose::Payload, sub.payload.to_string().as_bytes()),
        filled_fields: filled.clone(),
        created_at: now,
        intake_source_id: sub.intake_source_id,
        import_id: sub.import_id,
    });
    writes.events.push(event(
        lead.id,
        crate::domain::event::LeadEventKind::Touched,
        sub.actor_id,
        json!({"via": sub.via.as_str(), "source_channel": channel.as_str(), "filled": filled}),
        now,
    ));
    if let Some(owner) = lead.owner_id {
        writes.notifications.push(Notification {
            id: Uuid::now_v7(),
            user_id: owner,
            kind: crate::domain::event::NotificationKind::DuplicateTouch,
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
pub(super) fn merge_into(
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
            changes.grade = Some(Some(grade));
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
                changes.phone_enc = Some(Some(vault.encrypt_str(Purpose::Phone, phone.as_str())));
                changes.phone_bidx = Some(Some(key.clone()));
                filled.push("phone".into());
            }
        }
    }
    if existing.email_bidx.is_none() {
        if let (Some(email), Some(key)) = (&new.email, &k.email) {
            if free(conn, ContactColumn::Email, key)? {
                changes.email_enc = Some(Some(vault.encrypt_str(Purpose::Email, email.as_str())));
                changes.email_bidx = Some(Some(key.clone()));
                filled.push("email".into());
            }
        }
    }
    if existing.wechat_bidx.is_none() {
        if let (Some(wechat), Some(key)) = (&new.wechat, &k.wechat) {
            if free(conn, ContactColumn::Wechat, key)? {
                changes.wechat_enc = Some(Some(vault.encrypt_str(Purpose::Wechat, wechat)));
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
            let key = vault.blind_index(Purpose::Identity, &identity);
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
