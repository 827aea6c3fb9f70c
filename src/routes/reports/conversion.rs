//! `GET /reports/conversion`: leads claimed, converted and lost, by pool, team, person or source.

use super::*;

/// What the conversion report groups leads by.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConversionGroup {
    /// Source channel (`website`, `referral`, ...).
    #[default]
    Source,
    Industry,
    CompanySize,
    /// The pool the lead belongs to now.
    Pool,
    /// Grade `A` to `D`.
    Grade,
}

/// The period and grouping of the conversion report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversionQuery {
    /// `source` (default), `industry`, `company_size`, `pool` or `grade`.
    #[param(inline)]
    pub group_by: Option<ConversionGroup>,
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
    /// Only the leads held by the people of this team and the teams below it (for a manager, one
    /// of the teams they answer for; 403 otherwise).
    pub team_id: Option<Uuid>,
}

/// One group of the conversion report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionGroupFigures {
    /// The group's value (a source channel, an industry, a pool id, ...); `null` for leads
    /// where it is not recorded.
    pub key: Option<String>,
    /// What to show: the pool's name for pools, otherwise the key.
    pub label: Option<String>,
    /// Leads created in the period (for managers and salespeople: those their teams or they held
    /// at some time).
    pub created: i64,
    /// Of those, leads claimed or assigned at least once (by now).
    pub claimed: i64,
    /// Of those, leads converted (won) by now (for managers and salespeople: converted by
    /// them or their teams).
    pub converted: i64,
    /// `converted / created`; `null` when nothing was created.
    pub conversion_rate: Option<f64>,
    /// Median of (conversion time − creation time) in days over the converted leads, rounded to
    /// 0.01; `null` when none converted.
    pub median_days_to_convert: Option<f64>,
}

/// Conversion of the leads created in a period, by group.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversionReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    pub group_by: ConversionGroup,
    /// Groups in key order, `null` last.
    pub groups: Vec<ConversionGroupFigures>,
}

/// Reports conversion of the leads created in a period, grouped as asked
///
/// Conversion by source, industry, company size, pool or grade: of the leads **created** in the
/// period (a cohort), how many were claimed and converted by now, and how long conversion took.
/// Admins see every lead; managers the leads their teams held; salespeople the leads they held.
#[utoipa::path(
    tag = "reports",
    params(ConversionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (with `Accept: text/csv`, the CSV of `GET /reports/conversion.csv`)",
            body = ConversionReport),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A team outside the caller's scope (`team_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `group_by`, day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/conversion")]
pub(super) async fn conversion_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<ConversionQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    conversion_report_answer(state, user, query, as_csv).await
}

/// The conversion report as CSV
///
/// The figures of `GET /reports/conversion` for the same query, one row per group, the same
/// columns.
#[utoipa::path(
    tag = "reports",
    params(ConversionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "A team outside the caller's scope (`team_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `group_by`, day, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/conversion.csv")]
pub(super) async fn conversion_report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ConversionQuery>,
) -> Result<HttpResponse, AppError> {
    conversion_report_answer(state, user, query, true).await
}

async fn conversion_report_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<ConversionQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let group = q.group_by.unwrap_or_default();
    let key = match group {
        ConversionGroup::Source => ConversionKey::Source,
        ConversionGroup::Industry => ConversionKey::Industry,
        ConversionGroup::CompanySize => ConversionKey::CompanySize,
        ConversionGroup::Pool => ConversionKey::Pool,
        ConversionGroup::Grade => ConversionKey::Grade,
    };
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::conversion(conn, &user, key, p.start, p.end, q.team_id)
    })
    .await?;
    let groups: Vec<ConversionGroupFigures> = rows
        .into_iter()
        .map(|(row, label)| ConversionGroupFigures {
            conversion_rate: rate(row.converted, row.created),
            key: row.key,
            label,
            created: row.created,
            claimed: row.claimed,
            converted: row.converted,
            median_days_to_convert: row.median_days_to_convert,
        })
        .collect();
    if as_csv {
        return csv::answer(
            &[
                "key",
                "label",
                "created",
                "claimed",
                "converted",
                "conversion_rate",
                "median_days_to_convert",
            ],
            &groups,
            "conversion.csv",
        );
    }
    Ok(HttpResponse::Ok().json(ConversionReport {
        period: ReportPeriod::new(&p, &state, as_of),
        group_by: group,
        groups,
    }))
}

// ---------------------------------------------------------------------------------------------
// Salespeople
