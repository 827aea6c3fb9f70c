//! Intake sources (admins): their tokens and rate limits.

use super::*;

/// An intake source (its token is never shown again after creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct IntakeSourceResponse {
    pub id: Uuid,
    pub name: String,
    /// Source channel of the leads it sends (unless a lead names another).
    pub channel: SourceChannel,
    /// Leads a minute: a single push counts one, a batch each of its leads.
    pub rate_limit_per_minute: i32,
    pub created_at: DateTime<Utc>,
}

impl From<IntakeSource> for IntakeSourceResponse {
    fn from(s: IntakeSource) -> Self {
        Self {
            channel: s.channel,
            id: s.id,
            name: s.name,
            rate_limit_per_minute: s.rate_limit_per_minute,
            created_at: s.created_at,
        }
    }
}

/// A new source and its token.
#[derive(Serialize, ToSchema)]
pub struct CreatedIntakeSource {
    #[serde(flatten)]
    pub source: IntakeSourceResponse,
    /// Send as `Authorization: Bearer <token>`; shown this once, stored only hashed.
    pub token: String,
}

/// A new intake source.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntakeSourceRequest {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::routes::non_blank")
    )]
    #[schema(min_length = 1, max_length = 200, example = "官网咨询表单")]
    pub name: String,
    pub channel: SourceChannel,
    /// Leads a minute (default 60): a single push counts one, a batch each of its leads.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub rate_limit_per_minute: Option<i32>,
}

crate::routes::whole_list_type!(IntakeSourceList, IntakeSourceResponse);

/// Lists the intake sources (admin)
///
/// Every source with its channel and rate limit; tokens are never shown here (only once, on
/// creation). Only admins may call it.
#[utoipa::path(
    tag = "intake",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sources", body = IntakeSourceList),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/intake-sources")]
pub(super) async fn list_sources(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<web::Json<IntakeSourceList>, AppError> {
    let rows = db::transaction(&state.pool, service::intake::sources).await?;
    let items: Vec<IntakeSourceResponse> = rows.into_iter().map(Into::into).collect();
    Ok(web::Json(items.into()))
}

/// Creates an intake source (admin)
///
/// The answer carries the source's token, shown this once (it is stored only hashed); the
/// rate limit defaults to 60 leads a minute.
#[utoipa::path(
    tag = "intake",
    request_body = CreateIntakeSourceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; keep the token", body = CreatedIntakeSource),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/intake-sources")]
pub(super) async fn create_source(
    state: web::Data<AppState>,
    user: Admin,
    body: JsonBody<CreateIntakeSourceRequest>,
) -> Result<HttpResponse, AppError> {
    let req = body.into_inner();
    let now = state.clock.now();
    let name = crate::domain::text::single_line(&req.name);
    let (source, token) = db::transaction(&state.pool, move |conn| {
        service::intake::create_source(
            conn,
            name,
            req.channel,
            req.rate_limit_per_minute.unwrap_or(60),
            user.id,
            now,
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedIntakeSource {
            source: source.into(),
            token,
        }))
}

/// Deletes an intake source (admin)
///
/// Its token stops working at once; the leads it sent stay.
#[utoipa::path(
    tag = "intake",
    params(("id" = Uuid, Path, description = "Source id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins manage intake sources", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such source", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[delete("/intake-sources/{id}")]
pub(super) async fn delete_source(
    state: web::Data<AppState>,
    user: Admin,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let actor = user.id;
    let deleted = db::transaction(&state.pool, move |conn| {
        service::intake::delete_source(conn, actor, id, now)
    })
    .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
