//! Custom lead fields that admins define at run time, and the validation of their values.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::text_enum::text_enum;

text_enum! {
    /// The kind of value a custom field holds.
    FieldType {
        Text = "text",
        Number = "number",
        Date = "date",
        Select = "select",
        MultiSelect = "multi_select",
    }
}

/// Longest text value of a custom field, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The most values a multi-select value may list (repeats included).
pub const MAX_CHOICES: usize = 200;

/// A field definition, as far as validation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub key: String,
    pub field_type: FieldType,
    pub options: Vec<String>,
    pub required: bool,
}

/// A value that does not fit its field: `(code, message)`.
pub type ValueError = (&'static str, String);

/// Checks a key: lower-case letter first, then letters, digits and `_`, at most 63 characters.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 63
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Validates and normalises one value (`null` is handled by the caller).
pub fn normalise(def: &FieldDef, value: &Value) -> Result<Value, ValueError> {
    match def.field_type {
        FieldType::Text => match value {
            Value::String(s) => match super::text::clean(s) {
                Some(text) if text.chars().count() <= MAX_TEXT_CHARS => Ok(Value::String(text)),
                Some(_) => Err((
                    "too_long",
                    format!("must be at most {MAX_TEXT_CHARS} characters"),
                )),
                None => Err(("blank", "must not be empty".into())),
            },
            _ => Err(("invalid_type", "must be a string".into())),
        },
        FieldType::Number => match value {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(value.clone()),
            Value::String(s) => match super::text::to_half_width(s).trim().parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::Number::from_f64(n)
                    .map(Value::Number)
                    .ok_or(("invalid_type", "must be a number".into())),
                _ => Err(("invalid_type", "must be a number".into())),
            },
            _ => Err(("invalid_type", "must be a number".into())),
        },
        FieldType::Date => match value {
            Value::String(s) => {
                NaiveDate::parse_from_str(super::text::to_half_width(s).trim(), "%Y-%m-%d")
                    .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                    .map_err(|_| ("invalid_format", "must be a date as YYYY-MM-DD".into()))
            }
            _ => Err(("invalid_type", "must be a date string (YYYY-MM-DD)".into())),
        },
        FieldType::Select => match value {
            Value::String(s) => pick(def, s).map(Value::String),
            _ => Err((
                "invalid_type",
                "must be one of the options, as a string".into(),
            )),
        },
        FieldType::MultiSelect => match value {
            Value::Array(items) => {
                // Each choice is one of the options, so a longer list can only repeat them.
                if items.len() > MAX_CHOICES {
                    return Err(("too_many", format!("at most {MAX_CHOICES} choices")));
                }
                let mut chosen: Vec<Value> = Vec::new();
                for item in items {
                    let Value::String(s) = item else {
                        return Err(("invalid_type", "must be a list of option strings".into()));
                    };
                    let option = Value::String(pick(def, s)?);
                    if !chosen.contains(&option) {
                        chosen.push(option);
                    }
                }
                Ok(Value::Array(chosen))
            }
            _ => Err(("invalid_type", "must be a list of option strings".into())),
        },
    }
}

fn pick(def: &FieldDef, input: &str) -> Result<String, ValueError> {
    let wanted = super::text::clean(input).unwrap_or_default();
    def.options
        .iter()
        .find(|o| **o == wanted)
        .cloned()
        .ok_or_else(|| {
            (
                "invalid_option",
                format!("must be one of: {}", def.options.join(", ")),
            )
        })
}

