//! Custom lead fields defined by admins at run time.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use crate::db::models::{LeadField, LeadFieldChanges};
use crate::domain::custom_field::{FieldDef, FieldType, valid_key};
use crate::error::{AppError, ErrorCode, FieldError};
use crate::repo;
use crate::service::audit::Audit;

pub const MAX_OPTIONS: usize = 200;

/// A new field definition, parsed.
#[derive(Debug)]
pub struct NewField {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
    pub searchable: bool,
    pub position: i32,
}

/// A change to a definition; the key and type never change (stored values depend on them).
#[derive(Debug, Default)]
pub struct FieldPatch {
    pub label: Option<String>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub searchable: Option<bool>,
    pub position: Option<i32>,
}

fn clean_options(field_type: FieldType, options: Vec<String>) -> Result<Vec<String>, FieldError> {
    let out = crate::domain::text::distinct(options.iter().map(String::as_str), MAX_OPTIONS)
        .map_err(|_| {
            FieldError::new(
                "options",
                "too_many",
                format!("at most {MAX_OPTIONS} options"),
            )
        })?;
    if out.iter().any(|o| o.chars().count() > 100) {
        return Err(FieldError::new(
            "options",
            "too_long",
            "each option must be at most 100 characters",
        ));
    }
    let is_select = matches!(field_type, FieldType::Select | FieldType::MultiSelect);
    if is_select && out.is_empty() {
        return Err(FieldError::new(
            "options",
            "required",
            "select fields need at least one option",
        ));
    }
    if !is_select && !out.is_empty() {
        return Err(FieldError::new(
            "options",
            "not_allowed",
            "only select and multi_select fields have options",
        ));
    }
    Ok(out)
}

fn snapshot(field: &LeadField) -> serde_json::Value {
    serde_json::json!({
        "key": field.key, "label": field.label, "type": field.field_type,
        "options": field.options, "required": field.required, "searchable": field.searchable,
        "position": field.position, "removed_at": field.deleted_at,
    })
}

