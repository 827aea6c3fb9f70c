//! A new lead by any way in: cleaned, deduplicated against the open leads, routed to its pool.

use super::*;
use crate::error::ErrorCode;

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
        None => crate::service::routing::route_lead(
            conn,
            Some(sub.lead.source_channel.unwrap_or(sub.default_channel)),
            sub.lead.province.as_deref(),
            sub.lead.industry.as_deref(),
        )?
        .ok_or(AppError::Rule {
            code: ErrorCode::NoPool,
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
                    crate::domain::event::LeadEventKind::Created,
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
        code: ErrorCode::ConcurrentUpdate,
        detail: "the matching lead changed while this submission was stored; retry".into(),
    })
}
