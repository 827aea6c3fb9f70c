//! `/pools/{id}/rules/explain`: a pool's rules in words (Chinese, or English on request), and
//! when and why one lead goes back.

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::extract::QueryParams;
use crate::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::domain::claim::ClaimEnd;
use crate::domain::explain::{Language, RuleTopic, explain, lead_deadline};
use crate::error::{AppError, Problem};
use crate::service;

/// Which lead's deadline to put in words too.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// A lead of this pool the caller may read: its own deadline is put in words as well.
    pub lead_id: Option<Uuid>,
}

/// One rule in words.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleSentence {
    pub topic: RuleTopic,
    pub text: String,
}

/// When and why one lead goes back to its pool.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadDeadline {
    pub lead_id: Uuid,
    /// As on the lead: `null` when it is not on its way back (pooled, a customer, closed, or at
    /// an exempt stage).
    pub recycle_at: Option<DateTime<Utc>>,
    pub recycle_reason: Option<ClaimEnd>,
    /// The same in words, in the organisation's time zone; `null` with `recycle_at`.
    pub text: Option<String>,
}

/// A pool's current rules as sentences.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesExplanation {
    pub pool_id: Uuid,
    /// The rule set's version (`GET /pools/{id}/rules`).
    pub version: i32,
    pub language: Language,
    /// Taking leads, keeping them, giving them back, in that order; a rule that is off has no
    /// sentence.
    pub sentences: Vec<RuleSentence>,
    /// The lead of `lead_id`; `null` without it.
    pub lead: Option<LeadDeadline>,
}

/// Explains a pool's rules in words
///
/// The rules a salesperson lives by, generated from the rule set in force, e.g. "认领后 24 小时内
/// 必须首次跟进，否则退回公海": Chinese by default, English with `Accept-Language: en`. With
/// `lead_id`, also when and why that lead goes back. For the pool's members and admins; 404 for
/// anyone else.
///
/// ```sh
/// curl "$API/pools/$POOL/rules/explain?lead_id=$LEAD" -H "Authorization: Bearer $TOKEN" -H 'Accept-Language: en'
/// ```
#[utoipa::path(
    tag = "rules",
    params(
        ("id" = Uuid, Path, description = "Pool id"),
        ExplainQuery,
        ("Accept-Language" = Option<String>, Header, description = "`zh` (default) or `en`, with q-values as usual"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules in words", body = RulesExplanation,
            headers(("Content-Language" = String, description = "`zh` or `en`"),
                ("Vary" = String, description = "`Accept-Language`"))),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such pool, or the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID, an unknown parameter, or `lead_id` names no lead of this pool the caller may read", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/pools/{id}/rules/explain")]
pub(super) async fn explain_rules(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: QueryParams<ExplainQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (pool_id, lead_id) = (id.into_inner(), query.into_inner().lead_id);
    let language = Language::negotiate(
        request
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let tz = state.config.timezone;
    let (current, lead) = db::read_only(&state.pool, move |conn| {
        let current = service::rules::get(conn, &user, pool_id)?;
        let lead = match lead_id {
            None => None,
            Some(id) => {
                let found = crate::repo::leads::find(conn, id)?
                    .filter(|l| l.pool_id == Some(pool_id))
                    .map(|l| service::leads::may_read(conn, &user, &l).map(|ok| ok.then_some(l)))
                    .transpose()?
                    .flatten();
                Some(found.ok_or_else(|| {
                    AppError::validation(
                        "lead_id",
                        "not_found",
                        "no lead of this pool you may read",
                    )
                })?)
            }
        };
        Ok((current, lead))
    })
    .await?;
    let answer = RulesExplanation {
        pool_id,
        version: current.version,
        language,
        sentences: explain(&current.rules, language)
            .into_iter()
            .map(|s| RuleSentence {
                topic: s.topic,
                text: s.text,
            })
            .collect(),
        lead: lead.map(|l| LeadDeadline {
            lead_id: l.id,
            recycle_at: l.recycle_at,
            recycle_reason: l.recycle_reason,
            text: lead_deadline(&current.rules, l.recycle_at, l.recycle_reason, tz, language),
        }),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Language", language.as_str()))
        .insert_header(("Vary", "Accept-Language"))
        .json(answer))
}
