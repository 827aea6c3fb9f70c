//! The recycle sweep (set-wise: a batch of due leads per transaction) and its warnings.

use super::*;

/// What one sweep did.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// (lead, former owner, reason)
    pub recycled: Vec<(Uuid, Option<Uuid>, ClaimEnd)>,
    pub warned: usize,
}

/// Returns up to `batch` due leads to their pools (each exactly once, whatever runs at the same
/// time: due leads are locked with `SKIP LOCKED` and re-checked), then warns owners of leads due
/// within their pool's `warn_before_recycle_hours`.
pub fn sweep_batch(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<SweepReport, AppError> {
    let mut report = SweepReport::default();
    // The sweep's work is recomputed from stored state: should the server crash before this
    // commit reaches the disk, the same leads are simply due again. So it need not wait for the
    // flush, and leaves the disk to the claims and follow-ups that must.
    diesel::RunQueryDsl::execute(
        diesel::sql_query("SET LOCAL synchronous_commit = off"),
        conn,
    )?;
    let due: Vec<Lead> = repo::lifecycle::due_for_update(conn, now, batch)?
        .into_iter()
        .filter(|l| l.recycle_reason.is_some() && l.pool_id.is_some())
        .collect();
    if due.is_empty() {
        return Ok(report);
    }
    // Set-wise: one statement ends the claims, one returns the leads, one closes pending requests;
    // the timeline, audit trail and notifications are inserted in bulk.
    // The leads first, then their claims (the order every transaction keeps; see `end_hold`).
    let ids: Vec<Uuid> = due.iter().map(|l| l.id).collect();
    let reasons: Vec<&str> = due
        .iter()
        .map(|l| l.recycle_reason.map_or("", ClaimEnd::as_str))
        .collect();
    repo::lifecycle::return_many(conn, &ids, now)?;
    let ended: std::collections::HashMap<Uuid, repo::lifecycle::EndedClaim> =
        repo::lifecycle::end_recycled_claims(conn, &ids, &reasons, now)?
            .into_iter()
            .map(|c| (c.lead_id, c))
            .collect();
    let mut events = Vec::with_capacity(due.len() * 2);
    for approval in repo::lifecycle::obsolete_pending_many(conn, &ids, now)? {
        events.push(event(
            approval.lead_id,
            crate::domain::event::LeadEventKind::ApprovalObsolete,
            None,
            json!({"approval_id": approval.id, "kind": approval.kind}),
            now,
        ));
    }
    let mut audits = Vec::with_capacity(due.len());
    let mut notes = Vec::with_capacity(due.len());
    for lead in &due {
        let reason: ClaimEnd = lead
            .recycle_reason
            .ok_or_else(|| AppError::internal("a due lead without a recycle reason"))?;
        let claim = ended.get(&lead.id);
        events.push(event(
            lead.id,
            crate::domain::event::LeadEventKind::ClaimEnded,
            None,
            json!({"reason": reason.as_str(), "claim_id": claim.map(|c| c.claim_id),
                   "user_id": lead.owner_id, "to_state": "pooled", "to_pool_id": lead.pool_id,
                   "recycle_at": lead.recycle_at}),
            now,
        ));
        audits.push(
            Audit::of(
                None,
                &format!("lead.{}", reason.as_str()),
                "claim",
                Some(claim.map_or(lead.id, |c| c.claim_id)),
                now,
            )
            .lead(lead.id)
            .change(
                Some(json!({"state": "owned", "owner_id": lead.owner_id, "pool_id": lead.pool_id})),
                Some(json!({"state": "pooled", "owner_id": null, "pool_id": lead.pool_id})),
            )
            .into_entry(),
        );
        if let Some(owner) = lead.owner_id {
            notes.push(Notification {
                id: Uuid::now_v7(),
                user_id: owner,
                kind: crate::domain::event::NotificationKind::Recycled,
                lead_id: Some(lead.id),
                message: format!(
                    "The lead {} went back to its pool ({})",
                    lead_label(lead),
                    reason.as_str()
                ),
                read_at: None,
                created_at: now,
            });
        }
        report.recycled.push((lead.id, lead.owner_id, reason));
    }
    repo::leads::insert_events(conn, &events)?;
    repo::audit::insert_many(conn, &audits)?;
    repo::lifecycle::insert_notifications(conn, &notes)?;
    Ok(report)
}

/// Warns owners of up to `limit` leads per pool due back within their pool's warning window (once
/// per recycle time): one statement marks a pool's leads, and the notifications and timeline
/// entries are inserted in bulk. Returns how many were warned; the sweep calls it again, in a
/// new transaction, until a call warns fewer than `limit` in every pool.
pub fn warn(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<Warned, AppError> {
    let mut warned = Warned::default();
    for pool in repo::pools::all(conn)? {
        let (rules, _) = pool_rules(conn, pool.id)?;
        let horizon = now + Duration::hours(rules.warn_before_recycle_hours);
        let mut notes = Vec::new();
        let mut events = Vec::new();
        let marked = repo::lifecycle::mark_warned(conn, pool.id, horizon, now, limit)?;
        warned.more |= marked.len() as i64 == limit;
        for lead in marked {
            let (Some(owner), Some(at)) = (lead.owner_id, lead.recycle_at) else {
                continue;
            };
            notes.push(Notification {
                id: Uuid::now_v7(),
                user_id: owner,
                kind: crate::domain::event::NotificationKind::RecycleWarning,
                lead_id: Some(lead.id),
                message: format!(
                    "The lead {} goes back to the pool at {at} ({}) unless you follow up",
                    lead_label(&lead),
                    lead.recycle_reason.map_or("", ClaimEnd::as_str)
                ),
                read_at: None,
                created_at: now,
            });
            events.push(event(
                lead.id,
                crate::domain::event::LeadEventKind::RecycleWarning,
                None,
                json!({"recycle_at": at, "reason": lead.recycle_reason}),
                now,
            ));
        }
        warned.count += notes.len();
        repo::lifecycle::insert_notifications(conn, &notes)?;
        repo::leads::insert_events(conn, &events)?;
    }
    Ok(warned)
}

/// What one call of [`warn`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Warned {
    pub count: usize,
    /// Some pool had more to warn than the call's limit.
    pub more: bool,
}

/// One recorded sweep run.
pub fn sweep_run(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<crate::repo::sweeps::SweepRun, AppError> {
    repo::sweeps::find(conn, id)?.ok_or(AppError::NotFound)
}
