//! Processing an import chunk by chunk under a lease: resumable, never half-written.

use super::*;
use crate::domain::import::ImportStatus;
use crate::error::ErrorCode;

/// Processes one chunk in the caller's transaction: cleans every row, stores the valid ones as
/// leads in bulk (duplicates of open leads become touches on them), records rejected rows, and
/// adds to the counters. A dry run writes only the report; `seen` carries the dedupe keys of
/// earlier rows of the file.
pub fn process_chunk(
    conn: &mut PgConnection,
    vault: &Vault,
    import: &Import,
    chunk: &ImportChunk,
    defs: &[FieldDef],
    seen: &mut HashMap<Vec<u8>, i32>,
    now: DateTime<Utc>,
) -> Result<ChunkCounts, AppError> {
    let bytes = vault
        .decrypt(Purpose::ImportRows, &chunk.rows_enc)
        .map_err(|e| AppError::internal(format!("import rows: {e}")))?;
    let rows: Vec<Vec<String>> = serde_json::from_slice(&bytes).map_err(AppError::internal)?;
    let cleaning = Cleaning {
        vault,
        import,
        mapping: import.mapping.as_object().cloned().unwrap_or_default(),
        defs,
        default_channel: import.source_channel,
        pools: crate::service::routing::routing_table(conn)?,
        now,
    };
    let mut counts = ChunkCounts {
        rows: rows.len() as i32,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let mut rejects: Vec<ImportReject> = Vec::new();
    let mut valid: Vec<ValidRow> = Vec::with_capacity(rows.len());
    for cleaned in clean_rows(&cleaning, chunk.first_row, &rows) {
        match cleaned {
            Ok(row) => valid.push(row),
            Err(reject) => {
                counts.rejected += 1;
                rejects.push(reject);
            }
        }
    }
    let cleaned_in = started.elapsed();

    if import.dry_run {
        for row in valid {
            if let Some(first) = row.keys.iter().find_map(|k| seen.get(k)) {
                counts.duplicates_in_file += 1;
                let reason =
                    format!("duplicate of row {first} of this file (would be merged into it)");
                rejects.push(cleaning.reject(
                    row.row_no,
                    &rows[(row.row_no - chunk.first_row) as usize],
                    reason,
                ));
                continue;
            }
            for key in &row.keys {
                seen.insert(key.clone(), row.row_no);
            }
            let key_refs: Vec<&[u8]> = row.keys.iter().map(Vec::as_slice).collect();
            if repo::leads::open_duplicate_exists(conn, &key_refs)? {
                counts.duplicates_in_db += 1;
                let reason = "duplicate of an existing open lead (would be merged into it)".into();
                rejects.push(cleaning.reject(
                    row.row_no,
                    &rows[(row.row_no - chunk.first_row) as usize],
                    reason,
                ));
            } else {
                counts.created += 1;
            }
        }
    } else if !valid.is_empty() {
        // In file order: a row that shares a key with an earlier row of the chunk duplicates it
        // (and its merge fills its keys in, so a later row with only those is one too). The
        // other rows are inserted in bulk, and the unique indexes skip those an open lead
        // already has (in the database or an earlier chunk). Duplicates are merged in order.
        let mut claimed: HashSet<Vec<u8>> = HashSet::new();
        let mut fresh: Vec<Lead> = Vec::with_capacity(valid.len());
        let mut in_order: Vec<(i32, Option<usize>, Submission)> = Vec::with_capacity(valid.len());
        for row in valid {
            let Some((lead, sub)) = row.stored else {
                continue;
            };
            let duplicate = row.keys.iter().any(|k| claimed.contains(k));
            claimed.extend(row.keys);
            let at = (!duplicate).then(|| {
                fresh.push(lead);
                fresh.len() - 1
            });
            in_order.push((row.row_no, at, sub));
        }
        let inserted: HashSet<Uuid> = repo::leads::insert_many_if_new(conn, &fresh)?
            .into_iter()
            .collect();
        let mut events: Vec<LeadEvent> = Vec::with_capacity(inserted.len());
        let mut duplicates: Vec<Submission> = Vec::new();
        for (row_no, at, sub) in in_order {
            match at.map(|at| &fresh[at]) {
                Some(lead) if inserted.contains(&lead.id) => events.push(LeadEvent {
                    id: Uuid::now_v7(),
                    lead_id: lead.id,
                    kind: crate::domain::event::LeadEventKind::Created,
                    actor_id: Some(import.uploaded_by),
                    details: json!({"via": "import", "import_id": import.id, "row": row_no,
                                    "source_channel": lead.source_channel, "pool_id": lead.pool_id}),
                    created_at: now,
                }),
                _ => duplicates.push(sub),
            }
        }
        repo::leads::insert_events(conn, &events)?;
        counts.created += inserted.len() as i32;
        for outcome in crate::service::leads::merge_many(conn, vault, defs, duplicates, now)? {
            match outcome {
                Outcome::Merged { lead, .. } | Outcome::Duplicate(lead) => {
                    counts.merged += 1;
                    if lead.import_id == Some(import.id) {
                        counts.duplicates_in_file += 1;
                    } else {
                        counts.duplicates_in_db += 1;
                    }
                }
                Outcome::Created(_) => counts.created += 1,
            }
        }
    }
    repo::imports::insert_rejects(conn, &rejects)?;
    log::debug!(
        "import {} chunk {}: {} rows, cleaned in {:?}, stored in {:?} ({} merged)",
        import.id,
        chunk.seq,
        counts.rows,
        cleaned_in,
        started.elapsed() - cleaned_in,
        counts.merged
    );
    Ok(counts)
}

/// Claims the oldest import that needs work (queued, or running under an expired lease).
pub fn claim_next(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Option<Import>, AppError> {
    let Some(import) = repo::imports::next_pending(conn, now)? else {
        return Ok(None);
    };
    let resumed = import.status == ImportStatus::Running;
    if resumed && import.dry_run {
        // A dry run keeps its in-file dedupe keys in memory: start it over.
        repo::imports::reset(conn, import.id)?;
    }
    Ok(Some(repo::imports::lease(
        conn,
        import.id,
        Uuid::now_v7(),
        now + Duration::seconds(LEASE_SECS),
        now,
    )?))
}

/// Another worker holds the import now (this one's lease ran out).
pub fn lease_lost() -> AppError {
    AppError::Conflict {
        code: ErrorCode::LeaseLost,
        detail: "another worker took this import over".into(),
    }
}

/// Processes the next unfinished chunk of `import` (locking it, so it is done exactly once) and
/// renews the lease, provided `lease_token` still holds the import (else `lease_lost`). `false`
/// when no chunk is left (the import is then marked done).
pub fn process_next_chunk(
    conn: &mut PgConnection,
    vault: &Vault,
    import_id: Uuid,
    lease_token: Uuid,
    seen: &mut HashMap<Vec<u8>, i32>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let import =
        repo::imports::lock_if_held(conn, import_id, lease_token)?.ok_or_else(lease_lost)?;
    let Some(chunk) = repo::imports::next_chunk(conn, import_id)? else {
        repo::imports::finish(conn, import_id, ImportStatus::Done, None, now)?;
        return Ok(false);
    };
    let defs = crate::service::lead_fields::field_defs(conn)?;
    let counts = process_chunk(conn, vault, &import, &chunk, &defs, seen, now)?;
    repo::imports::complete_chunk(
        conn,
        import_id,
        chunk.seq,
        &counts,
        now + Duration::seconds(LEASE_SECS),
        now,
    )?;
    Ok(true)
}

/// Marks an import failed (a bug or corrupt data, not a passing database outage).
pub fn fail(
    conn: &mut PgConnection,
    import_id: Uuid,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    Ok(repo::imports::finish(
        conn,
        import_id,
        ImportStatus::Failed,
        Some(error),
        now,
    )?)
}
