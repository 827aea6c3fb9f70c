//! `/imports`: CSV uploads (admins and managers), their progress and rejected rows.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::QueryParams;
use crate::AppState;
use crate::auth::{AuthUser, Supervisor};
use crate::db::{self, models::Import};
use crate::domain::import::{ImportEncoding, ImportStatus};
use crate::domain::lead::SourceChannel;
use crate::error::{AppError, Problem};
use crate::service::{self, imports::Upload};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_import)
        .service(list_imports)
        .service(get_import)
        .service(rejected_rows);
}

/// An import and its progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    pub id: Uuid,
    pub status: ImportStatus,
    /// A dry run only reports: no lead is written.
    pub dry_run: bool,
    pub file_name: Option<String>,
    pub encoding: ImportEncoding,
    /// CSV column → lead field (or `custom.<key>`).
    #[schema(value_type = HashMap<String, String>)]
    pub mapping: Map<String, Value>,
    pub pool_id: Option<Uuid>,
    pub source_channel: SourceChannel,
    pub rows_total: i32,
    pub rows_done: i32,
    /// `rows_done / rows_total`, 0 to 1.
    pub progress: f64,
    /// New leads (dry run: leads that would be created).
    pub created: i32,
    /// Rows merged into an open lead as touches (real runs).
    pub merged: i32,
    /// Rows refused, each with a reason in `/rejected`.
    pub rejected: i32,
    /// Rows that repeat an earlier row of the file.
    pub duplicates_in_file: i32,
    /// Rows that match an open lead already in the database.
    pub duplicates_in_db: i32,
    /// Why a failed import stopped.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Import> for ImportResponse {
    fn from(i: Import) -> Self {
        Self {
            source_channel: i.source_channel,
            progress: if i.rows_total == 0 {
                1.0
            } else {
                f64::from(i.rows_done) / f64::from(i.rows_total)
            },
            mapping: i.mapping.as_object().cloned().unwrap_or_default(),
            id: i.id,
            status: i.status,
            dry_run: i.dry_run,
            file_name: i.file_name,
            encoding: i.encoding,
            pool_id: i.pool_id,
            rows_total: i.rows_total,
            rows_done: i.rows_done,
            created: i.created,
            merged: i.merged,
            rejected: i.rejected,
            duplicates_in_file: i.duplicates_in_file,
            duplicates_in_db: i.duplicates_in_db,
            error: i.error,
            created_at: i.created_at,
            finished_at: i.finished_at,
        }
    }
}

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportUpload {
    /// The CSV file: UTF-8 (with or without BOM) or GBK/GB18030; the first row is the header.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// JSON object: CSV column → lead field (`name`, `company`, `phone`, `email`, `wechat`,
    /// `province`, `city`, `industry`, `company_size`, `needs`, `grade`, `source_channel`,
    /// `source_detail`, `tags`, `ignore`) or `custom.<key>`. Without it, usual headers (姓名, 手机,
    /// 公司, 邮箱, 微信, 省份, 城市, 行业...) are recognised.
    mapping: Option<String>,
    /// Put every lead in this pool (otherwise routing decides per row): one the caller may see
    /// (admins any, others one they belong to), else 422 as for an id no pool has.
    pool_id: Option<Uuid>,
    /// Channel of rows that name none (default `import`).
    source_channel: Option<SourceChannel>,
}

/// Dry run or real.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateImportQuery {
    /// Report per-row errors and duplicates (in the file and against the database) without writing.
    pub dry_run: Option<bool>,
}

