//! `POST /leads`: a lead entered by hand.

use super::*;

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
    #[schema(value_type = HashMap<String, crate::dto::shapes::CustomValue>)]
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

/// Enters a lead by hand
///
/// Any signed-in user may enter one. It goes to `pool_id` (a pool the caller may see: admins any,
/// others one they belong to; any other id is 422 `not_found` on `pool_id`, as an id no pool has),
/// or where routing sends it, as a pooled lead. Contact data is cleaned (phone to E.164, email
/// lower-cased, full-width to half-width). When an open lead already has the same phone, email,
/// WeChat id or company + name, nothing is written: 409 `duplicate_lead`, with `existing_lead_id`
/// only if the caller may read that lead.
#[utoipa::path(
    tag = "leads",
    request_body = CreateLeadRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = LeadResponse, headers(("Location" = String, description = "The new lead's URL"))),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 409, description = "`duplicate_lead`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (per field: `invalid_phone`, `no_contact`, custom fields...) or `no_pool`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/leads")]
pub(super) async fn create_lead(
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