pub fn create(
    conn: &mut PgConnection,
    actor: Uuid,
    new: NewField,
    now: DateTime<Utc>,
) -> Result<LeadField, AppError> {
    if !valid_key(&new.key) {
        return Err(AppError::validation(
            "key",
            "invalid_format",
            "must start with a lower-case letter, then letters, digits or _ (at most 63)",
        ));
    }
    let options =
        clean_options(new.field_type, new.options).map_err(|e| AppError::Validation(vec![e]))?;
    let field = LeadField {
        key: new.key,
        label: new.label,
        field_type: new.field_type,
        options,
        required: new.required,
        searchable: new.searchable,
        position: new.position,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let field = repo::lead_fields::insert(conn, &field).map_err(|err| match err {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict {
            code: ErrorCode::FieldKeyTaken,
            detail: "a field with this key exists (perhaps removed: keys are never reused, so stored values keep their meaning)".into(),
        },
        other => other.into(),
    })?;
    Audit::of(Some(actor), "lead_field.created", "lead_field", None, now)
        .change(None, Some(snapshot(&field)))
        .write(conn)?;
    Ok(field)
}

pub fn update(
    conn: &mut PgConnection,
    actor: Uuid,
    key: &str,
    patch: FieldPatch,
    now: DateTime<Utc>,
) -> Result<LeadField, AppError> {
    let current = repo::lead_fields::find(conn, key)?
        .filter(|f| f.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let options = match patch.options {
        Some(options) => Some(
            clean_options(current.field_type, options)
                .map_err(|e| AppError::Validation(vec![e]))?,
        ),
        None => None,
    };
    let changes = LeadFieldChanges {
        label: patch.label,
        options,
        required: patch.required,
        searchable: patch.searchable,
        position: patch.position,
        deleted_at: None,
        updated_at: Some(now),
    };
    let field = repo::lead_fields::update(conn, key, &changes)?;
    let (mut before, after) = (snapshot(&current), snapshot(&field));
    let (mut before, mut after) = crate::service::audit::changed_keys(before.take(), after);
    // Which field, whatever changed.
    before["key"] = key.into();
    after["key"] = key.into();
    Audit::of(Some(actor), "lead_field.updated", "lead_field", None, now)
        .change(Some(before), Some(after))
        .write(conn)?;
    Ok(field)
}

/// Hides a field: it no longer appears, validates or filters, but stored values are kept.
pub fn remove(
    conn: &mut PgConnection,
    actor: Uuid,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let current = repo::lead_fields::find(conn, key)?
        .filter(|f| f.deleted_at.is_none())
        .ok_or(AppError::NotFound)?;
    let changes = LeadFieldChanges {
        deleted_at: Some(Some(now)),
        updated_at: Some(now),
        ..Default::default()
    };
    repo::lead_fields::update(conn, key, &changes)?;
    Audit::of(Some(actor), "lead_field.removed", "lead_field", None, now)
        .change(
            Some(snapshot(&current)),
            Some(serde_json::json!({"key": key, "removed_at": now})),
        )
        .write(conn)?;
    Ok(())
}

pub fn list(conn: &mut PgConnection, include_removed: bool) -> Result<Vec<LeadField>, AppError> {
    Ok(repo::lead_fields::list(conn, include_removed)?)
}

/// The active definitions, for validating and filtering values.
pub fn active_defs(conn: &mut PgConnection) -> Result<Vec<(FieldDef, bool)>, AppError> {
    repo::lead_fields::list(conn, false)?
        .into_iter()
        .map(|f| {
            Ok((
                FieldDef {
                    field_type: f.field_type,
                    key: f.key,
                    options: f.options,
                    required: f.required,
                },
                f.searchable,
            ))
        })
        .collect()
}

/// The active definitions, for validating values.
pub fn field_defs(conn: &mut PgConnection) -> Result<Vec<FieldDef>, AppError> {
    Ok(active_defs(conn)?.into_iter().map(|(def, _)| def).collect())
}

/// The channel a trigger on `lead_fields` notifies on every change of a definition.
pub const CHANNEL: &str = "leadpool_lead_fields";

/// The active definitions as this instance last read them, for showing leads (which custom
/// values an answer carries): read once and kept until a definition changes (every instance is
/// told at once, see [`crate::notify`]) or `ttl` passes. Validation reads them in its own
/// transaction instead.
#[derive(Debug)]
pub struct FieldDefsCache {
    ttl: std::time::Duration,
    kept: std::sync::RwLock<Option<(ActiveDefs, std::time::Instant)>>,
    /// Moves on every change: a read that started before one is not kept.
    epoch: std::sync::atomic::AtomicU64,
}

/// Active definitions, shared.
pub type ActiveDefs = std::sync::Arc<Vec<(FieldDef, bool)>>;

impl FieldDefsCache {
    pub fn new(ttl: std::time::Duration) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self {
            ttl,
            kept: std::sync::RwLock::new(None),
            epoch: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The active definitions: kept ones while fresh, else read on `conn`.
    pub fn get(&self, conn: &mut PgConnection) -> Result<ActiveDefs, AppError> {
        use std::sync::atomic::Ordering;
        if let Some((defs, at)) = self.kept.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if at.elapsed() < self.ttl {
                return Ok(defs.clone());
            }
        }
        let epoch = self.epoch.load(Ordering::SeqCst);
        let defs: ActiveDefs = std::sync::Arc::new(active_defs(conn)?);
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::SeqCst) == epoch && !self.ttl.is_zero() {
            *kept = Some((defs.clone(), std::time::Instant::now()));
        }
        Ok(defs)
    }

    /// Forgets what it kept (a definition changed).
    pub fn forget(&self) {
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        *kept = None;
    }
}

impl crate::notify::Listener for FieldDefsCache {
    fn channel(&self) -> &'static str {
        CHANNEL
    }

    fn notified(&self, _payload: &str) {
        self.forget();
    }

    fn reset(&self) {
        self.forget();
    }
}