/// A problem with one custom value: `(key, code, message)`.
pub type CustomError = (String, &'static str, String);

/// Merges `input` into `existing` (the stored values, kept even for removed fields), checking each
/// key against the active definitions. `null` removes a value. When `creating`, or when a required
/// field is touched, required fields must end up present.
pub fn merge(
    defs: &[FieldDef],
    existing: &Map<String, Value>,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<Map<String, Value>, Vec<CustomError>> {
    let mut merged = existing.clone();
    let mut errors = Vec::new();
    for (key, value) in input {
        let Some(def) = defs.iter().find(|d| &d.key == key) else {
            errors.push((key.clone(), "unknown_field", "is not a custom field".into()));
            continue;
        };
        if value.is_null() {
            merged.remove(key);
            continue;
        }
        match normalise(def, value) {
            Ok(v) => {
                merged.insert(key.clone(), v);
            }
            Err((code, message)) => errors.push((key.clone(), code, message)),
        }
    }
    for def in defs.iter().filter(|d| d.required) {
        let touched = input.contains_key(&def.key);
        let present = merged
            .get(&def.key)
            .is_some_and(|v| !v.is_null() && v != &Value::Array(vec![]));
        if (creating || touched) && !present && !errors.iter().any(|e| e.0 == def.key) {
            errors.push((def.key.clone(), "required", "is required".into()));
        }
    }
    if errors.is_empty() {
        Ok(merged)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(key: &str, field_type: FieldType, options: &[&str], required: bool) -> FieldDef {
        FieldDef {
            key: key.into(),
            field_type,
            options: options.iter().map(|s| s.to_string()).collect(),
            required,
        }
    }

    #[test]
    fn keys() {
        assert!(valid_key("budget_cny"));
        assert!(!valid_key("Budget"));
        assert!(!valid_key("1st"));
        assert!(!valid_key("a-b"));
        assert!(!valid_key(""));
    }

    #[test]
    fn values_by_type() {
        let text = def("t", FieldType::Text, &[], false);
        assert_eq!(normalise(&text, &json!("  ａｂ  ")), Ok(json!("ab")));
        assert_eq!(normalise(&text, &json!(5)).unwrap_err().0, "invalid_type");
        let number = def("n", FieldType::Number, &[], false);
        assert_eq!(normalise(&number, &json!(12.5)), Ok(json!(12.5)));
        assert_eq!(normalise(&number, &json!("１００")), Ok(json!(100.0)));
        assert_eq!(
            normalise(&number, &json!("lots")).unwrap_err().0,
            "invalid_type"
        );
        let date = def("d", FieldType::Date, &[], false);
        assert_eq!(
            normalise(&date, &json!("2026-02-03")),
            Ok(json!("2026-02-03"))
        );
        assert_eq!(
            normalise(&date, &json!("2026-02-30")).unwrap_err().0,
            "invalid_format"
        );
        let select = def("s", FieldType::Select, &["小", "大"], false);
        assert_eq!(normalise(&select, &json!(" 大 ")), Ok(json!("大")));
        assert_eq!(
            normalise(&select, &json!("中")).unwrap_err().0,
            "invalid_option"
        );
        let multi = def("m", FieldType::MultiSelect, &["a", "b"], false);
        assert_eq!(
            normalise(&multi, &json!(["b", "a", "b"])),
            Ok(json!(["b", "a"]))
        );
        assert_eq!(
            normalise(&multi, &json!(["c"])).unwrap_err().0,
            "invalid_option"
        );
    }

    #[test]
    fn merge_checks_required_unknown_and_keeps_hidden_values() {
        let defs = vec![
            def("budget", FieldType::Number, &[], true),
            def("size", FieldType::Select, &["S", "L"], false),
        ];
        let existing = json!({"retired_field": "kept", "budget": 10})
            .as_object()
            .unwrap()
            .clone();
        let merged = merge(
            &defs,
            &existing,
            json!({"size": "L"}).as_object().unwrap(),
            false,
        )
        .unwrap();
        assert_eq!(merged["retired_field"], "kept");
        assert_eq!(merged["size"], "L");

        let errors = merge(
            &defs,
            &Map::new(),
            json!({"size": "S"}).as_object().unwrap(),
            true,
        )
        .unwrap_err();
        assert_eq!(
            errors,
            vec![("budget".to_string(), "required", "is required".to_string())]
        );
        let errors = merge(
            &defs,
            &existing,
            json!({"budget": null}).as_object().unwrap(),
            false,
        )
        .unwrap_err();
        assert_eq!(errors[0].1, "required");
        let errors = merge(
            &defs,
            &existing,
            json!({"nope": 1}).as_object().unwrap(),
            false,
        )
        .unwrap_err();
        assert_eq!(errors[0].1, "unknown_field");
        let merged = merge(
            &defs,
            &existing,
            json!({"size": null}).as_object().unwrap(),
            false,
        )
        .unwrap();
        assert!(!merged.contains_key("size"));
    }
}
