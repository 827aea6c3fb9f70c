//! Imports, their chunks and rejected rows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::import::ImportStatus;

use crate::db::models::{Import, ImportChunk, ImportReject};
use crate::db::schema::{import_chunks, import_rejects, imports};

pub fn insert(conn: &mut PgConnection, import: &Import) -> QueryResult<Import> {
    diesel::insert_into(imports::table)
        .values(import)
        .returning(Import::as_returning())
        .get_result(conn)
}

pub fn insert_chunks(conn: &mut PgConnection, chunks: &[ImportChunk]) -> QueryResult<()> {
    for batch in chunks.chunks(1000) {
        diesel::insert_into(import_chunks::table)
            .values(batch)
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_rejects(conn: &mut PgConnection, rejects: &[ImportReject]) -> QueryResult<()> {
    for batch in rejects.chunks(5000) {
        diesel::insert_into(import_rejects::table)
            .values(batch)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

/// What processing a chunk adds to the import's counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChunkCounts {
    pub rows: i32,
    pub created: i32,
    pub merged: i32,
    pub rejected: i32,
    pub duplicates_in_file: i32,
    pub duplicates_in_db: i32,
}

/// The import, locked, if the lease `token` still holds it.
pub fn lock_if_held(conn: &mut PgConnection, id: Uuid, token: Uuid) -> QueryResult<Option<Import>> {
    imports::table
        .find(id)
        .filter(imports::lease_token.eq(token))
        .filter(imports::status.eq(ImportStatus::Running))
        .select(Import::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Imports newest first (of one uploader, or everyone's), after `after`.
pub fn list(
    conn: &mut PgConnection,
    uploaded_by: Option<Uuid>,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Import>> {
    let mut query = imports::table.select(Import::as_select()).into_boxed();
    if let Some(user) = uploaded_by {
        query = query.filter(imports::uploaded_by.eq(user));
    }
    if let Some(after) = after {
        query = query.filter(imports::id.lt(after));
    }
    query.order(imports::id.desc()).limit(limit).load(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Import>> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .optional()
}

/// The oldest import needing work that no live worker holds, locked (others skip it).
pub fn next_pending(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<Option<Import>> {
    imports::table
        .filter(imports::status.eq_any([ImportStatus::Queued, ImportStatus::Running]))
        .filter(
            imports::lease_until
                .is_null()
                .or(imports::lease_until.lt(now)),
        )
        .order(imports::created_at)
        .select(Import::as_select())
        .for_update()
        .skip_locked()
        .first(conn)
        .optional()
}

pub fn lease(
    conn: &mut PgConnection,
    id: Uuid,
    token: Uuid,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<Import> {
    diesel::update(imports::table.find(id))
        .set((
            imports::status.eq(ImportStatus::Running),
            imports::lease_until.eq(until),
            imports::lease_token.eq(token),
            imports::updated_at.eq(now),
        ))
        .returning(Import::as_returning())
        .get_result(conn)
}

/// Starts an import over: its report and counters cleared, every chunk to do again.
pub fn reset(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(import_rejects::table.filter(import_rejects::import_id.eq(id))).execute(conn)?;
    diesel::update(import_chunks::table.filter(import_chunks::import_id.eq(id)))
        .set(import_chunks::done.eq(false))
        .execute(conn)?;
    diesel::update(imports::table.find(id))
        .set((
            imports::rows_done.eq(0),
            imports::created.eq(0),
            imports::merged.eq(0),
            imports::rejected.eq(0),
            imports::duplicates_in_file.eq(0),
            imports::duplicates_in_db.eq(0),
            imports::chunks_done.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

/// The first chunk not done yet, locked until the transaction ends.
pub fn next_chunk(conn: &mut PgConnection, import_id: Uuid) -> QueryResult<Option<ImportChunk>> {
    import_chunks::table
        .filter(import_chunks::import_id.eq(import_id))
        .filter(import_chunks::done.eq(false))
        .order(import_chunks::seq)
        .select(ImportChunk::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Marks a chunk done and adds its counts, renewing the lease (same transaction as the rows).
pub fn complete_chunk(
    conn: &mut PgConnection,
    import_id: Uuid,
    seq: i32,
    counts: &ChunkCounts,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(import_chunks::table.find((import_id, seq)))
        .set(import_chunks::done.eq(true))
        .execute(conn)?;
    diesel::update(imports::table.find(import_id))
        .set((
            imports::rows_done.eq(imports::rows_done + counts.rows),
            imports::created.eq(imports::created + counts.created),
            imports::merged.eq(imports::merged + counts.merged),
            imports::rejected.eq(imports::rejected + counts.rejected),
            imports::duplicates_in_file.eq(imports::duplicates_in_file + counts.duplicates_in_file),
            imports::duplicates_in_db.eq(imports::duplicates_in_db + counts.duplicates_in_db),
            imports::chunks_done.eq(imports::chunks_done + 1),
            imports::lease_until.eq(lease_until),
            imports::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    status: ImportStatus,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(imports::table.find(id))
        .set((
            imports::status.eq(status),
            imports::error.eq(error),
            imports::lease_until.eq(None::<DateTime<Utc>>),
            imports::finished_at.eq(now),
            imports::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn rejects(conn: &mut PgConnection, import_id: Uuid) -> QueryResult<Vec<ImportReject>> {
    import_rejects::table
        .filter(import_rejects::import_id.eq(import_id))
        .order(import_rejects::row_no)
        .select(ImportReject::as_select())
        .load(conn)
}
