//! CSV imports: decoding (UTF-8 with or without BOM, GBK/GB18030), column mapping, chunked
//! storage (encrypted), and chunk-by-chunk processing that is resumable and never half-written.

mod file;
mod mapping;
mod process;
mod rows;

pub use crate::repo::imports::ChunkCounts;
pub use file::*;
pub use mapping::*;
pub use process::*;
use rows::*;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::crypto::{Purpose, Vault};
use crate::db::models::{Import, ImportChunk, ImportReject, Lead, LeadEvent};
use crate::domain::custom_field::{FieldDef, FieldType, merge};
use crate::domain::import::ImportStatus;
use crate::domain::lead::{RawLead, SourceChannel, clean_lead};
use crate::error::{AppError, FieldError};
use crate::repo;
use crate::service::audit::Audit;
use crate::service::leads::{Outcome, Submission, Via, keys, pooled_lead};

/// Purpose of encrypted import rows.
/// How long a worker holds an import before another may take it over.
pub const LEASE_SECS: i64 = 120;

/// A sealed upload and what came with it, ready to be stored.
pub struct Upload {
    pub file_name: Option<String>,
    pub csv: SealedCsv,
    /// Column → field, as sent (none: the columns' own names).
    pub mapping: Option<Map<String, Value>>,
    pub pool_id: Option<Uuid>,
    pub source_channel: SourceChannel,
    pub dry_run: bool,
}

/// Stores an upload (rows encrypted, in chunks) as a queued import of `uploader`'s: its pool must
/// be one the uploader sees, and its mapping is resolved against the file's header and the
/// current fields.
pub fn create(
    conn: &mut PgConnection,
    uploader: &AuthUser,
    upload: Upload,
    now: DateTime<Utc>,
) -> Result<Import, AppError> {
    if let Some(pool_id) = upload.pool_id {
        crate::service::pools::require_visible(conn, uploader, pool_id)?;
    }
    let defs = crate::service::lead_fields::field_defs(conn)?;
    let mapping = resolve_mapping(&upload.csv.header, upload.mapping.as_ref(), &defs)?;
    let uploader = uploader.id;
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
        status: ImportStatus::Queued,
        file_name: upload.file_name,
        encoding: csv.encoding,
        header: csv.header,
        mapping: Value::Object(mapping),
        pool_id: upload.pool_id,
        source_channel: upload.source_channel,
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

/// An import the caller may see: its uploader, or an admin.
/// One page of imports, newest first: the caller's own uploads (admins: everyone's).
pub fn list(
    conn: &mut PgConnection,
    actor: &AuthUser,
    limit: crate::domain::page::Limit,
    cursor: Option<crate::domain::page::Cursor>,
) -> Result<crate::domain::page::Paged<Import>, AppError> {
    let only = (actor.role != crate::domain::role::Role::Admin).then_some(actor.id);
    Ok(crate::domain::page::fetch_page(
        limit,
        cursor,
        |after, n| repo::imports::list(conn, only, after, n),
        |i| i.id,
    )?)
}

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
                .decrypt(Purpose::ImportRows, &reject.raw_enc)
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
    use crate::domain::import::ImportEncoding;

    #[test]
    fn decodes_utf8_with_and_without_bom_and_gbk() {
        assert_eq!(
            decode("姓名,电话\n".as_bytes()).unwrap(),
            ("姓名,电话\n".into(), ImportEncoding::Utf8)
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("姓名".as_bytes());
        assert_eq!(
            decode(&bom).unwrap(),
            ("姓名".into(), ImportEncoding::Utf8Bom)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("姓名,电话\n张三,13812345678\n");
        let (text, encoding) = decode(&gbk).unwrap();
        assert_eq!(text, "姓名,电话\n张三,13812345678\n");
        assert_eq!(encoding, ImportEncoding::Gb18030);
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
                let json = vault.decrypt(Purpose::ImportRows, &c.rows_enc).unwrap();
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
