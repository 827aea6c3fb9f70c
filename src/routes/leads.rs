//! `/leads`: manual entry, scoped reads and search, data edits, and the timeline.

use std::collections::HashSet;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams, parse_query};
use super::page_params;
use crate::AppState;
use crate::auth::AuthUser;
use crate::crypto::Vault;
use crate::db::{self, models::Lead, models::LeadEvent};
use crate::domain::custom_field::FieldDef;
use crate::domain::lead::{Grade, LeadState, RawLead, SourceChannel, Stage, clean_lead};
use crate::domain::mask;
use crate::error::{AppError, FieldError, Problem};
use crate::repo::leads::{LeadColumn, LeadFilter};
use crate::service::leads::{EMAIL, Outcome, PHONE, Submission, Via, WECHAT};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_leads)
        .service(create_lead)
        .service(get_lead)
        .service(update_lead)
        .service(lead_timeline);
}

super::page_type!(LeadPage, LeadResponse);
super::page_type!(TimelinePage, TimelineEntry);

/// A lead, with its contact data in full (only people who may read the lead see this).
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadResponse {
    pub id: Uuid,
    /// The pool the lead is in, or returns to.
    pub pool_id: Option<Uuid>,
    pub state: LeadState,
    /// Pipeline stage while owned.
    pub stage: Option<Stage>,
    pub owner_id: Option<Uuid>,
    /// Contact person.
    pub name: Option<String>,
    pub company: Option<String>,
    /// E.164, e.g. `+8613812345678`. Phone, email and WeChat id are in full for the lead's owner
    /// (and in the answer that created it); anyone else sees them masked (`138****5678`,
    /// `z***@example.com`, `w***3`) unless they ask `GET /leads/{id}?reveal=contact` (audited).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<Grade>,
    pub source_channel: SourceChannel,
    pub source_detail: Option<String>,
    pub tags: Vec<String>,
    /// Values of the active custom fields, by key.
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// While owned: when the current hold started.
    pub claimed_at: Option<DateTime<Utc>>,
    /// While owned: the last follow-up of the current hold.
    pub last_follow_up_at: Option<DateTime<Utc>>,
    /// While owned: the planned next follow-up.
    pub next_follow_up_at: Option<DateTime<Utc>>,
    /// While owned: when the lead goes back to its pool unless something happens first
    /// (`null`: no rule applies, e.g. an exempt stage).
    pub recycle_at: Option<DateTime<Utc>>,
    /// The rule behind `recycle_at`.
    pub recycle_reason: Option<crate::domain::claim::ClaimEnd>,
}

/// How much of a lead's contact data (phone, email, WeChat) an answer shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contact {
    /// In full: for the lead's creator in the creation answer, and for an audited reveal.
    Full,
    /// In full if this person owns the lead, else masked (`138****5678`): a manager or admin
    /// sees it in full only by asking (`?reveal=contact`), which the audit log records.
    ForViewer(Uuid),
}

impl Contact {
    fn full_for(self, lead: &Lead) -> bool {
        match self {
            Contact::Full => true,
            Contact::ForViewer(viewer) => lead.owner_id == Some(viewer),
        }
    }
}

/// A lead as an answer to `viewer`, with the custom fields active now (read in a transaction of
/// its own).
pub(crate) async fn lead_response(
    state: &AppState,
    lead: Lead,
    viewer: Uuid,
) -> Result<LeadResponse, AppError> {
    let cache = state.field_defs.clone();
    let defs = db::connection(&state.pool, move |conn| cache.get(conn)).await?;
    lead_response_with(state, lead, viewer, &defs)
}

/// [`lead_response`] with the active field definitions already read.
pub(crate) fn lead_response_with(
    state: &AppState,
    lead: Lead,
    viewer: Uuid,
    defs: &[(crate::domain::custom_field::FieldDef, bool)],
) -> Result<LeadResponse, AppError> {
    LeadResponse::build(
        &state.vault,
        lead,
        &active_keys(defs),
        Contact::ForViewer(viewer),
    )
}

/// A stored contact value, decrypted and masked with `how`.
pub(crate) fn masked(
    vault: &Vault,
    purpose: &str,
    stored: Option<&Vec<u8>>,
    how: fn(&str) -> String,
) -> Result<Option<String>, AppError> {
    Ok(decrypt(vault, purpose, stored)?.map(|v| how(&v)))
}

