//! What an integrator sends: one lead or a batch, read loosely and checked item by item, and
//! the headers that say who sends it (the source's token) and how to replay it (`Idempotency-Key`).

use super::*;
use crate::error::ErrorCode;

/// Most leads in one batch.
pub const MAX_BATCH: usize = 500;

/// One lead from a web form. Field values are cleaned like every way in; invalid ones are
/// reported per field. Unknown fields are refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeLead {
    #[schema(example = "张伟")]
    pub name: Option<String>,
    pub company: Option<String>,
    #[schema(example = "138 1234 5678")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    /// `A` to `D` (any case).
    #[schema(value_type = Option<crate::domain::lead::Grade>)]
    pub grade: Option<String>,
    /// Overrides the source's channel (any case).
    #[schema(value_type = Option<crate::domain::lead::SourceChannel>)]
    pub source_channel: Option<String>,
    /// E.g. the landing page or campaign.
    pub source_detail: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = HashMap<String, crate::dto::shapes::CustomValue>)]
    pub custom: Map<String, Value>,
    /// Pass through the value of a hidden form field that people never see; bots fill it in, and
    /// such submissions go to quarantine.
    pub honeypot: Option<String>,
}

/// Several leads at once (at most 500).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeBatch {
    /// Each item is an `IntakeLead`, checked on its own: an item that is not one (a wrong type,
    /// an unknown field) is answered `invalid` with its errors, and the others are still stored.
    #[schema(min_items = 1, max_items = 500, value_type = Vec<IntakeLead>)]
    pub leads: Vec<IntakeLead>,
}

/// One lead, or `{"leads": [...]}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum IntakeRequest {
    Batch(IntakeBatch),
    One(Box<IntakeLead>),
}

/// Any JSON document (checked by hand afterwards).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct AnyJson(pub(super) Value);

impl Validate for AnyJson {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

/// Parses the body: one lead, or `{"leads": [...]}` of 1 to `MAX_BATCH` leads that fits the
/// source's per-minute limit (each lead counts, so a batch that could never fit is refused as
/// such rather than told to retry). A batch's items parse one by one.
pub(super) fn parse_push(body: &Value, source: &IntakeSource) -> Result<Push, AppError> {
    match body.as_object() {
        Some(object) if object.contains_key("leads") => {
            if object.len() != 1 {
                return Err(AppError::validation(
                    "body",
                    "unknown_field",
                    "a batch has only `leads`",
                ));
            }
            let Some(items) = object["leads"].as_array() else {
                return Err(AppError::validation(
                    "leads",
                    "invalid_type",
                    "must be an array of leads",
                ));
            };
            if items.is_empty() || items.len() > MAX_BATCH {
                return Err(AppError::validation(
                    "leads",
                    "out_of_range",
                    format!("must hold 1 to {MAX_BATCH} leads"),
                ));
            }
            let limit = usize::try_from(source.rate_limit_per_minute).unwrap_or(0);
            if items.len() > limit {
                return Err(AppError::validation(
                    "leads",
                    "out_of_range",
                    format!("this source may send {limit} leads a minute: send smaller batches"),
                ));
            }
            // Item errors are prefixed with `leads[i]` when the batch answer is built.
            Ok(Push::Batch(
                items.iter().map(|v| parse_item(v, "")).collect(),
            ))
        }
        Some(_) => Ok(Push::One(Box::new(
            parse_item(body, "").map_err(AppError::Validation)?,
        ))),
        None => Err(AppError::validation(
            "body",
            "invalid_type",
            "must be a lead object or {\"leads\": [...]}",
        )),
    }
}

/// Parses one item of the body into an intake item; errors carry the item's path.
pub(super) fn parse_item(value: &Value, prefix: &str) -> Result<IntakeItem, Vec<FieldError>> {
    let lead: IntakeLead = serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let mut error = crate::routes::extract::field_error(&path, &err.into_inner().to_string());
        if !prefix.is_empty() {
            error.field = format!("{prefix}.{}", error.field);
        }
        vec![error]
    })?;
    Ok(IntakeItem {
        raw: RawLead {
            name: lead.name,
            company: lead.company,
            phone: lead.phone,
            email: lead.email,
            wechat: lead.wechat,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            grade: lead.grade,
            source_channel: lead.source_channel,
            source_detail: lead.source_detail,
            tags: lead.tags,
            custom: lead.custom,
        },
        honeypot: lead.honeypot,
        payload: value.clone(),
    })
}

pub(super) fn prefix_errors(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{prefix}.{}", e.field);
            e
        })
        .collect()
}

pub(super) fn bearer(req: &HttpRequest) -> Result<String, AppError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AppError::Unauthorized {
            code: ErrorCode::MissingToken,
            detail: "send Authorization: Bearer <intake source token>".into(),
        })?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| t.starts_with(service::intake::TOKEN_PREFIX))
        .ok_or(AppError::Unauthorized {
            code: ErrorCode::InvalidToken,
            detail: "not a valid intake source token".into(),
        })
}

pub(super) fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let text = value.to_str().ok().map(str::trim).unwrap_or("");
    if text.is_empty() || text.len() > 255 {
        return Err(AppError::validation(
            "Idempotency-Key",
            "invalid_format",
            "must be 1 to 255 visible ASCII characters (e.g. a UUID)",
        ));
    }
    Ok(Some(text.to_string()))
}
