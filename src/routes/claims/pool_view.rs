//! `GET /pools/{id}/leads`: a pool's pooled leads, as its members browse them.

use super::*;

/// A pooled lead as pool members browse it: contact data masked (`138****5678`,
/// `z***@example.com`); whoever claims it sees it in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolLeadResponse {
    pub id: Uuid,
    pub pool_id: Option<Uuid>,
    pub name: Option<String>,
    pub company: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone: Option<String>,
    /// Masked, e.g. `z***@example.com`.
    pub email: Option<String>,
    /// Masked, e.g. `w***3`.
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
    #[schema(value_type = HashMap<String, crate::dto::shapes::CustomValue>)]
    pub custom: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PoolLeadResponse {
    fn build(
        vault: &Vault,
        lead: Lead,
        keys: &std::collections::HashSet<String>,
    ) -> Result<Self, AppError> {
        let masked = |purpose: Purpose, stored: Option<&Vec<u8>>, how: fn(&str) -> String| {
            crate::dto::lead::masked(vault, purpose, stored, how)
        };
        Ok(Self {
            phone: masked(Purpose::Phone, lead.phone_enc.as_ref(), mask::phone)?,
            email: masked(Purpose::Email, lead.email_enc.as_ref(), mask::email)?,
            wechat: masked(Purpose::Wechat, lead.wechat_enc.as_ref(), mask::wechat)?,
            grade: lead.grade,
            source_channel: lead.source_channel,
            custom: lead
                .custom
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| keys.contains(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            id: lead.id,
            pool_id: lead.pool_id,
            name: lead.name,
            company: lead.company,
            province: lead.province,
            city: lead.city,
            industry: lead.industry,
            company_size: lead.company_size,
            needs: lead.needs,
            source_detail: lead.source_detail,
            tags: lead.tags,
            created_at: lead.created_at,
            updated_at: lead.updated_at,
        })
    }
}

/// Filters and paging of a pool's leads (custom fields filter as `custom.<key>=<value>`).
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PoolLeadsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `newest` (default) or `oldest` first.
    #[param(inline)]
    pub order: Option<ListOrder>,
    /// Source channel.
    pub source: Option<SourceChannel>,
    pub industry: Option<String>,
    pub grade: Option<Grade>,
    pub province: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Part of the name or company, or an exact phone, email or WeChat id.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Comma-separated fields that must be empty (as in the lead list).
    pub missing: Option<String>,
}

/// Lists a pool's pooled leads with contact data masked
///
/// For the pool's members and admins; filterable like the lead list (custom fields as
/// `custom.<key>=<value>`), newest or oldest first, keyset-paginated.
#[utoipa::path(
    tag = "pools",
    params(("id" = Uuid, Path, description = "Pool id"), PoolLeadsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of pooled leads, masked", body = PoolLeadPage),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools/{id}/leads")]
pub(super) async fn pool_leads(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    req: HttpRequest,
) -> Result<web::Json<PoolLeadPage>, AppError> {
    let pool_id = id.into_inner();
    crate::routes::extract::refuse_nul_in_query(req.query_string())?;
    let (rest, custom_pairs) = split_custom(req.query_string());
    let query: PoolLeadsQuery = parse_query(&rest)?;
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let filter = service::leads::build_filter(
        &state.vault,
        service::leads::FilterInput {
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
    let newest_first = query.order.unwrap_or_default() == ListOrder::Newest;
    let (rows, defs, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::pools::pooled_leads(
            conn,
            &user,
            pool_id,
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
        .map(|lead| PoolLeadResponse::build(&state.vault, lead, &keys))
        .collect::<Result<_, _>>()?;
    Ok(web::Json(PoolLeadPage { items, next_cursor }))
}