pub(crate) fn decrypt(
    vault: &Vault,
    purpose: &str,
    stored: Option<&Vec<u8>>,
) -> Result<Option<String>, AppError> {
    stored
        .map(|bytes| vault.decrypt_string(purpose, bytes))
        .transpose()
        .map_err(|e| AppError::internal(format!("cannot decrypt a stored {purpose}: {e}")))
}

pub(crate) fn parse_stored<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, AppError> {
    text.parse()
        .map_err(|_| AppError::internal(format!("unknown {what} {text:?} in the database")))
}

impl LeadResponse {
    pub fn build(
        vault: &Vault,
        lead: Lead,
        active_keys: &HashSet<String>,
        contact: Contact,
    ) -> Result<Self, AppError> {
        let full = contact.full_for(&lead);
        let shown = |purpose: &str, stored: Option<&Vec<u8>>, how: fn(&str) -> String| {
            if full {
                decrypt(vault, purpose, stored)
            } else {
                masked(vault, purpose, stored, how)
            }
        };
        let custom = lead
            .custom
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| active_keys.contains(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            phone: shown(PHONE, lead.phone_enc.as_ref(), mask::phone)?,
            email: shown(EMAIL, lead.email_enc.as_ref(), mask::email)?,
            wechat: shown(WECHAT, lead.wechat_enc.as_ref(), mask::wechat)?,
            state: parse_stored("state", &lead.state)?,
            stage: lead
                .stage
                .as_deref()
                .map(|s| parse_stored("stage", s))
                .transpose()?,
            grade: lead
                .grade
                .as_deref()
                .map(|g| parse_stored("grade", g))
                .transpose()?,
            source_channel: parse_stored("source channel", &lead.source_channel)?,
            custom,
            id: lead.id,
            pool_id: lead.pool_id,
            owner_id: lead.owner_id,
            name: lead.name,
            company: lead.company,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            source_detail: lead.source_detail,
            tags: lead.tags,
            created_by: lead.created_by,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
            claimed_at: lead.claimed_at,
            last_follow_up_at: lead.last_follow_up_at,
            next_follow_up_at: lead.next_follow_up_at,
            recycle_at: lead.recycle_at,
            recycle_reason: lead
                .recycle_reason
                .as_deref()
                .map(|r| parse_stored("recycle reason", r))
                .transpose()?,
        })
    }
}

/// A new lead entered by hand.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadRequest {
    /// Contact person.
    #[schema(example = "张伟")]
    pub name: Option<String>,
    #[schema(example = "上海星辰科技有限公司")]
    pub company: Option<String>,
    /// Chinese mobile or fixed line (with or without +86/0086, spaces, dashes), or +country code.
    #[schema(example = "138 1234 5678")]
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<Grade>,
    pub source_channel: SourceChannel,
    pub source_detail: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom: Map<String, Value>,
    /// Put the lead in this pool; otherwise the pools' routing (or the default pool) decides.
    pub pool_id: Option<Uuid>,
}

impl CreateLeadRequest {
    fn raw(&self) -> RawLead {
        RawLead {
            name: self.name.clone(),
            company: self.company.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            wechat: self.wechat.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            industry: self.industry.clone(),
            company_size: self.company_size.clone(),
            needs: self.needs.clone(),
            grade: self.grade.map(|g| g.as_str().to_string()),
            source_channel: Some(self.source_channel.as_str().to_string()),
            source_detail: self.source_detail.clone(),
            tags: self.tags.clone(),
            custom: self.custom.clone(),
        }
    }
}

/// Changes to a lead's data. Absent fields stay; `null` clears. Ownership, state, stage, pool and
/// source channel are not data: naming them is refused (422).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeadRequest {
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub wechat: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub province: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub company_size: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub needs: Option<Option<String>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<Grade>)]
    pub grade: Option<Option<Grade>>,
    #[serde(default, deserialize_with = "super::nullable")]
    #[schema(value_type = Option<String>)]
    pub source_detail: Option<Option<String>>,
    /// Replaces the tags.
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = Vec<String>)]
    pub tags: Option<Vec<String>>,
    /// Custom values to set (by key); `null` removes one.
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = Object)]
    pub custom: Option<Map<String, Value>>,
}

