//! Which lead field each column of a file goes to: guessed from the header (Chinese or English)
//! or given by the uploader, checked against the fields there are.

use super::*;

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
pub(super) fn guess_target(header: &str) -> Option<&'static str> {
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
