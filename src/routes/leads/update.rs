//! `PATCH /leads/{id}`: data edits of a lead the caller may read.

use super::*;

/// Changes to a lead's data. Absent fields stay; `null` clears. Ownership, state, stage, pool and
/// source channel are not data: naming them is refused (422).
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeadRequest {
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub wechat: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub province: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub industry: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub company_size: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub needs: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<Grade>)]
    pub grade: Option<Option<Grade>>,
    #[serde(default, deserialize_with = "crate::routes::nullable")]
    #[schema(value_type = Option<String>)]
    pub source_detail: Option<Option<String>>,
    /// Replaces the tags.
    #[serde(default, deserialize_with = "crate::routes::not_null")]
    #[schema(value_type = Vec<String>)]
    pub tags: Option<Vec<String>>,
    /// Custom values to set (by key); `null` removes one.
    #[serde(default, deserialize_with = "crate::routes::not_null")]
    #[schema(value_type = HashMap<String, crate::dto::shapes::CustomValue>)]
    pub custom: Option<Map<String, Value>>,
}

pub(super) fn lead_errors(errors: Vec<(String, &'static str, String)>) -> AppError {
    AppError::Validation(
        errors
            .into_iter()
            .map(|(f, c, m)| FieldError::new(f, c, m))
            .collect(),
    )
}

/// Cleans the edit: each given field like on the way in; a cleared value becomes `Some(None)`.
pub(super) fn clean_edit(req: UpdateLeadRequest) -> Result<service::leads::LeadEdit, AppError> {
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

/// Edits a lead's data fields (owner, their manager, admin)
///
/// Values are cleaned like on the way in; a phone, email, WeChat id or company + name that
/// another open lead has is 409 `duplicate_lead`. Ownership, state, stage, pool and source
/// channel cannot be set here (422). Absent fields stay; `null` clears.
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = UpdateLeadRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed lead", body = LeadResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such lead, or not one the caller may edit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`duplicate_lead`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`, including unknown or ownership fields", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[patch("/leads/{id}")]
pub(super) async fn update_lead(
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
