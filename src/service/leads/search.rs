//! The search filter of a lead listing, built from what the caller asked: free text becomes a
//! LIKE pattern, or, when it reads as a phone number, email or WeChat id, that value's blind index
//! (contact data is never searched as text).

use chrono::{DateTime, Utc};

use crate::crypto::{Purpose, Vault};
use crate::domain::lead::{Grade, SourceChannel};
use crate::error::AppError;
use crate::repo::leads::{LeadColumn, LeadFilter};

fn missing_columns(text: &str) -> Result<Vec<LeadColumn>, AppError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            Ok(match name {
                "name" => LeadColumn::Name,
                "company" => LeadColumn::Company,
                "phone" => LeadColumn::Phone,
                "email" => LeadColumn::Email,
                "wechat" => LeadColumn::Wechat,
                "province" => LeadColumn::Province,
                "city" => LeadColumn::City,
                "industry" => LeadColumn::Industry,
                "company_size" => LeadColumn::CompanySize,
                "needs" => LeadColumn::Needs,
                "grade" => LeadColumn::Grade,
                other => {
                    return Err(AppError::validation(
                        "missing",
                        "invalid_value",
                        format!("{other:?} is not a field that can be missing"),
                    ));
                }
            })
        })
        .collect()
}

/// The filters every lead listing shares (the lead list and the pool view).
pub struct FilterInput<'a> {
    pub source: Option<SourceChannel>,
    pub industry: Option<&'a str>,
    pub grade: Option<Grade>,
    pub province: Option<&'a str>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    pub q: Option<&'a str>,
    pub missing: Option<&'a str>,
}

pub fn build_filter(vault: &Vault, input: FilterInput) -> Result<LeadFilter, AppError> {
    let missing = input
        .missing
        .map(missing_columns)
        .transpose()?
        .unwrap_or_default();
    let q = input.q.and_then(crate::domain::text::clean);
    let q_phone = q
        .as_deref()
        .and_then(|t| crate::domain::phone::Phone::parse(t).ok());
    let q_email = q
        .as_deref()
        .and_then(|t| crate::domain::email::Email::parse(t).ok());
    Ok(LeadFilter {
        state: None,
        stage: None,
        pool_id: None,
        owner_id: None,
        source_channel: input.source,
        industry: input.industry.and_then(crate::domain::text::clean),
        grade: input.grade,
        province: input.province.and_then(crate::domain::text::clean),
        created_from: input.created_from,
        created_to: input.created_to,
        updated_from: input.updated_from,
        updated_to: input.updated_to,
        // A phone number or email is looked up by its blind index only, never sent as text.
        q_pattern: q
            .as_deref()
            .filter(|_| q_phone.is_none() && q_email.is_none())
            .map(crate::repo::like_pattern),
        q_phone: q_phone.map(|p| vault.blind_index(Purpose::Phone, p.as_str())),
        q_email: q_email.map(|e| vault.blind_index(Purpose::Email, e.as_str())),
        q_wechat: q
            .as_deref()
            .and_then(|t| crate::domain::lead::clean_wechat(t).ok().flatten())
            .map(|w| vault.blind_index(Purpose::Wechat, &w)),
        q_custom_keys: Vec::new(),
        missing,
        custom: Vec::new(),
    })
}
