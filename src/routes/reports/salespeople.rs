//! `GET /reports/salespeople`: each salesperson's holds, follow-ups and outcomes (or as CSV).

use super::*;

/// The period and team of the salespeople report.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SalespeopleQuery {
    /// First day (`YYYY-MM-DD`, organisation time zone); default: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day, included; default: today.
    pub to: Option<NaiveDate>,
    /// Only this team's people (managers: a team they manage; salespeople may not filter).
    pub team_id: Option<Uuid>,
}

/// One person's figures for the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalespersonFigures {
    pub user_id: Uuid,
    pub name: String,
    pub team_id: Option<Uuid>,
    /// Holds that started in the period (claim records), all ways.
    pub claims: i64,
    /// ... of them taken by the person (`self_claim`).
    pub claims_self: i64,
    /// ... taken in a capability-mode pool.
    pub claims_capability: i64,
    /// ... handed out by round robin (`next-lead`, distribution).
    pub claims_round_robin: i64,
    /// ... assigned by a manager or admin.
    pub claims_assigned: i64,
    /// ... transferred to the person.
    pub claims_transferred_in: i64,
    /// ... routed to the person at intake.
    pub claims_intake: i64,
    /// Follow-ups the person recorded in the period, all types.
    pub follow_ups: i64,
    pub follow_ups_call: i64,
    pub follow_ups_visit: i64,
    pub follow_ups_wechat: i64,
    pub follow_ups_email: i64,
    pub follow_ups_sms: i64,
    pub follow_ups_meeting: i64,
    pub follow_ups_other: i64,
    /// Of the holds started in the period, those with a follow-up by now.
    pub claims_followed_up: i64,
    /// Median hours from the start of a hold to its first follow-up, over the holds started in
    /// the period that have one, rounded to 0.01; `null` when none has.
    pub median_first_follow_up_hours: Option<f64>,
    /// Holds of the person that ended in the period because the lead was recycled, all reasons.
    pub recycled: i64,
    pub recycled_no_first_follow_up: i64,
    pub recycled_no_contact: i64,
    pub recycled_no_progress: i64,
    pub recycled_no_deal: i64,
    /// Holds that ended in the period by a release (approved or direct).
    pub released: i64,
    /// Holds that ended in the period by a transfer to someone else.
    pub transferred_out: i64,
    /// Holds that ended in the period by a conversion (won).
    pub conversions: i64,
    /// Holds that ended in the period by closing the lead.
    pub closed: i64,
    /// Of the holds started in the period, those that ended in a conversion by now.
    pub claims_converted: i64,
    /// `claims_converted / claims`; `null` without claims.
    pub conversion_rate: Option<f64>,
    /// Leads the person holds now.
    pub held_now: i64,
}

impl SalespersonFigures {
    fn new(r: crate::repo::reports::SalespersonRow) -> Self {
        Self {
            conversion_rate: rate(r.claims_converted, r.claims),
            recycled: r.recycled_no_first_follow_up
                + r.recycled_no_contact
                + r.recycled_no_progress
                + r.recycled_no_deal,
            user_id: r.user_id,
            name: r.name,
            team_id: r.team_id,
            claims: r.claims,
            claims_self: r.self_claim,
            claims_capability: r.capability,
            claims_round_robin: r.round_robin,
            claims_assigned: r.manager_assign,
            claims_transferred_in: r.transfer,
            claims_intake: r.intake_route,
            follow_ups: r.follow_ups,
            follow_ups_call: r.call,
            follow_ups_visit: r.visit,
            follow_ups_wechat: r.wechat,
            follow_ups_email: r.email,
            follow_ups_sms: r.sms,
            follow_ups_meeting: r.meeting,
            follow_ups_other: r.other,
            claims_followed_up: r.followed_up,
            median_first_follow_up_hours: r.median_first_follow_up_hours.map(round2),
            recycled_no_first_follow_up: r.recycled_no_first_follow_up,
            recycled_no_contact: r.recycled_no_contact,
            recycled_no_progress: r.recycled_no_progress,
            recycled_no_deal: r.recycled_no_deal,
            released: r.released,
            transferred_out: r.transferred,
            conversions: r.conversions,
            closed: r.closed,
            claims_converted: r.claims_converted,
            held_now: r.held_now,
        }
    }
}

/// Per person.
#[derive(Debug, Serialize, ToSchema)]
pub struct SalespeopleReport {
    #[serde(flatten)]
    pub period: ReportPeriod,
    /// By name.
    pub people: Vec<SalespersonFigures>,
}

pub(super) const SALESPEOPLE_HEADER: &[&str] = &[
    "user_id",
    "name",
    "team_id",
    "claims",
    "claims_self",
    "claims_capability",
    "claims_round_robin",
    "claims_assigned",
    "claims_transferred_in",
    "claims_intake",
    "follow_ups",
    "follow_ups_call",
    "follow_ups_visit",
    "follow_ups_wechat",
    "follow_ups_email",
    "follow_ups_sms",
    "follow_ups_meeting",
    "follow_ups_other",
    "claims_followed_up",
    "median_first_follow_up_hours",
    "recycled",
    "recycled_no_first_follow_up",
    "recycled_no_contact",
    "recycled_no_progress",
    "recycled_no_deal",
    "released",
    "transferred_out",
    "conversions",
    "closed",
    "claims_converted",
    "conversion_rate",
    "held_now",
];

/// Reports each salesperson's claims, follow-ups, recycles and conversions
///
/// Per salesperson (and manager holding leads): claims by how they started, follow-ups by type,
/// first-follow-up latency, leads recycled from them by reason, releases, conversions and what
/// they hold now. Activity counts are of the period (holds started, holds ended, follow-ups
/// recorded in it). Salespeople see themselves; managers their teams; admins everyone.
#[utoipa::path(
    tag = "reports",
    params(SalespeopleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report (with `Accept: text/csv`, the CSV of `GET /reports/salespeople.csv`)",
            body = SalespeopleReport),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "`team_id` of a team the caller does not manage (or any `team_id` from a salesperson)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or team id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/salespeople")]
pub(super) async fn salespeople_report(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: QueryParams<SalespeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let as_csv = crate::routes::csv::wanted(&req);
    salespeople_report_answer(state, user, query, as_csv).await
}

/// The salespeople report as CSV
///
/// The figures of `GET /reports/salespeople` for the same query, one row per person, the same
/// columns.
#[utoipa::path(
    tag = "reports",
    params(SalespeopleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV (UTF-8 with a byte-order mark)", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "`team_id` of a team the caller does not manage (or any `team_id` from a salesperson)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad day or team id, or a period that is reversed or longer than 732 days", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/reports/salespeople.csv")]
pub(super) async fn salespeople_report_csv(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<SalespeopleQuery>,
) -> Result<HttpResponse, AppError> {
    salespeople_report_answer(state, user, query, true).await
}

async fn salespeople_report_answer(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<SalespeopleQuery>,
    as_csv: bool,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let p = period(&state, q.from, q.to)?;
    let (rows, as_of) = read(&state, move |conn| {
        service::reports::salespeople(conn, &user, &p, q.team_id)
    })
    .await?;
    let people: Vec<SalespersonFigures> = rows.into_iter().map(SalespersonFigures::new).collect();
    if as_csv {
        return csv::answer(SALESPEOPLE_HEADER, &people, "salespeople.csv");
    }
    Ok(HttpResponse::Ok().json(SalespeopleReport {
        period: ReportPeriod::new(&p, &state, as_of),
        people,
    }))
}

// ---------------------------------------------------------------------------------------------
// Pool health
