//! CSV imports: decoding (UTF-8 with or without BOM, GBK/GB18030), column mapping, chunked
//! storage (encrypted), and chunk-by-chunk processing that is resumable and never half-written.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::crypto::Vault;
use crate::db::models::{Import, ImportChunk, ImportReject, Lead, LeadEvent};
use crate::domain::custom_field::{FieldDef, FieldType, merge};
use crate::domain::lead::{RawLead, SourceChannel, clean_lead};
use crate::error::{AppError, FieldError};
use crate::repo;
use crate::service::audit::Audit;
use crate::service::leads::{Outcome, Submission, Via, keys, pooled_lead};

/// Purpose of encrypted import rows.
const ROWS: &str = "import_rows";
/// How long a worker holds an import before another may take it over.
pub const LEASE_SECS: i64 = 120;

/// Lead fields a CSV column can map to (besides `custom.<key>`).
pub const TARGETS: [&str; 15] = [
    "name",
    "company",
    "phone",
    "email",
    "wechat",
    "province",
    "city",
    "industry",
    "company_size",
    "needs",
    "grade",
    "source_channel",
    "source_detail",
    "tags",
    "ignore",
];

/// Usual Chinese (and English) headers, mapped when the upload gives no mapping.
fn guess_target(header: &str) -> Option<&'static str> {
    let h = crate::domain::text::to_half_width(header)
        .trim()
        .to_lowercase();
    Some(match h.as_str() {
        "name" | "姓名" | "联系人" | "客户姓名" => "name",
        "company" | "公司" | "公司名称" | "单位" | "企业名称" => "company",
        "phone" | "mobile" | "电话" | "手机" | "手机号" | "联系电话" => "phone",
        "email" | "e-mail" | "邮箱" | "电子邮箱" => "email",
        "wechat" | "微信" | "微信号" => "wechat",
        "province" | "省份" | "省" => "province",
        "city" | "城市" | "市" => "city",
        "industry" | "行业" => "industry",
        "company_size" | "规模" | "公司规模" => "company_size",
        "needs" | "需求" | "备注" => "needs",
        "grade" | "等级" | "级别" => "grade",
        "source_channel" | "渠道" => "source_channel",
        "source_detail" | "来源" | "来源详情" => "source_detail",
        "tags" | "标签" => "tags",
        _ => return None,
    })
}

/// Decodes an uploaded file: UTF-8 (a BOM is dropped) or, when it is not valid UTF-8, GB18030
/// (a superset of GBK, as Chinese Excel writes CSV).
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), AppError> {
    let not_text = || {
        AppError::validation(
            "file",
            "invalid_encoding",
            "the file is neither UTF-8 nor GBK/GB18030 text",
        )
    };
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    let (text, encoding) = match std::str::from_utf8(without_bom.unwrap_or(bytes)) {
        Ok(text) => (
            Cow::Borrowed(text),
            if without_bom.is_some() {
                "utf-8-bom"
            } else {
                "utf-8"
            },
        ),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(not_text());
            }
            (text, "gb18030")
        }
    };
    // Text files have no NUL characters (and PostgreSQL text cannot hold them).
    if text.contains('\0') {
        return Err(not_text());
    }
    Ok((text, encoding))
}

/// Reads a CSV text: returns its header and hands each row that is not blank to `row`, in order.
pub fn read_csv(
    text: &str,
    mut row: impl FnMut(Vec<String>) -> Result<(), AppError>,
) -> Result<Vec<String>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            AppError::validation(
                "file",
                "invalid_csv",
                format!("cannot read the header: {e}"),
            )
        })?
        .iter()
        .map(|h| crate::domain::text::clean(h).unwrap_or_default())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(AppError::validation(
            "file",
            "invalid_csv",
            "the file has no header row",
        ));
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if record.iter().all(|f| f.trim().is_empty()) => {}
            Ok(true) => row(record.iter().map(str::to_string).collect())?,
            Err(e) => return Err(AppError::validation("file", "invalid_csv", e.to_string())),
        }
    }
    Ok(header)
}

/// An uploaded CSV, read and sealed: its rows in encrypted chunks, ready to store.
#[derive(Debug)]
pub struct SealedCsv {
    pub encoding: &'static str,
    pub header: Vec<String>,
    pub rows_total: usize,
    pub chunks: Vec<SealedChunk>,
}

/// Consecutive rows of an upload, encrypted; `first_row` numbers the first as a spreadsheet
/// would (the header is row 1, blank rows are not counted).
#[derive(Debug)]
pub struct SealedChunk {
    pub first_row: i32,
    pub rows_enc: Vec<u8>,
}

