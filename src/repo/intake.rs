//! Intake sources, rate windows, idempotency records and the quarantine.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::suspicion::QuarantineStatus;

use crate::db::models::{IdempotencyKey, IntakeSource, QuarantineEntry};
use crate::db::schema::{idempotency_keys, intake_quarantine, intake_rate_windows, intake_sources};

pub fn insert_source(conn: &mut PgConnection, source: &IntakeSource) -> QueryResult<IntakeSource> {
    diesel::insert_into(intake_sources::table)
        .values(source)
        .returning(IntakeSource::as_returning())
        .get_result(conn)
}

/// The active source whose token hashes to `hash`.
pub fn source_by_token(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<IntakeSource>> {
    intake_sources::table
        .filter(intake_sources::token_hash.eq(hash))
        .filter(intake_sources::deleted_at.is_null())
        .select(IntakeSource::as_select())
        .first(conn)
        .optional()
}

pub fn find_source(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<IntakeSource>> {
    intake_sources::table
        .find(id)
        .filter(intake_sources::deleted_at.is_null())
        .select(IntakeSource::as_select())
        .first(conn)
        .optional()
}

pub fn source_including_deleted(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<IntakeSource>> {
    intake_sources::table
        .find(id)
        .select(IntakeSource::as_select())
        .first(conn)
        .optional()
}

pub fn list_sources(conn: &mut PgConnection) -> QueryResult<Vec<IntakeSource>> {
    intake_sources::table
        .filter(intake_sources::deleted_at.is_null())
        .select(IntakeSource::as_select())
        .order(intake_sources::id)
        .load(conn)
}

pub fn delete_source(conn: &mut PgConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        intake_sources::table
            .find(id)
            .filter(intake_sources::deleted_at.is_null()),
    )
    .set(intake_sources::deleted_at.eq(now))
    .execute(conn)
}

/// Adds `more` (a batch's leads after its first) to the source's window starting at
/// `window_start`, counted already by [`count_request`], and returns the count so far.
pub fn count_more(
    conn: &mut PgConnection,
    source_id: Uuid,
    window_start: DateTime<Utc>,
    more: i32,
) -> QueryResult<i32> {
    diesel::update(
        intake_rate_windows::table
            .filter(intake_rate_windows::source_id.eq(source_id))
            .filter(intake_rate_windows::window_start.eq(window_start)),
    )
    .set(intake_rate_windows::count.eq(intake_rate_windows::count + more))
    .returning(intake_rate_windows::count)
    .get_result(conn)
}

/// Adds one request to the source's window starting at `window_start` and returns the count so
/// far: one atomic upsert, correct with any number of instances. The transaction it runs in (the
/// request's authentication, apart from any lead's) commits without waiting for its WAL to reach
/// the disk: a crash can only forget the last fraction of a second's counts, and no writer waits
/// on a flush while it holds the source's window row, which every request of the source updates.
pub fn count_request(
    conn: &mut PgConnection,
    source_id: Uuid,
    window_start: DateTime<Utc>,
) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::Int4)]
        count: i32,
    }
    let Count { count } = crate::db::prepared::prepared(
        "INSERT INTO intake_rate_windows AS w (source_id, window_start, count)
         SELECT $1, $2, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_wait
         ON CONFLICT (source_id, window_start) DO UPDATE SET count = w.count + 1
         RETURNING count",
    )
    .bind::<diesel::sql_types::Uuid, _>(source_id)
    .bind::<diesel::sql_types::Timestamptz, _>(window_start)
    .get_result(conn)?;
    if count == 1 {
        // A new window: forget the old ones.
        diesel::delete(
            intake_rate_windows::table
                .filter(intake_rate_windows::source_id.eq(source_id))
                .filter(intake_rate_windows::window_start.lt(window_start)),
        )
        .execute(conn)?;
    }
    Ok(count)
}

/// Claims an idempotency key for a new request; `false` when someone already holds it.
pub fn claim_key(conn: &mut PgConnection, record: &IdempotencyKey) -> QueryResult<bool> {
    diesel::insert_into(idempotency_keys::table)
        .values(record)
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|n| n == 1)
}

pub fn find_key(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
) -> QueryResult<Option<IdempotencyKey>> {
    idempotency_keys::table
        .find((source_id, key))
        .select(IdempotencyKey::as_select())
        .first(conn)
        .optional()
}

/// Takes over an unfinished key whose first request stopped (it is older than `stale_before`),
/// with a new claim.
pub fn take_over_key(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    stale_before: DateTime<Utc>,
    claim: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        idempotency_keys::table
            .find((source_id, key))
            .filter(idempotency_keys::status.is_null())
            .filter(idempotency_keys::created_at.lt(stale_before)),
    )
    .set((
        idempotency_keys::created_at.eq(now),
        idempotency_keys::claim.eq(claim),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Locks the key for the work, if `claim` still holds it (unfinished, not taken over).
pub fn lock_claim(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
) -> QueryResult<bool> {
    idempotency_keys::table
        .find((source_id, key))
        .filter(idempotency_keys::claim.eq(claim))
        .filter(idempotency_keys::status.is_null())
        .select(idempotency_keys::claim)
        .for_update()
        .first::<Uuid>(conn)
        .optional()
        .map(|found| found.is_some())
}

pub fn complete_key(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
    status: i16,
    response_enc: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        idempotency_keys::table
            .find((source_id, key))
            .filter(idempotency_keys::claim.eq(claim)),
    )
    .set((
        idempotency_keys::status.eq(status),
        idempotency_keys::response_enc.eq(response_enc),
        idempotency_keys::completed_at.eq(now),
    ))
    .execute(conn)
}

pub fn release_key(
    conn: &mut PgConnection,
    source_id: Uuid,
    key: &str,
    claim: Uuid,
) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((source_id, key))
            .filter(idempotency_keys::claim.eq(claim))
            .filter(idempotency_keys::status.is_null()),
    )
    .execute(conn)
    .map(|_| ())
}

/// Forgets completed keys older than `before`.
pub fn expire_keys(
    conn: &mut PgConnection,
    source_id: Uuid,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table
            .filter(idempotency_keys::source_id.eq(source_id))
            .filter(idempotency_keys::created_at.lt(before))
            .filter(idempotency_keys::status.is_not_null()),
    )
    .execute(conn)
}

pub fn insert_quarantine(conn: &mut PgConnection, entry: &QuarantineEntry) -> QueryResult<()> {
    diesel::insert_into(intake_quarantine::table)
        .values(entry)
        .execute(conn)
        .map(|_| ())
}

pub fn quarantine_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> QueryResult<Option<QuarantineEntry>> {
    intake_quarantine::table
        .find(id)
        .select(QuarantineEntry::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn list_quarantine(
    conn: &mut PgConnection,
    status: Option<QuarantineStatus>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<QuarantineEntry>> {
    let mut query = intake_quarantine::table
        .select(QuarantineEntry::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(intake_quarantine::status.eq(status.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(intake_quarantine::id.gt(after));
    }
    query.order(intake_quarantine::id).limit(limit).load(conn)
}

pub fn decide_quarantine(
    conn: &mut PgConnection,
    id: Uuid,
    status: QuarantineStatus,
    lead_id: Option<Uuid>,
    decided_by: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<QuarantineEntry> {
    diesel::update(intake_quarantine::table.find(id))
        .set((
            intake_quarantine::status.eq(status),
            intake_quarantine::lead_id.eq(lead_id),
            intake_quarantine::decided_by.eq(decided_by),
            intake_quarantine::decided_at.eq(now),
        ))
        .returning(QuarantineEntry::as_returning())
        .get_result(conn)
}
