//! Recording a follow-up: the timeline entry, the stage it moves to (a won lead converts,
//! a lost one goes back or closes) and the hold's recycle state.

use super::*;

/// A follow-up to record.
#[derive(Debug, Clone)]
pub struct NewFollowUp {
    pub type_: FollowUpType,
    pub content: String,
    pub feedback: Option<String>,
    pub outcome: Option<String>,
    pub stage: Option<Stage>,
    pub next_follow_up_at: Option<DateTime<Utc>>,
    pub corrects_id: Option<Uuid>,
}

/// Records a follow-up on an owned lead (its owner; the owner's manager or an admin too, who
/// alone may move the stage back). A stage of `won` converts the lead; `lost` sends it back to its
/// pool (or closes it when the rules say `lost_leads: close`). The recycle time is recomputed in
/// the same transaction.
pub fn follow_up(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    input: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<(FollowUp, Lead), AppError> {
    let lead = lead_for_update(conn, actor, lead_id)?;
    let is_owner = lead.owner_id == Some(actor.id);
    let is_manager = manages_owner(conn, actor, &lead)?;
    if lead.state == crate::domain::lead::LeadState::Converted && lead.owner_id.is_some() {
        return customer_follow_up(conn, actor, lead, is_owner || is_manager, input, now);
    }
    if lead.state != crate::domain::lead::LeadState::Owned {
        return Err(not_owned(&lead));
    }
    if !is_owner && !is_manager {
        return Err(AppError::Forbidden);
    }
    check_times_and_correction(conn, lead.id, &input, now)?;
    let current = lead.stage.unwrap_or(Stage::New);
    let rank = |s: Stage| Stage::ALL.iter().position(|x| *x == s).unwrap_or(0);
    let new_stage = input.stage.filter(|s| *s != current);
    if let Some(stage) = new_stage {
        let backward = rank(stage) < rank(current) && !matches!(stage, Stage::Lost);
        if backward && !is_manager {
            return Err(AppError::Rule {
                code: ErrorCode::StageBackward,
                detail: format!(
                    "the stage moves forward only ({current} → {stage}); a manager may move it back"
                ),
            });
        }
    }
    let (rules, _) = pool_rules(conn, lead.pool_id.ok_or(AppError::NotFound)?)?;
    let claim = repo::claims::open_for_lead(conn, lead.id)?;
    let stages = new_stage.map(|stage| (current, stage));
    let record = write(
        conn,
        actor,
        &lead,
        claim.as_ref().map(|c| c.id),
        &input,
        stages,
        now,
    )?;
    match new_stage {
        Some(Stage::Won) => {
            let (lead, _) = end_hold(
                conn,
                &lead,
                ClaimEnd::Converted,
                Some(actor.id),
                After::Converted,
                json!({"follow_up_id": record.id}),
                now,
            )?;
            return Ok((record, lead));
        }
        Some(Stage::Lost) => {
            let pool = lead.pool_id.ok_or(AppError::NotFound)?;
            let (reason, after) = if rules.lost_leads == crate::domain::rules::LostLeads::Close {
                (ClaimEnd::Closed, After::Closed)
            } else {
                (ClaimEnd::Released, After::Pool(pool))
            };
            // A closed lead keeps its last stage: lost.
            let lost = Lead {
                stage: Some(Stage::Lost),
                ..lead.clone()
            };
            let (lead, _) = end_hold(
                conn,
                &lost,
                reason,
                Some(actor.id),
                after,
                json!({"follow_up_id": record.id, "stage": "lost"}),
                now,
            )?;
            return Ok((record, lead));
        }
        _ => {}
    }
    let advanced = new_stage.is_some_and(|s| rank(s) > rank(current));
    let mut changes = HoldChanges {
        stage: new_stage.map(Some),
        last_follow_up_at: Some(Some(now)),
        follow_ups_since_progress: Some(if advanced || new_stage.is_some() {
            0
        } else {
            lead.follow_ups_since_progress + 1
        }),
        next_follow_up_at: Some(input.next_follow_up_at),
        updated_at: Some(now),
        ..HoldChanges::default()
    };
    let hold = Hold {
        stage: new_stage.unwrap_or(current),
        claimed_at: lead.claimed_at.unwrap_or(now),
        from_pool: lead.claimed_from_pool,
        last_follow_up_at: Some(now),
        follow_ups_since_progress: i64::from(changes.follow_ups_since_progress.unwrap_or(0)),
    };
    recycle_changes(&lead, &hold, &rules, &mut changes);
    let updated = repo::lifecycle::update_hold(conn, lead.id, &changes)?;
    Ok((record, updated))
}

/// One page of a lead's follow-ups, newest first, for whoever may read the lead.
pub fn lead_follow_ups(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead_id: Uuid,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<FollowUp>, AppError> {
    crate::service::leads::get(conn, actor, lead_id)?;
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::lifecycle::follow_ups_of_lead(conn, lead_id, after, n),
        |f| f.id,
    )?)
}