fn lead_errors(errors: Vec<(String, &'static str, String)>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|(f, c, m)| FieldError::new(f, c, m))
            .collect(),
    )
}

/// Cleans the edit: each given field like on the way in; a cleared value becomes `Some(None)`.
fn clean_edit(req: UpdateLeadRequest) -> Result<service::leads::LeadEdit, AppError> {
    let raw = RawLead {
        name: req.name.clone().flatten(),
        company: req.company.clone().flatten(),
        phone: req.phone.clone().flatten(),
        email: req.email.clone().flatten(),
        wechat: req.wechat.clone().flatten(),
        province: req.province.clone().flatten(),
        city: req.city.clone().flatten(),
        industry: req.industry.clone().flatten(),
        company_size: req.company_size.clone().flatten(),
        needs: req.needs.clone().flatten(),
        grade: req.grade.flatten().map(|g| g.as_str().to_string()),
        source_channel: None,
        source_detail: req.source_detail.clone().flatten(),
        tags: req.tags.clone().unwrap_or_default(),
        custom: Map::new(),
    };
    let clean = clean_lead(&raw).map_err(lead_errors)?;
    // Given (Some) fields take the cleaned value, which is None when blank: that clears.
    let pick =
        |given: &Option<Option<String>>, cleaned: Option<String>| given.as_ref().map(|_| cleaned);
    Ok(service::leads::LeadEdit {
        name: pick(&req.name, clean.name),
        company: pick(&req.company, clean.company),
        phone: req.phone.as_ref().map(|_| clean.phone),
        email: req.email.as_ref().map(|_| clean.email),
        wechat: pick(&req.wechat, clean.wechat),
        province: pick(&req.province, clean.province),
        city: pick(&req.city, clean.city),
        industry: pick(&req.industry, clean.industry),
        company_size: pick(&req.company_size, clean.company_size),
        needs: pick(&req.needs, clean.needs),
        grade: req.grade.map(|_| clean.grade),
        source_detail: pick(&req.source_detail, clean.source_detail),
        tags: req.tags.map(|_| clean.tags),
        custom: req.custom,
    })
}

/// Order of a lead listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListOrder {
    /// Most recently created first (default).
    #[default]
    Newest,
    Oldest,
}

/// Filters and paging of the lead list. Custom fields filter as `custom.<key>=<value>` (for
/// multi-select fields: leads having that option).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLeadsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    #[param(inline)]
    pub order: Option<ListOrder>,
    pub state: Option<LeadState>,
    pub stage: Option<Stage>,
    pub pool_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Source channel.
    pub source: Option<SourceChannel>,
    pub industry: Option<String>,
    pub grade: Option<Grade>,
    pub province: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the name or company (or of a searchable custom field), or an exact phone, email or
    /// WeChat id.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Comma-separated fields that must be empty, to find leads to complete: `name`, `company`,
    /// `phone`, `email`, `wechat`, `province`, `city`, `industry`, `company_size`, `needs`, `grade`.
    pub missing: Option<String>,
}

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
pub(crate) struct FilterInput<'a> {
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

pub(crate) fn build_filter(vault: &Vault, input: FilterInput) -> Result<LeadFilter, AppError> {
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
        source_channel: input.source.map(|s| s.as_str().into()),
        industry: input.industry.and_then(crate::domain::text::clean),
        grade: input.grade.map(|g| g.as_str().into()),
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
        q_phone: q_phone.map(|p| vault.blind_index(PHONE, p.as_str())),
        q_email: q_email.map(|e| vault.blind_index(EMAIL, e.as_str())),
        q_wechat: q
            .as_deref()
            .and_then(|t| crate::domain::lead::clean_wechat(t).ok().flatten())
            .map(|w| vault.blind_index(WECHAT, &w)),
        q_custom_keys: Vec::new(),
        missing,
        custom: Vec::new(),
    })
}

