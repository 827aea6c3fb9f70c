//! A person's notifications: listing and marking read.

use super::*;

/// One page of the caller's notifications, newest first (`unread`: only those not read yet).
pub fn notifications(
    conn: &mut PgConnection,
    user_id: Uuid,
    unread: bool,
    limit: Limit,
    cursor: Option<Cursor>,
) -> Result<Paged<Notification>, AppError> {
    Ok(fetch_page(
        limit,
        cursor,
        |after, n| repo::lifecycle::notifications_of(conn, user_id, unread, after, n),
        |n| n.id,
    )?)
}

/// Marks one of the caller's notifications read; another person's is not found.
pub fn mark_read(
    conn: &mut PgConnection,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Notification, AppError> {
    repo::lifecycle::mark_read(conn, id, user_id, now)?.ok_or(AppError::NotFound)
}