/// Reads one field of a multipart body, up to `limit` bytes; `expected` (the body's length, when
/// the client gave it) sizes the buffer once instead of doubling it as the file arrives. A large
/// file may take long on a slow line, so the deadline is per chunk: 408 when none came for `idle`.
async fn read_field(
    field: &mut actix_multipart::Field,
    limit: usize,
    expected: usize,
    idle: std::time::Duration,
) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::with_capacity(expected.min(limit));
    while let Some(chunk) = actix_web::rt::time::timeout(idle, field.next())
        .await
        .map_err(|_| super::extract::timed_out(idle))?
    {
        let chunk = chunk
            .map_err(|e| AppError::MalformedBody(format!("could not read the upload: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn text(bytes: Vec<u8>, field: &str) -> Result<String, AppError> {
    String::from_utf8(bytes)
        .map_err(|_| AppError::validation(field, "invalid_format", "must be UTF-8 text"))
}

/// Uploads a CSV of leads to import (managers and admins)
///
/// The file is stored encrypted and processed in the background in chunks; follow
/// `GET /imports/{id}` until `done`. Every valid row becomes a lead, or a touch on the open lead it
/// duplicates; rejected rows are listed with their reason at `/imports/{id}/rejected`. An
/// interrupted import resumes where it stopped (no half-written chunk).
#[utoipa::path(
    tag = "imports",
    params(CreateImportQuery),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted; processing in the background", body = ImportResponse, headers(("Location" = String, description = "The import's URL"))),
        (status = 400, description = "Malformed multipart body", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Only admins and managers import", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `LEADPOOL_MAX_IMPORT_BYTES`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file, an unreadable file or a bad mapping (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/imports")]
async fn create_import(
    state: web::Data<AppState>,
    user: Supervisor,
    req: HttpRequest,
    query: QueryParams<CreateImportQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let dry_run = query.into_inner().dry_run.unwrap_or(false);
    let is_multipart = matches!(req.mime_type(), Ok(Some(m)) if m.type_() == "multipart" && m.subtype() == "form-data");
    if !is_multipart {
        return Err(AppError::UnsupportedMediaType);
    }
    let form = read_form(&state, &req, payload).await?;
    let bytes = form
        .file
        .ok_or_else(|| AppError::validation("file", "required", "attach the CSV as `file`"))?;
    // Decoding, reading and sealing a large file takes a while: off the async workers. The file's
    // bytes go as soon as it is sealed.
    let vault = state.vault.clone();
    let chunk_rows = state.config.import_chunk_rows;
    let csv = web::block(move || service::imports::seal_csv(&bytes, &vault, chunk_rows)).await??;
    let now = state.clock.now();
    let upload = Upload {
        file_name: form.file_name,
        csv,
        mapping: form.mapping,
        pool_id: form.pool_id,
        source_channel: form.source_channel.unwrap_or(SourceChannel::Import),
        dry_run,
    };
    let import = db::transaction(&state.pool, move |conn| {
        service::imports::create(conn, &user, upload, now)
    })
    .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", import.id)))
        .json(ImportResponse::from(import)))
}

super::page_type!(ImportPage, ImportResponse);

/// Lists imports, newest first
///
/// The caller's own uploads (admins: everyone's), so an import whose id was lost can be found
/// again.
#[utoipa::path(
    tag = "imports",
    params(crate::dto::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of imports", body = ImportPage),
        crate::routes::responses::Unauthenticated,
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/imports")]
async fn list_imports(
    state: web::Data<AppState>,
    user: AuthUser,
    query: QueryParams<crate::dto::PageQuery>,
) -> Result<web::Json<ImportPage>, AppError> {
    let q = query.into_inner();
    let (limit, cursor) = super::page_params(q.limit, q.cursor.as_deref())?;
    let (rows, next_cursor) = db::read_only(&state.read_pool, move |conn| {
        service::imports::list(conn, &user, limit, cursor)
    })
    .await?;
    Ok(web::Json(ImportPage {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Answers an import's status, progress and counts
///
/// For its uploader and admins; anyone else gets 404, as for an unknown id.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The import", body = ImportResponse),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such import, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/imports/{id}")]
async fn get_import(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<web::Json<ImportResponse>, AppError> {
    let id = id.into_inner();
    let import = db::transaction(&state.pool, move |conn| {
        service::imports::get(conn, &user, id)
    })
    .await?;
    Ok(web::Json(import.into()))
}

/// Downloads an import's rejected rows as CSV
///
/// UTF-8 with BOM, for Excel: the original columns, then `row` (as a spreadsheet numbers it) and
/// `reason`. For a dry run it also lists the duplicate rows. For the import's uploader and admins;
/// anyone else gets 404, as for an unknown id.
#[utoipa::path(
    tag = "imports",
    params(("id" = Uuid, Path, description = "Import id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rejected rows", body = String, content_type = "text/csv",
            headers(("Content-Disposition" = String, description = "`attachment; filename=\"import-<id>-rejected.csv\"`"))),
        crate::routes::responses::Unauthenticated,
        (status = 404, description = "No such import, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[get("/imports/{id}/rejected")]
async fn rejected_rows(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let vault = state.vault.clone();
    let csv = db::transaction(&state.pool, move |conn| {
        let import = service::imports::get(conn, &user, id)?;
        service::imports::rejected_csv(conn, &vault, &import)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"import-{id}-rejected.csv\""),
        ))
        .body(csv))
}

/// The fields of an upload's multipart form, each checked as it is read.
#[derive(Default)]
struct UploadForm {
    file: Option<Vec<u8>>,
    file_name: Option<String>,
    mapping: Option<Map<String, Value>>,
    pool_id: Option<Uuid>,
    source_channel: Option<SourceChannel>,
}

/// Reads an upload's multipart form: the file up to `LEADPOOL_MAX_IMPORT_BYTES`, the small fields
/// up to their own caps, each part within the client timeout; an unknown part is refused.
async fn read_form(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<UploadForm, AppError> {
    let limit = state.config.max_import_bytes;
    let body_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .unwrap_or(0);
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut form = UploadForm::default();
    let idle = state.config.client_timeout;
    while let Some(field) = actix_web::rt::time::timeout(idle, multipart.next())
        .await
        .map_err(|_| super::extract::timed_out(idle))?
    {
        let mut field =
            field.map_err(|e| AppError::MalformedBody(format!("malformed multipart body: {e}")))?;
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "file" => {
                form.file_name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(str::to_string);
                form.file = Some(read_field(&mut field, limit, body_length, idle).await?);
            }
            "mapping" => {
                let raw = text(read_field(&mut field, 1 << 20, 0, idle).await?, "mapping")?;
                let parsed: Map<String, Value> = serde_json::from_str(&raw).map_err(|_| {
                    AppError::validation(
                        "mapping",
                        "invalid_format",
                        "must be a JSON object of column → field",
                    )
                })?;
                form.mapping = Some(parsed);
            }
            "pool_id" => {
                let raw = text(read_field(&mut field, 1024, 0, idle).await?, "pool_id")?;
                form.pool_id = Some(raw.trim().parse::<Uuid>().map_err(|_| {
                    AppError::validation("pool_id", "invalid_format", "must be a UUID")
                })?);
            }
            "source_channel" => {
                let raw = text(
                    read_field(&mut field, 1024, 0, idle).await?,
                    "source_channel",
                )?;
                form.source_channel = Some(
                    raw.trim()
                        .parse::<SourceChannel>()
                        .map_err(|m| AppError::validation("source_channel", "invalid_value", m))?,
                );
            }
            other => {
                return Err(AppError::validation(
                    other,
                    "unknown_field",
                    "not a field of an upload",
                ));
            }
        }
    }
    Ok(form)
}