/// Splits `custom.<key>=<value>` pairs off a query string.
pub(crate) fn split_custom(query: &str) -> (String, Vec<(String, String)>) {
    let mut rest = form_urlencoded::Serializer::new(String::new());
    let mut custom = Vec::new();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.strip_prefix("custom.") {
            Some(field) => custom.push((field.to_string(), value.into_owned())),
            None => {
                rest.append_pair(&key, &value);
            }
        }
    }
    (rest.finish(), custom)
}

pub(crate) fn active_keys(defs: &[(FieldDef, bool)]) -> HashSet<String> {
    defs.iter().map(|(d, _)| d.key.clone()).collect()
}

/// Lists the leads the caller may read (salespeople: their own; managers: their teams'; admins:
/// all), filtered and keyset-paginated. Pooled leads are browsed through the pool listing.
#[utoipa::path(
    tag = "leads",
    params(ListLeadsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of leads; with `Accept: text/csv`, every matching lead (no paging: `limit` and `cursor` are ignored), streamed as CSV with one row per lead (`tags` joined by `; `, `custom` as JSON)",
            content((LeadPage = "application/json"), (String = "text/csv"))),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` (over 200) or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leads")]
async fn list_leads(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    // `custom.<key>` pairs are split off before `parse_query` sees the rest.
    super::extract::refuse_nul_in_query(req.query_string())?;
    let (rest, custom_pairs) = split_custom(req.query_string());
    let query: ListLeadsQuery = parse_query(&rest)?;
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let mut filter = build_filter(
        &state.vault,
        FilterInput {
            source: query.source,
            industry: query.industry.as_deref(),
            grade: query.grade,
            province: query.province.as_deref(),
            created_from: query.created_from,
            created_to: query.created_to,
            updated_from: query.updated_from,
            updated_to: query.updated_to,
            q: query.q.as_deref(),
            missing: query.missing.as_deref(),
        },
    )?;
    filter.state = query.state.map(|s| s.as_str().into());
    filter.stage = query.stage.map(|s| s.as_str().into());
    filter.pool_id = query.pool_id;
    filter.owner_id = query.owner_id;
    let newest_first = query.order.unwrap_or_default() == ListOrder::Newest;
    if super::csv::wanted(&req) {
        let vault = state.vault.clone();
        let scope = service::leads::scope_of(&user);
        let viewer = Contact::ForViewer(user.id);
        return Ok(super::csv::stream(
            &state,
            "leads.csv",
            move |conn, send| {
                let mut first = true;
                service::leads::export(
                    conn,
                    scope,
                    filter,
                    custom_pairs,
                    newest_first,
                    |rows, defs| {
                        let keys = active_keys(defs);
                        let mut out = if first {
                            super::csv::writer()
                        } else {
                            super::csv::continuation()
                        };
                        if first && rows.is_empty() {
                            out.write_record(LEAD_CSV_HEADER)?;
                        }
                        first = false;
                        for lead in rows {
                            let lead = LeadResponse::build(&vault, lead, &keys, viewer)?;
                            out.serialize(LeadRecord::from(lead))?;
                        }
                        Ok(send(out.finish()?))
                    },
                )
            },
        ));
    }
    let viewer = Contact::ForViewer(user.id);
    let (rows, defs, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        service::leads::list(
            conn,
            service::leads::scope_of(&user),
            filter,
            custom_pairs,
            cursor,
            newest_first,
            limit,
        )
    })
    .await?;
    let keys = active_keys(&defs);
    let items = rows
        .into_iter()
        .map(|lead| LeadResponse::build(&state.vault, lead, &keys, viewer))
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(LeadPage { items, next_cursor }))
}

const LEAD_CSV_HEADER: &[&str] = &[
    "id",
    "pool_id",
    "state",
    "stage",
    "owner_id",
    "name",
    "company",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "industry",
    "company_size",
    "needs",
    "grade",
    "source_channel",
    "source_detail",
    "tags",
    "custom",
    "created_by",
    "created_at",
    "updated_at",
    "claimed_at",
    "last_follow_up_at",
    "next_follow_up_at",
    "recycle_at",
    "recycle_reason",
];

/// A lead as a CSV row: the answer's fields, with `tags` joined by `; ` and `custom` as JSON.
#[derive(Serialize)]
struct LeadRecord {
    id: Uuid,
    pool_id: Option<Uuid>,
    state: LeadState,
    stage: Option<Stage>,
    owner_id: Option<Uuid>,
    name: Option<String>,
    company: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    wechat: Option<String>,
    province: Option<String>,
    city: Option<String>,
    industry: Option<String>,
    company_size: Option<String>,
    needs: Option<String>,
    grade: Option<Grade>,
    source_channel: SourceChannel,
    source_detail: Option<String>,
    tags: String,
    custom: String,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    claimed_at: Option<DateTime<Utc>>,
    last_follow_up_at: Option<DateTime<Utc>>,
    next_follow_up_at: Option<DateTime<Utc>>,
    recycle_at: Option<DateTime<Utc>>,
    recycle_reason: Option<crate::domain::claim::ClaimEnd>,
}

impl From<LeadResponse> for LeadRecord {
    fn from(l: LeadResponse) -> Self {
        Self {
            tags: l.tags.join("; "),
            custom: Value::Object(l.custom).to_string(),
            id: l.id,
            pool_id: l.pool_id,
            state: l.state,
            stage: l.stage,
            owner_id: l.owner_id,
            name: l.name,
            company: l.company,
            phone: l.phone,
            email: l.email,
            wechat: l.wechat,
            province: l.province,
            city: l.city,
            industry: l.industry,
            company_size: l.company_size,
            needs: l.needs,
            grade: l.grade,
            source_channel: l.source_channel,
            source_detail: l.source_detail,
            created_by: l.created_by,
            created_at: l.created_at,
            updated_at: l.updated_at,
            claimed_at: l.claimed_at,
            last_follow_up_at: l.last_follow_up_at,
            next_follow_up_at: l.next_follow_up_at,
            recycle_at: l.recycle_at,
            recycle_reason: l.recycle_reason,
        }
    }
}

/// Enters a lead by hand. It goes to `pool_id` (a pool the caller may see: admins any, others one
/// they belong to; any other id is 422 `not_found` on `pool_id`, as an id no pool has), or where
/// routing sends it, as a pooled lead.
/// Contact data is cleaned (phone to E.164, email lower-cased, full-width to half-width). When an
/// open lead already has the same phone, email, WeChat id or company + name, nothing is written:
/// 409 `duplicate_lead`, with `existing_lead_id` only if the caller may read that lead.
#[utoipa::path(
    tag = "leads",
    request_body = CreateLeadRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = LeadResponse, headers(("Location" = String, description = "The new lead's URL"))),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_lead`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (per field: `invalid_phone`, `no_contact`, custom fields...) or `no_pool`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/leads")]