/// Decodes, reads and seals an uploaded file chunk by chunk (`chunk_rows` rows each), so that no
/// more than one chunk of rows is held unsealed at a time.
pub fn seal_csv(bytes: &[u8], vault: &Vault, chunk_rows: usize) -> Result<SealedCsv, AppError> {
    let (text, encoding) = decode(bytes)?;
    let chunk_rows = chunk_rows.max(1);
    let mut chunks = Vec::new();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(chunk_rows);
    let mut rows_total = 0;
    let mut seal = |rows: &mut Vec<Vec<String>>, rows_total: &mut usize| {
        let json = serde_json::to_vec(rows).map_err(AppError::internal)?;
        chunks.push(SealedChunk {
            // row 1 is the header, as a spreadsheet numbers them
            first_row: i32::try_from(*rows_total + 2).map_err(AppError::internal)?,
            rows_enc: vault.encrypt(ROWS, &json),
        });
        *rows_total += rows.len();
        rows.clear();
        Ok::<_, AppError>(())
    };
    let header = read_csv(&text, |row| {
        rows.push(row);
        if rows.len() == chunk_rows {
            seal(&mut rows, &mut rows_total)?;
        }
        Ok(())
    })?;
    if !rows.is_empty() {
        seal(&mut rows, &mut rows_total)?;
    }
    Ok(SealedCsv {
        encoding,
        header,
        rows_total,
        chunks,
    })
}