/// One page of follow-ups, newest first: salespeople their own, managers their teams', admins
/// all.
pub fn list_follow_ups(
    conn: &mut PgConnection,
    actor: &AuthUser,
    filter: &FollowUpFilter,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<FollowUp>, AppError> {
    let (only, managed) = match actor.role {
        Role::Admin => (None, None),
        Role::Manager => (None, Some(actor.id)),
        Role::Sales => (Some(actor.id), None),
    };
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::lifecycle::follow_ups(conn, only, managed, filter, after, n),
        |f| f.id,
    )?)
}

/// A follow-up on a customer (a converted lead): an after-sale visit, a renewal call. Its owner
/// (or the owner's manager, or an admin) records it; it belongs to no hold, moves no stage (a
/// customer stays `won`) and leaves the lead row as it is.
fn customer_follow_up(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead: Lead,
    allowed: bool,
    input: NewFollowUp,
    now: DateTime<Utc>,
) -> Result<(FollowUp, Lead), AppError> {
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if input.stage.is_some_and(|s| s != Stage::Won) {
        return Err(AppError::validation(
            "stage",
            "not_allowed",
            "a customer stays won; to give it up, a manager closes it",
        ));
    }
    check_times_and_correction(conn, lead.id, &input, now)?;
    let record = write(conn, actor, &lead, None, &input, None, now)?;
    Ok((record, lead))
}

/// A planned next follow-up must be in the future, and a correction must name a follow-up of the
/// same lead.
fn check_times_and_correction(
    conn: &mut PgConnection,
    lead_id: Uuid,
    input: &NewFollowUp,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if input.next_follow_up_at.is_some_and(|at| at <= now) {
        return Err(AppError::validation(
            "next_follow_up_at",
            "not_in_future",
            "the next follow-up must be in the future",
        ));
    }
    if let Some(corrects) = input.corrects_id {
        if repo::lifecycle::find_follow_up(conn, corrects)?.is_none_or(|f| f.lead_id != lead_id) {
            return Err(AppError::validation(
                "corrects_id",
                "not_found",
                "no follow-up of this lead has this id",
            ));
        }
    }
    Ok(())
}

/// Stores the follow-up (in the hold `claim_id`, moving the stage `from → to` when given) and its
/// timeline entry.
fn write(
    conn: &mut PgConnection,
    actor: &AuthUser,
    lead: &Lead,
    claim_id: Option<Uuid>,
    input: &NewFollowUp,
    stages: Option<(Stage, Stage)>,
    now: DateTime<Utc>,
) -> Result<FollowUp, AppError> {
    let record = FollowUp {
        id: Uuid::now_v7(),
        lead_id: lead.id,
        claim_id,
        user_id: actor.id,
        type_: input.type_,
        content: input.content.clone(),
        feedback: input.feedback.clone(),
        outcome: input.outcome.clone(),
        stage_from: stages.map(|(from, _)| from),
        stage_to: stages.map(|(_, to)| to),
        next_follow_up_at: input.next_follow_up_at,
        corrects_id: input.corrects_id,
        created_at: now,
    };
    repo::lifecycle::insert_follow_up(conn, &record)?;
    let mut details = json!({"follow_up_id": record.id, "type": record.type_,
                             "stage_from": record.stage_from, "stage_to": record.stage_to,
                             "corrects_id": record.corrects_id});
    if lead.state == crate::domain::lead::LeadState::Converted {
        details["customer"] = json!(true);
    }
    repo::leads::insert_event(
        conn,
        &event(
            lead.id,
            crate::domain::event::LeadEventKind::FollowUp,
            Some(actor.id),
            details,
            now,
        ),
    )?;
    Ok(record)
}
