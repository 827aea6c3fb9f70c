//! What an integrator is told: per lead created, merged or quarantined, and one status for the answer.

use super::*;

/// What became of a submitted lead.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IntakeStatus {
    /// A new lead in a pool.
    Created,
    /// The same person as an open lead: recorded on it as a touch, filling its empty fields.
    Merged,
    /// Suspect (honeypot, empty, disposable email, placeholder, link spam): held for an admin.
    Quarantined,
    /// Not stored; see `errors`.
    Invalid,
}

/// The answer for one lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeResult {
    pub status: IntakeStatus,
    /// The lead created or merged into. Omitted when the status is `quarantined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
    /// The quarantine entry. Omitted when the status is not `quarantined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_id: Option<Uuid>,
}

/// The answer for one lead of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeItemResult {
    /// Position in `leads`.
    pub index: usize,
    pub status: IntakeStatus,
    /// The lead created or merged into. Omitted when the status is `quarantined` or `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<Uuid>,
    /// The quarantine entry. Omitted when the status is not `quarantined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarantine_id: Option<Uuid>,
    /// Why the lead was not stored. Omitted when the status is not `invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// A 200 answer: one merged lead, or a batch's results.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // documents the two shapes of a 200; each is built as itself
pub enum IntakeOk {
    One(IntakeResult),
    Batch(IntakeBatchResult),
}

/// The answer for a batch: every lead's result, and the counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeBatchResult {
    pub results: Vec<IntakeItemResult>,
    pub created: usize,
    pub merged: usize,
    pub quarantined: usize,
    pub invalid: usize,
}

pub(super) fn json_response(status: u16, body: &Value, replayed: bool) -> HttpResponse {
    let status =
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK);
    let mut res = HttpResponse::build(status);
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(body)
}

/// The answer to what became of a request's leads: one lead's result, or the batch's.
pub(super) fn render(pushed: Pushed) -> Result<(u16, Value), AppError> {
    match pushed {
        Pushed::One(result) => single_answer(result),
        Pushed::Batch(results) => batch_answer(results),
    }
}

pub(super) fn single_answer(result: ItemResult) -> Result<(u16, Value), AppError> {
    let (status, body) = match result {
        ItemResult::Created(id) => (
            201,
            IntakeResult {
                status: IntakeStatus::Created,
                lead_id: Some(id),
                quarantine_id: None,
            },
        ),
        ItemResult::Merged(id) => (
            200,
            IntakeResult {
                status: IntakeStatus::Merged,
                lead_id: Some(id),
                quarantine_id: None,
            },
        ),
        ItemResult::Quarantined(id) => (
            202,
            IntakeResult {
                status: IntakeStatus::Quarantined,
                lead_id: None,
                quarantine_id: Some(id),
            },
        ),
        ItemResult::Invalid(errors) => return Err(AppError::Validation(errors)),
    };
    Ok((
        status,
        serde_json::to_value(body).map_err(AppError::internal)?,
    ))
}

/// Counts what an answer says became of its leads (one lead's `status`, or a batch's counts).
pub(super) fn count_outcomes(state: &AppState, answer: &Value) {
    if answer.get("results").is_some() {
        for outcome in ["created", "merged", "quarantined", "invalid"] {
            let n = answer[outcome].as_u64().unwrap_or(0);
            state.metrics.intake(outcome, n);
        }
    } else if let Some(status) = answer["status"].as_str() {
        state.metrics.intake(status, 1);
    }
}

pub(super) fn batch_answer(results: Vec<ItemResult>) -> Result<(u16, Value), AppError> {
    let mut out = IntakeBatchResult {
        results: Vec::new(),
        created: 0,
        merged: 0,
        quarantined: 0,
        invalid: 0,
    };
    for (index, result) in results.into_iter().enumerate() {
        let mut item = IntakeItemResult {
            index,
            status: IntakeStatus::Invalid,
            lead_id: None,
            quarantine_id: None,
            errors: None,
        };
        match result {
            ItemResult::Created(id) => {
                out.created += 1;
                item.status = IntakeStatus::Created;
                item.lead_id = Some(id);
            }
            ItemResult::Merged(id) => {
                out.merged += 1;
                item.status = IntakeStatus::Merged;
                item.lead_id = Some(id);
            }
            ItemResult::Quarantined(id) => {
                out.quarantined += 1;
                item.status = IntakeStatus::Quarantined;
                item.quarantine_id = Some(id);
            }
            ItemResult::Invalid(errors) => {
                out.invalid += 1;
                item.errors = Some(prefix_errors(errors, &format!("leads[{index}]")));
            }
        }
        out.results.push(item);
    }
    Ok((200, serde_json::to_value(out).map_err(AppError::internal)?))
}