async fn create_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    body: JsonBody<CreateLeadRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let clean = clean_lead(&req.raw()).map_err(lead_errors)?;
    let payload = serde_json::json!({"via": "manual"});
    let submission = Submission {
        lead: clean,
        pool_id: req.pool_id,
        via: Via::Manual,
        actor_id: Some(user.id),
        intake_source_id: None,
        import_id: None,
        known_duplicate: false,
        default_channel: req.source_channel,
        payload,
    };
    let now = state.clock.now();
    let vault = state.vault.clone();
    let named_pool = req.pool_id;
    let (outcome, defs) = db::transaction(&state.pool, move |conn| {
        if let Some(pool_id) = named_pool {
            service::pools::require_visible(conn, &user, pool_id)?;
        }
        let defs = service::lead_fields::active_defs(conn)?;
        let plain: Vec<FieldDef> = defs.iter().map(|(d, _)| d.clone()).collect();
        let outcome = service::leads::submit(conn, &vault, &plain, submission, now)?;
        let outcome = match outcome {
            Outcome::Duplicate(existing) => {
                let what = "contact details";
                return Err(service::leads::duplicate(conn, &user, existing.id, what)?);
            }
            other => other,
        };
        Ok((outcome, defs))
    })
    .await?;
    let (Outcome::Created(lead) | Outcome::Merged { lead, .. } | Outcome::Duplicate(lead)) =
        outcome;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/leads/{}", lead.id)))
        .json(LeadResponse::build(
            &state.vault,
            lead,
            &active_keys(&defs),
            // The creator typed these details: showing them cleaned reveals nothing.
            Contact::Full,
        )?))
}

/// What a reader may ask to see in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reveal {
    /// Phone, email and WeChat id.
    Contact,
}

