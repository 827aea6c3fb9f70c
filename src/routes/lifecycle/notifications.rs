//! The caller's notifications, and marking one read.

use super::*;

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    pub kind: crate::domain::event::NotificationKind,
    pub lead_id: Option<Uuid>,
    pub message: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            lead_id: n.lead_id,
            message: n.message,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// Filters of the notification list.
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only unread ones.
    pub unread: Option<bool>,
}

/// Lists the caller's notifications, newest first
///
/// Any signed-in user, for their own notifications; `unread=true` lists only those not read yet.
/// Keyset-paginated.
#[utoipa::path(
    tag = "lifecycle",
    params(NotificationsQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/notifications")]
pub(super) async fn list_notifications(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<NotificationsQuery>,
) -> Result<web::Json<NotificationPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = page_params(q.limit, q.cursor.as_deref())?;
    let unread = q.unread.unwrap_or(false);
    let (rows, next_cursor) = db::transaction(&state.pool, move |conn| {
        service::lifecycle::notifications(conn, user.id, unread, limit, cursor)
    })
    .await?;
    Ok(web::Json(NotificationPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Marks one of the caller's notifications read
///
/// Answers the notification with its `read_at`; another person's notification answers 404, like
/// an unknown id.
#[utoipa::path(
    tag = "lifecycle",
    params(("id" = Uuid, Path, description = "Notification id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Read", body = NotificationResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such notification of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/notifications/{id}/read")]
pub(super) async fn read_notification(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<NotificationResponse>, AppError> {
    let id = id.into_inner();
    let now = state.clock.now();
    let n = db::transaction(&state.pool, move |conn| {
        service::lifecycle::mark_read(conn, id, user.id, now)
    })
    .await?;
    Ok(web::Json(n.into()))
}
