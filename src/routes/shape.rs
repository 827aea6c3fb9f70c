//! Every bad field of a body in one answer.
//!
//! serde stops at the first unknown field, missing field, wrong type or unknown enum value, so a
//! body with four mistakes would be refused four times, one mistake per round trip. When the strict
//! parse fails, the body is read again as a JSON document and repaired one mistake at a time: an
//! unknown field is noted and removed, a missing or mistyped field is noted and given a stand-in
//! value of the right shape (the first variant an enum names, `null`, `""`, `0`...), until the
//! document deserialises. The `validator` checks then run on the repaired value, so `"name": ""`
//! is reported next to `"role": "emperor"`; their findings on stand-ins are dropped (the field
//! is already reported). Nothing repaired is ever used: the answer is always the list of errors.
//!
//! The work is bounded: at most [`MAX_REPAIRS`] rounds (fewer for a large body), each one parse of
//! the document; past it the errors found so far are the answer.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;
use validator::Validate;

use super::extract::{field_error, validation_errors};
use crate::error::{AppError, FieldError};

/// The most repair rounds for one body (each finds one more mistake).
pub const MAX_REPAIRS: usize = 60;
/// Bytes of document parsed in all repair rounds of one body, at most (a large body gets fewer
/// rounds, never fewer than [`MIN_REPAIRS`]).
const REPAIR_BUDGET_BYTES: usize = 16 << 20;
const MIN_REPAIRS: usize = 5;

/// A path into the document, as serde_path_to_error reports it.
type Path = Vec<Step>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Step {
    Key(String),
    Index(usize),
}

/// Stand-ins tried in turn for a field that is missing or of the wrong shape.
fn stand_in(attempt: usize) -> Option<Value> {
    Some(match attempt {
        0 => Value::Null,
        1 => Value::String(String::new()),
        2 => Value::from(0),
        3 => Value::Bool(false),
        4 => Value::Array(Vec::new()),
        5 => Value::Object(serde_json::Map::new()),
        6 => Value::String(uuid::Uuid::nil().to_string()),
        7 => Value::String("2000-01-01T00:00:00Z".into()),
        8 => Value::String("2000-01-01".into()),
        9 => Value::from(1),
        10 => Value::String("a".into()),
        _ => return None,
    })
}

/// The first variant an "unknown variant" message lists (`` expected one of `a`, `b` `` or
/// `` expected `a` ``): a stand-in every enum accepts.
fn first_variant(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("expected ")?;
    let rest = rest.strip_prefix("one of ").unwrap_or(rest);
    let rest = rest.strip_prefix('`')?;
    rest.split('`').next().map(str::to_string)
}

fn steps(path: &serde_path_to_error::Path) -> Option<Path> {
    path.iter()
        .map(|segment| match segment {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

fn at<'a>(doc: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(doc, |node, step| match step {
        Step::Key(key) => node.as_object_mut()?.get_mut(key),
        Step::Index(i) => node.as_array_mut()?.get_mut(*i),
    })
}

/// Puts `value` at `path` (its parent must be an object or an array that has the index).
fn put(doc: &mut Value, path: &[Step], value: Value) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    match (at(doc, parent), last) {
        (Some(Value::Object(map)), Step::Key(key)) => {
            map.insert(key.clone(), value);
            true
        }
        (Some(Value::Array(items)), Step::Index(i)) if *i < items.len() => {
            items[*i] = value;
            true
        }
        _ => false,
    }
}

/// The name serde gives in "unknown field `x`" or "missing field `x`".
fn named(message: &str, prefix: &str) -> Option<String> {
    message
        .strip_prefix(prefix)?
        .split('`')
        .next()
        .map(str::to_string)
}

/// Every shape and validation error of a body whose strict parse failed. Never `Ok`: the caller
/// only comes here with a body that is wrong.
pub fn all_errors<T: DeserializeOwned + Validate>(bytes: &[u8], first: FieldError) -> AppError {
    let Ok(mut doc) = serde_json::from_slice::<Value>(bytes) else {
        return AppError::Validation(vec![first]);
    };
    let rounds = (REPAIR_BUDGET_BYTES / bytes.len().max(1)).clamp(MIN_REPAIRS, MAX_REPAIRS);
    // The strict parse's error first: reading a document and reading bytes word some mistakes
    // differently, and the first one should read the same with or without the others.
    let mut found = Found::default();
    found.report(first.clone());
    // The stand-in last tried at each repaired path.
    let mut tried: HashMap<Path, usize> = HashMap::new();
    let mut finished = false;
    for _ in 0..rounds {
        let err = match serde_path_to_error::deserialize::<_, T>(&doc) {
            Ok(value) => {
                if let Err(invalid) = value.validate() {
                    for error in validation_errors(invalid) {
                        found.add_unless_covered(error);
                    }
                }
                finished = true;
                break;
            }
            Err(err) => err,
        };
        let message = err.inner().to_string();
        let error = field_error(&err.path().to_string(), &message);
        let Some(mut path) = steps(err.path()) else {
            found.report(error);
            break;
        };
        let repaired = if let Some(name) = named(&message, "unknown field `") {
            // The path may end at the unknown key or at the object holding it.
            if path.last() == Some(&Step::Key(name.clone())) {
                path.pop();
            }
            found.report(error);
            match at(&mut doc, &path) {
                Some(Value::Object(map)) => map.remove(&name).is_some(),
                _ => false,
            }
        } else if let Some(name) = named(&message, "missing field `") {
            path.push(Step::Key(name));
            found.report(error);
            tried.insert(path.clone(), 0);
            stand_in(0).is_some_and(|v| put(&mut doc, &path, v))
        } else {
            // A wrong type or value at `path`: a stand-in (or the next one, if this one was).
            let attempt = match tried.get(&path) {
                Some(last) => last + 1,
                None => {
                    found.report(error);
                    0
                }
            };
            tried.insert(path.clone(), attempt);
            let variant = first_variant(&message).filter(|v| {
                at(&mut doc, &path).and_then(|node| node.as_str().map(|s| s == v)) != Some(true)
            });
            match variant.map(Value::String).or_else(|| stand_in(attempt)) {
                Some(value) => put(&mut doc, &path, value),
                None => false,
            }
        };
        if !repaired {
            break;
        }
    }
    let mut errors = found.errors;
    if !finished {
        log::debug!("body repair stopped after {} errors", errors.len());
    }
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    AppError::Validation(errors)
}

/// The errors found so far, one per field.
#[derive(Default)]
struct Found {
    errors: Vec<FieldError>,
    fields: HashSet<String>,
}

impl Found {
    /// A shape error: the first one for its field is kept.
    fn report(&mut self, error: FieldError) {
        if self.fields.insert(error.field.clone()) {
            self.errors.push(error);
        }
    }

    /// A validation error, unless it is about a field (or inside one) already reported: that
    /// one was checked on a stand-in.
    fn add_unless_covered(&mut self, error: FieldError) {
        let covered = self.fields.iter().any(|field| {
            error.field == *field
                || error.field.starts_with(&format!("{field}."))
                || error.field.starts_with(&format!("{field}["))
        });
        if !covered {
            self.errors.push(error);
        }
    }
}