/// Options of reading one lead.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct GetLeadQuery {
    /// `contact`: a reader who does not own the lead (its owner's manager, an admin) sees the
    /// contact data in full instead of masked; each such reveal is written to the audit log
    /// (`lead.contact_revealed`). The owner always sees it in full.
    #[param(inline)]
    pub reveal: Option<Reveal>,
}

/// One lead: for its owner, the owner's manager, and admins; 404 for anyone else. Contact data
/// is masked (`138****5678`) for anyone but the owner unless they ask with `reveal=contact`,
/// which is audited.
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), GetLeadQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lead", body = LeadResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID, or an unknown `reveal`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leads/{id}")]
async fn get_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: QueryParams<GetLeadQuery>,
) -> Result<web::Json<LeadResponse>, AppError> {
    let id = id.into_inner();
    let reveal = query.into_inner().reveal == Some(Reveal::Contact);
    let (viewer, now) = (user.id, state.clock.now());
    let cache = state.field_defs.clone();
    let (lead, defs) = db::transaction(&state.pool, move |conn| {
        let lead = service::leads::get(conn, &user, id)?;
        if reveal {
            service::leads::record_reveal(conn, user.id, &lead, now)?;
        }
        Ok((lead, cache.get(conn)?))
    })
    .await?;
    let contact = if reveal {
        Contact::Full
    } else {
        Contact::ForViewer(viewer)
    };
    Ok(web::Json(LeadResponse::build(
        &state.vault,
        lead,
        &active_keys(&defs),
        contact,
    )?))
}

/// Edits a lead's data fields (owner, their manager, admin). Values are cleaned like on the way
/// in; a phone, email, WeChat id or company + name that another open lead has is 409
/// `duplicate_lead`. Ownership, state, stage, pool and source channel cannot be set here (422).
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = UpdateLeadRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed lead", body = LeadResponse),
        (status = 400, description = "The body is not JSON (`malformed_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may edit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_lead`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, including unknown or ownership fields", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/leads/{id}")]
async fn update_lead(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: JsonBody<UpdateLeadRequest>,
) -> Result<web::Json<LeadResponse>, AppError> {
    let id = id.into_inner();
    let edit = clean_edit(body.into_inner())?;
    let now = state.clock.now();
    let vault = state.vault.clone();
    let viewer = Contact::ForViewer(user.id);
    let (lead, defs) = db::transaction(&state.pool, move |conn| {
        let defs = service::lead_fields::active_defs(conn)?;
        let plain: Vec<FieldDef> = defs.iter().map(|(d, _)| d.clone()).collect();
        let lead = service::leads::edit(conn, &vault, &plain, &user, id, edit, now)?;
        Ok((lead, defs))
    })
    .await?;
    Ok(web::Json(LeadResponse::build(
        &state.vault,
        lead,
        &active_keys(&defs),
        viewer,
    )?))
}

/// One entry of a lead's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: Uuid,
    /// `created`, `touched` (a later submission of the same lead), `updated` (data edited); later:
    /// claims, follow-ups, approvals.
    pub kind: String,
    /// Who did it (absent for integrations and the system).
    pub actor_id: Option<Uuid>,
    /// What happened: for `updated`, each changed field with `from` and `to` (contact fields are
    /// only named in `contact_changed`, never shown); for `touched`, the channel and the fields
    /// it filled.
    #[schema(value_type = Object)]
    pub details: Value,
    pub at: DateTime<Utc>,
}

impl From<LeadEvent> for TimelineEntry {
    fn from(e: LeadEvent) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            actor_id: e.actor_id,
            details: e.details,
            at: e.created_at,
        }
    }
}

/// Paging of a timeline.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The lead's history, oldest first: creation, later submissions (touches) and edits.
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), TimelineQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the timeline, oldest first", body = TimelinePage),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad id, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leads/{id}/timeline")]
async fn lead_timeline(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: super::extract::QueryParams<TimelineQuery>,
) -> Result<web::Json<TimelinePage>, AppError> {
    let id = id.into_inner();
    let query = query.into_inner();
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::leads::timeline(conn, &user, id, cursor, limit)
    })
    .await?;
    Ok(web::Json(TimelinePage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}