/// Resolves the mapping (header → target) against the header and the custom fields: given, or
/// guessed from usual header names.
pub fn resolve_mapping(
    header: &[String],
    given: Option<&Map<String, Value>>,
    defs: &[FieldDef],
) -> Result<Map<String, Value>, AppError> {
    let mut mapping = Map::new();
    let mut errors = Vec::new();
    match given {
        Some(given) => {
            for (column, target) in given {
                let field = format!("mapping.{column}");
                if !header.contains(column) {
                    errors.push(FieldError::new(
                        field.clone(),
                        "unknown_column",
                        "the file has no such column",
                    ));
                    continue;
                }
                let Some(target) = target.as_str() else {
                    errors.push(FieldError::new(
                        field,
                        "invalid_type",
                        "must be a field name",
                    ));
                    continue;
                };
                let known = TARGETS.contains(&target)
                    || target
                        .strip_prefix("custom.")
                        .is_some_and(|key| defs.iter().any(|d| d.key == key));
                if !known {
                    errors.push(FieldError::new(
                        field,
                        "unknown_target",
                        format!(
                            "{target:?} is not a lead field (use one of {}, or custom.<key>)",
                            TARGETS.join(", ")
                        ),
                    ));
                    continue;
                }
                mapping.insert(column.clone(), Value::String(target.to_string()));
            }
        }
        None => {
            for column in header {
                if let Some(target) = guess_target(column) {
                    mapping.insert(column.clone(), Value::String(target.into()));
                } else if let Some(def) = defs.iter().find(|d| &d.key == column) {
                    mapping.insert(column.clone(), Value::String(format!("custom.{}", def.key)));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let targets: Vec<&str> = mapping.values().filter_map(Value::as_str).collect();
    if !["phone", "email", "wechat", "company", "name"]
        .iter()
        .any(|t| targets.contains(t))
    {
        return Err(AppError::validation(
            "mapping",
            "no_contact_column",
            "map at least one of phone, email, wechat, or company and name",
        ));
    }
    Ok(mapping)
}

/// A parsed upload, ready to be stored.
pub struct Upload {
    pub file_name: Option<String>,
    pub csv: SealedCsv,
    pub mapping: Map<String, Value>,
    pub pool_id: Option<Uuid>,
    pub source_channel: SourceChannel,
    pub dry_run: bool,
}

/// Stores an upload (rows encrypted, in chunks) as a queued import.
pub fn create(
    conn: &mut PgConnection,
    uploader: Uuid,
    upload: Upload,
    now: DateTime<Utc>,
) -> Result<Import, AppError> {
    if let Some(pool_id) = upload.pool_id {
        repo::pools::find(conn, pool_id)?
            .ok_or_else(|| AppError::validation("pool_id", "not_found", "no pool has this id"))?;
    }
    let id = Uuid::now_v7();
    let csv = upload.csv;
    let import = Import {
        id,
        uploaded_by: uploader,
        dry_run: upload.dry_run,
        status: "queued".into(),
        file_name: upload.file_name,
        encoding: csv.encoding.into(),
        header: csv.header,
        mapping: Value::Object(upload.mapping),
        pool_id: upload.pool_id,
        source_channel: upload.source_channel.as_str().into(),
        rows_total: i32::try_from(csv.rows_total).map_err(AppError::internal)?,
        rows_done: 0,
        created: 0,
        merged: 0,
        rejected: 0,
        duplicates_in_file: 0,
        duplicates_in_db: 0,
        chunks_total: i32::try_from(csv.chunks.len()).map_err(AppError::internal)?,
        chunks_done: 0,
        lease_until: None,
        lease_token: None,
        error: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    let import = repo::imports::insert(conn, &import)?;
    let stored: Vec<ImportChunk> = (0..)
        .zip(csv.chunks)
        .map(|(seq, chunk)| ImportChunk {
            import_id: id,
            seq,
            first_row: chunk.first_row,
            rows_enc: chunk.rows_enc,
            done: false,
        })
        .collect();
    repo::imports::insert_chunks(conn, &stored)?;
    if !import.dry_run {
        Audit::of(Some(uploader), "import.created", "import", Some(id), now)
            .change(
                None,
                Some(
                    serde_json::json!({"file_name": import.file_name, "rows": import.rows_total,
                    "pool_id": import.pool_id, "source_channel": import.source_channel}),
                ),
            )
            .write(conn)?;
    }
    Ok(import)
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '|', '，', '；', '、'])
        .filter_map(crate::domain::text::clean)
        .collect()
}

/// One CSV row as a raw lead, following the mapping.
fn raw_lead(
    header: &[String],
    mapping: &Map<String, Value>,
    defs: &[FieldDef],
    row: &[String],
) -> RawLead {
    let mut raw = RawLead::default();
    for (i, column) in header.iter().enumerate() {
        let Some(target) = mapping.get(column).and_then(Value::as_str) else {
            continue;
        };
        let Some(value) = row.get(i).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value = value.clone();
        match target {
            "name" => raw.name = Some(value),
            "company" => raw.company = Some(value),
            "phone" => raw.phone = Some(value),
            "email" => raw.email = Some(value),
            "wechat" => raw.wechat = Some(value),
            "province" => raw.province = Some(value),
            "city" => raw.city = Some(value),
            "industry" => raw.industry = Some(value),
            "company_size" => raw.company_size = Some(value),
            "needs" => raw.needs = Some(value),
            "grade" => raw.grade = Some(value),
            "source_channel" => raw.source_channel = Some(value),
            "source_detail" => raw.source_detail = Some(value),
            "tags" => raw.tags = split_list(&value),
            other => {
                if let Some(key) = other.strip_prefix("custom.") {
                    let multi = defs
                        .iter()
                        .any(|d| d.key == key && d.field_type == FieldType::MultiSelect);
                    let v = if multi {
                        Value::Array(split_list(&value).into_iter().map(Value::String).collect())
                    } else {
                        Value::String(value)
                    };
                    raw.custom.insert(key.to_string(), v);
                }
            }
        }
    }
    raw
}

fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
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

/// A cleaned, valid row: its dedupe keys and, for a real run, the lead to insert.
struct ValidRow {
    row_no: i32,
    keys: Vec<Vec<u8>>,
    stored: Option<(Lead, Submission)>,
}

/// What cleaning needs to know about the import, shared by the cleaning threads.
struct Cleaning<'a> {
    vault: &'a Vault,
    import: &'a Import,
    mapping: Map<String, Value>,
    defs: &'a [FieldDef],
    default_channel: SourceChannel,
    pools: Vec<crate::domain::routing::RoutablePool>,
    now: DateTime<Utc>,
}

impl Cleaning<'_> {
    fn reject(&self, row_no: i32, row: &[String], reason: String) -> ImportReject {
        ImportReject {
            import_id: self.import.id,
            row_no,
            raw_enc: self
                .vault
                .encrypt(ROWS, &serde_json::to_vec(row).unwrap_or_default()),
            reason,
        }
    }

    /// Cleans one row: a valid row, or the reason it is rejected.
    fn row(&self, row_no: i32, row: &[String]) -> Result<ValidRow, ImportReject> {
        let import = self.import;
        if row.len() != import.header.len() {
            let reason = format!(
                "has {} columns, the header has {}",
                row.len(),
                import.header.len()
            );
            return Err(self.reject(row_no, row, reason));
        }
        let raw = raw_lead(&import.header, &self.mapping, self.defs, row);
        let clean = clean_lead(&raw).map_err(|errors| {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|(f, c, m)| FieldError::new(f, c, m))
                .collect();
            self.reject(row_no, row, describe(&errors))
        })?;
        if !clean.is_identifiable() {
            let reason = "no phone, email or WeChat id, nor both company and name".into();
            return Err(self.reject(row_no, row, reason));
        }
        let custom = merge(self.defs, &Map::new(), &clean.custom, true).map_err(|errors| {
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|(k, c, m)| FieldError::new(format!("custom.{k}"), c, m))
                .collect();
            self.reject(row_no, row, describe(&errors))
        })?;
        let channel = clean.source_channel.unwrap_or(self.default_channel);
        let routed = import.pool_id.or_else(|| {
            crate::domain::routing::route(
                &self.pools,
                Some(channel),
                clean.province.as_deref(),
                clean.industry.as_deref(),
            )
        });
        let Some(pool_id) = routed else {
            let reason = "no pool's routing matches and there is no default pool".into();
            return Err(self.reject(row_no, row, reason));
        };
        let k = keys(self.vault, &clean);
        let keys: Vec<Vec<u8>> = [&k.phone, &k.email, &k.wechat, &k.identity]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if import.dry_run {
            return Ok(ValidRow {
                row_no,
                keys,
                stored: None,
            });
        }
        let lead = Lead {
            created_by: Some(import.uploaded_by),
            import_id: Some(import.id),
            ..pooled_lead(self.vault, &clean, &k, pool_id, channel, custom, self.now)
        };
        let payload: Value = import
            .header
            .iter()
            .zip(row.iter())
            .map(|(h, v)| (h.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>()
            .into();
        let submission = Submission {
            lead: clean,
            pool_id: Some(pool_id),
            via: Via::Import,
            actor_id: Some(import.uploaded_by),
            intake_source_id: None,
            import_id: Some(import.id),
            known_duplicate: true,
            default_channel: self.default_channel,
            payload,
        };
        Ok(ValidRow {
            row_no,
            keys,
            stored: Some((lead, submission)),
        })
    }
}
/// Cleans the rows of a chunk on every core (phone parsing and encryption are the costly part),
/// keeping their order.
fn clean_rows(
    cleaning: &Cleaning<'_>,
    first_row: i32,
    rows: &[Vec<String>],
) -> Vec<Result<ValidRow, ImportReject>> {
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .clamp(1, 8);
    let per_thread = rows.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = rows
            .chunks(per_thread)
            .enumerate()
            .map(|(part, rows)| {
                let first = first_row + (part * per_thread) as i32;
                scope.spawn(move || {
                    rows.iter()
                        .enumerate()
                        .map(|(offset, row)| cleaning.row(first + offset as i32, row))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

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
        .decrypt(ROWS, &chunk.rows_enc)
        .map_err(|e| AppError::internal(format!("import rows: {e}")))?;
    let rows: Vec<Vec<String>> = serde_json::from_slice(&bytes).map_err(AppError::internal)?;
    let cleaning = Cleaning {
        vault,
        import,
        mapping: import.mapping.as_object().cloned().unwrap_or_default(),
        defs,
        default_channel: import
            .source_channel
            .parse()
            .map_err(|_| AppError::internal("unknown import channel"))?,
        pools: super::pools::routing_table(conn)?,
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
                    kind: "created".into(),
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
        for outcome in super::leads::merge_many(conn, vault, defs, duplicates, now)? {
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
    let resumed = import.status == "running";
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
        code: "lease_lost",
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
        repo::imports::finish(conn, import_id, "done", None, now)?;
        return Ok(false);
    };
    let defs = super::lead_fields::field_defs(conn)?;
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
        "failed",
        Some(error),
        now,
    )?)
}

/// An import the caller may see: its uploader, or an admin.
pub fn get(
    conn: &mut PgConnection,
    actor: &crate::auth::AuthUser,
    id: Uuid,
) -> Result<Import, AppError> {
    let import = repo::imports::find(conn, id)?.ok_or(AppError::NotFound)?;
    if actor.role != crate::domain::role::Role::Admin && import.uploaded_by != actor.id {
        return Err(AppError::NotFound);
    }
    Ok(import)
}

/// The rejected (and, for dry runs, duplicate) rows as CSV: the original columns, then `row` and
/// `reason`; UTF-8 with a BOM so that Excel shows Chinese text correctly, and every cell through
/// [`crate::spreadsheet::cell`] (the rows are a stranger's file).
pub fn rejected_csv(
    conn: &mut PgConnection,
    vault: &Vault,
    import: &Import,
) -> Result<Vec<u8>, AppError> {
    let rejects = repo::imports::rejects(conn, import.id)?;
    let mut out = Vec::from(b"\xEF\xBB\xBF".as_slice());
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let mut header = import.header.clone();
        header.push("row".into());
        header.push("reason".into());
        let cells = |row: &[String]| -> Vec<String> {
            row.iter()
                .map(|field| crate::spreadsheet::cell(field).into_owned())
                .collect()
        };
        writer
            .write_record(cells(&header))
            .map_err(AppError::internal)?;
        for reject in rejects {
            let bytes = vault
                .decrypt(ROWS, &reject.raw_enc)
                .map_err(|e| AppError::internal(format!("rejected row: {e}")))?;
            let mut row: Vec<String> =
                serde_json::from_slice(&bytes).map_err(AppError::internal)?;
            row.resize(import.header.len(), String::new());
            row.push(reject.row_no.to_string());
            row.push(reject.reason);
            writer
                .write_record(cells(&row))
                .map_err(AppError::internal)?;
        }
        writer.flush().map_err(AppError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_with_and_without_bom_and_gbk() {
        assert_eq!(
            decode("姓名,电话\n".as_bytes()).unwrap(),
            ("姓名,电话\n".into(), "utf-8")
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("姓名".as_bytes());
        assert_eq!(decode(&bom).unwrap(), ("姓名".into(), "utf-8-bom"));
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,电话\n张三,13812345678\n");
        let (text, encoding) = decode(&gbk).unwrap();
        assert_eq!(text, "姓名,电话\n张三,13812345678\n");
        assert_eq!(encoding, "gb18030");
    }

    #[test]
    fn csv_header_and_rows() {
        let mut rows = Vec::new();
        let header = read_csv(
            " 姓名 ,电话\n张三,13812345678\n\n\"李,四\",139\n",
            |row| {
                rows.push(row);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(header, vec!["姓名", "电话"]);
        assert_eq!(
            rows,
            vec![
                vec!["张三".to_string(), "13812345678".into()],
                vec!["李,四".into(), "139".into()]
            ]
        );
    }

    #[test]
    fn uploads_are_sealed_in_chunks_numbered_as_a_spreadsheet_does() {
        use crate::crypto::Key;
        let vault = Vault::new(Key::random(), vec![], Key::random());
        let file = "姓名,电话\n甲,1\n乙,2\n\n丙,3\n丁,4\n戊,5\n";
        let sealed = seal_csv(file.as_bytes(), &vault, 2).unwrap();
        assert_eq!(sealed.header, vec!["姓名", "电话"]);
        assert_eq!(sealed.rows_total, 5);
        let opened: Vec<(i32, Vec<Vec<String>>)> = sealed
            .chunks
            .iter()
            .map(|c| {
                let json = vault.decrypt(ROWS, &c.rows_enc).unwrap();
                (c.first_row, serde_json::from_slice(&json).unwrap())
            })
            .collect();
        let names = |chunk: &[Vec<String>]| chunk.iter().map(|r| r[0].clone()).collect::<Vec<_>>();
        assert_eq!(opened.len(), 3);
        assert_eq!(
            (opened[0].0, names(&opened[0].1)),
            (2, vec!["甲".into(), "乙".into()])
        );
        assert_eq!(
            (opened[1].0, names(&opened[1].1)),
            (4, vec!["丙".into(), "丁".into()])
        );
        assert_eq!(
            (opened[2].0, names(&opened[2].1)),
            (6, vec!["戊".to_string()])
        );
        let empty = seal_csv("姓名,电话\n".as_bytes(), &vault, 2).unwrap();
        assert_eq!((empty.rows_total, empty.chunks.len()), (0, 0));
    }

    #[test]
    fn mapping_is_guessed_from_usual_headers_or_checked() {
        let header: Vec<String> = ["姓名", "手机", "公司名称", "Remark"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let guessed = resolve_mapping(&header, None, &[]).unwrap();
        assert_eq!(guessed["姓名"], "name");
        assert_eq!(guessed["手机"], "phone");
        assert!(!guessed.contains_key("Remark"));
        let given = json!({"Remark": "needs", "Nope": "name", "手机": "fax"});
        let err = resolve_mapping(&header, given.as_object(), &[]).unwrap_err();
        match err {
            AppError::Validation(errors) => assert_eq!(errors.len(), 2),
            other => panic!("{other:?}"),
        }
        let err =
            resolve_mapping(&header, json!({"Remark": "needs"}).as_object(), &[]).unwrap_err();
        assert_eq!(
            err.to_problem().errors.unwrap()[0].code,
            "no_contact_column"
        );
    }
}
