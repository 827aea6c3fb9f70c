//! A chunk's rows cleaned into leads (or rejected with every reason), as a set.

use super::*;

pub(super) fn split_list(text: &str) -> Vec<String> {
    text.split([',', ';', '|', '，', '；', '、'])
        .filter_map(crate::domain::text::clean)
        .collect()
}

/// One CSV row as a raw lead, following the mapping.
pub(super) fn raw_lead(
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

pub(super) fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A cleaned, valid row: its dedupe keys and, for a real run, the lead to insert.
pub(super) struct ValidRow {
    pub(super) row_no: i32,
    pub(super) keys: Vec<Vec<u8>>,
    pub(super) stored: Option<(Lead, Submission)>,
}

/// What cleaning needs to know about the import, shared by the cleaning threads.
pub(super) struct Cleaning<'a> {
    pub(super) vault: &'a Vault,
    pub(super) import: &'a Import,
    pub(super) mapping: Map<String, Value>,
    pub(super) defs: &'a [FieldDef],
    pub(super) default_channel: SourceChannel,
    pub(super) pools: Vec<crate::domain::routing::RoutablePool>,
    pub(super) now: DateTime<Utc>,
}

impl Cleaning<'_> {
    pub(super) fn reject(&self, row_no: i32, row: &[String], reason: String) -> ImportReject {
        ImportReject {
            import_id: self.import.id,
            row_no,
            raw_enc: self.vault.encrypt(
                Purpose::ImportRows,
                &serde_json::to_vec(row).unwrap_or_default(),
            ),
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
pub(super) fn clean_rows(
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
