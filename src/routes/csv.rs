//! CSV answers: chosen by `Accept: text/csv`, UTF-8 with a byte-order mark so spreadsheet programs
//! (Excel in particular) read Chinese text correctly, every cell written so that none runs as a
//! formula ([`crate::spreadsheet`]); large lists are streamed page by page.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::AppError;

/// The UTF-8 byte-order mark every CSV answer starts with.
pub const BOM: &str = "\u{feff}";
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// Whether the client asked for CSV: `text/csv` in `Accept` with a quality above 0, and ranked
/// above any JSON it also accepts.
pub fn wanted(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let quality = |wanted: &str| -> f32 {
        accept
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let kind = bits.next()?.trim().to_ascii_lowercase();
                if kind != wanted {
                    return None;
                }
                let q = bits
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some(q)
            })
            .fold(0.0, f32::max)
    };
    let csv = quality("text/csv");
    csv > 0.0 && csv >= quality("application/json")
}

/// A CSV writer into memory: every text cell it writes goes through
/// [`crate::spreadsheet::cell`], so no cell of an answer runs as a spreadsheet formula.
pub struct Writer(csv::Writer<Vec<u8>>);

impl Writer {
    /// One record (its field names make the header, before the first record of [`writer`]).
    pub fn serialize<R: serde::Serialize>(&mut self, row: R) -> Result<(), AppError> {
        self.0
            .serialize(crate::spreadsheet::Safe(&row))
            .map_err(csv_error)
    }

    /// One record of text cells.
    pub fn write_record<I, T>(&mut self, record: I) -> Result<(), AppError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0
            .write_record(
                record
                    .into_iter()
                    .map(|field| crate::spreadsheet::cell(field.as_ref()).into_owned()),
            )
            .map_err(csv_error)
    }

    /// The finished bytes.
    pub fn finish(self) -> Result<Vec<u8>, AppError> {
        self.0
            .into_inner()
            .map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
    }
}

/// A CSV writer into memory that starts with the byte-order mark.
pub fn writer() -> Writer {
    Writer(csv::Writer::from_writer(BOM.as_bytes().to_vec()))
}

/// Rows without the header and the byte-order mark: the continuation of a streamed answer.
pub fn continuation() -> Writer {
    Writer(
        csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new()),
    )
}

/// A whole CSV answer from rows that serialise to records (the header comes from the first
/// record's field names, or from `header` when there are no rows).
pub fn answer<R: serde::Serialize>(
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
    file_name: &str,
) -> Result<HttpResponse, AppError> {
    let mut out = writer();
    let mut any = false;
    for row in rows {
        any = true;
        out.serialize(row)?;
    }
    if !any {
        out.write_record(header)?;
    }
    Ok(response(file_name).body(out.finish()?))
}

/// The head of a CSV answer: type and a download file name.
pub fn response(file_name: &str) -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder
        .insert_header((header::CONTENT_TYPE, CONTENT_TYPE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ));
    builder
}

pub fn csv_error(e: csv::Error) -> AppError {
    AppError::Internal(format!("writing CSV: {e}"))
}

/// Streams every row of a keyset-paged listing (pages of [`EXPORT_PAGE`] read with `page(conn,
/// after, limit)`, each row turned into a CSV record by `record`), under `header` when empty.
///
/// [`EXPORT_PAGE`]: crate::domain::page::EXPORT_PAGE
pub fn stream_pages<T, R>(
    state: &crate::AppState,
    file_name: &str,
    header: &'static [&'static str],
    page: impl Fn(&mut diesel::PgConnection, Option<uuid::Uuid>, i64) -> Result<Vec<T>, AppError>
    + Send
    + 'static,
    id_of: fn(&T) -> uuid::Uuid,
    record: impl Fn(T) -> Result<R, AppError> + Send + 'static,
) -> HttpResponse
where
    T: 'static,
    R: serde::Serialize,
{
    stream(state, file_name, move |conn, send| {
        let size = crate::domain::page::EXPORT_PAGE.get();
        let mut after = None;
        let mut out = writer();
        loop {
            let rows = page(conn, after, size)?;
            if after.is_none() && rows.is_empty() {
                out.write_record(header)?;
            }
            after = rows.last().map(id_of);
            let full = rows.len() as i64 == size;
            for row in rows {
                out.serialize(record(row)?)?;
            }
            if !send(out.finish()?) || !full {
                return Ok(());
            }
            out = continuation();
        }
    })
}

/// A chunk of a streamed answer.
pub type Chunk = Result<Bytes, std::io::Error>;

/// Streams a CSV answer that `work` writes page by page on a blocking thread, inside one
/// read-only transaction (one snapshot): `work` calls `send` with each page's bytes, and `send`
/// says whether the client is still there. At most a few pages are in memory at once. A failure
/// after the first bytes ends the stream early (the status line is already out) and is logged.
pub fn stream<F>(state: &crate::AppState, file_name: &str, work: F) -> HttpResponse
where
    F: FnOnce(&mut diesel::PgConnection, &mut dyn FnMut(Vec<u8>) -> bool) -> Result<(), AppError>
        + Send
        + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    // Exports read a snapshot: a read replica serves them when one is configured.
    let pool = state.read_pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut send = |bytes: Vec<u8>| tx.blocking_send(Ok(Bytes::from(bytes))).is_ok();
        let outcome = crate::db::on_pooled(&pool, |conn| {
            conn.build_transaction()
                .read_only()
                .repeatable_read()
                .run(|conn| work(conn, &mut send))
        });
        if let Err(e) = outcome {
            log::error!("CSV export stopped: {e}");
            let _ = tx.blocking_send(Err(std::io::Error::other("the export stopped")));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    response(file_name).streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn asks(accept: &str) -> bool {
        wanted(
            &TestRequest::default()
                .insert_header((header::ACCEPT, accept))
                .to_http_request(),
        )
    }

    #[test]
    fn accept_header_chooses_csv() {
        assert!(asks("text/csv"));
        assert!(asks("text/csv, application/json;q=0.5"));
        assert!(asks("application/json;q=0.2, TEXT/CSV"));
        assert!(!asks("application/json"));
        assert!(!asks("*/*"));
        assert!(!asks("text/csv;q=0"));
        assert!(!asks("text/csv;q=0.5, application/json"));
        assert!(!wanted(&TestRequest::default().to_http_request()));
    }
}
