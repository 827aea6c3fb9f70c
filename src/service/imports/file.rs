//! Reading an uploaded file: its encoding (UTF-8 with or without BOM, GBK/GB18030), its rows,
//! and sealing it in encrypted chunks.

use super::*;
use crate::domain::import::ImportEncoding;

/// Decodes an uploaded file: UTF-8 (a BOM is dropped) or, when it is not valid UTF-8, GB18030
/// (a superset of GBK, as Chinese Excel writes CSV).
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, ImportEncoding), AppError> {
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
                ImportEncoding::Utf8Bom
            } else {
                ImportEncoding::Utf8
            },
        ),
        Err(_) => {
            let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if had_errors {
                return Err(not_text());
            }
            (text, ImportEncoding::Gb18030)
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
    pub encoding: ImportEncoding,
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
            rows_enc: vault.encrypt(Purpose::ImportRows, &json),
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
