//! `GET /leads/{id}`: one lead, its contact data revealed on request (and audited).

use super::*;

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

/// Answers one lead, contact data masked unless revealed
///
/// For its owner, the owner's manager, and admins; 404 for anyone else. Contact data is masked
/// (`138****5678`) for anyone but the owner unless they ask with `reveal=contact`, which is
/// audited.
#[utoipa::path(
    tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id"), GetLeadQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The lead", body = LeadResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such lead, or not one the caller may read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID, or an unknown `reveal`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/leads/{id}")]
pub(super) async fn get_lead(
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
