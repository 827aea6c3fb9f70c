//! `GET /leads`: the leads the caller may read, filtered and keyset-paginated (or as CSV).

use super::*;

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

/// Lists the leads the caller may read, filtered and keyset-paginated
///
/// Salespeople see their own, managers their teams', admins all. Pooled leads are browsed through
/// the pool listing. With `Accept: text/csv`, the answer of `GET /leads.csv`.
///
/// Custom fields filter too, with `custom.<key>=<value>` (e.g. `?custom.budget=5000`; repeat for
/// several fields, all must hold): a lead matches when its value equals the given one or, for a
/// `multi_select` field, when its choices include it. The value is read as the field's type; an
/// unknown key or a bad value is a 422 naming `custom.<key>`.
#[utoipa::path(
    tag = "leads",
    params(ListLeadsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of leads (with `Accept: text/csv`, the CSV of `GET /leads.csv`)",
            body = LeadPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad filter, `limit` (over 200) or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/leads")]
pub(super) async fn list_leads(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    list_leads_answer(state, user, req, as_csv).await
}

/// Exports the leads the caller may read as CSV
///
/// Every lead `GET /leads` would list with the same filters, `custom.<key>=` included (no paging:
/// `limit` and `cursor` are ignored), streamed as CSV with one row per lead (`tags` joined by
/// `; `, `custom` as JSON).
#[utoipa::path(
    tag = "leads",
    params(ListLeadsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad filter, `limit` (over 200) or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/leads.csv")]
pub(super) async fn list_leads_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    list_leads_answer(state, user, req, true).await
}

async fn list_leads_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    // `custom.<key>` pairs are split off before `parse_query` sees the rest.
    crate::routes::extract::refuse_nul_in_query(req.query_string())?;
    let (rest, custom_pairs) = split_custom(req.query_string());
    let query: ListLeadsQuery = parse_query(&rest)?;
    let (limit, cursor) = page_params(query.limit, query.cursor.as_deref())?;
    let mut filter = service::leads::build_filter(
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
    filter.state = query.state;
    filter.stage = query.stage;
    filter.pool_id = query.pool_id;
    filter.owner_id = query.owner_id;
    let newest_first = query.order.unwrap_or_default() == ListOrder::Newest;
    if as_csv {
        let vault = state.vault.clone();
        let scope = service::leads::scope_of(&user);
        let viewer = Contact::ForViewer(user.id);
        return Ok(crate::routes::csv::stream(
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
                            crate::routes::csv::writer()
                        } else {
                            crate::routes::csv::continuation()
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
