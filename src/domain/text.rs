//! Cleaning free text on every way in: full-width → half-width, trimmed, empty → absent.

/// Converts full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space (U+3000) to their
/// half-width forms. Other characters (Chinese text included) are left alone.
pub fn to_half_width(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Half-width, trimmed, with runs of white space inside folded to one space; `None` when nothing
/// is left.
pub fn clean(input: &str) -> Option<String> {
    let half = to_half_width(input);
    let folded = half.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        None
    } else {
        Some(folded)
    }
}

/// A key for "the same company and contact person": lower-case letters and digits only, common
/// legal-form suffixes removed. Returns `None` unless both parts have something left.
pub fn identity_key(company: &str, name: &str) -> Option<String> {
    const SUFFIXES: [&str; 10] = [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团",
        "公司",
        "coltd",
        "ltd",
        "inc",
        "llc",
        "co",
    ];
    let squeeze = |s: &str| -> String {
        to_half_width(s)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect()
    };
    let mut company = squeeze(company);
    // Strip suffixes repeatedly ("某某集团有限公司" → "某某").
    loop {
        let before = company.len();
        for suffix in SUFFIXES {
            if company.len() > suffix.len() {
                if let Some(stripped) = company.strip_suffix(suffix) {
                    company = stripped.to_string();
                }
            }
        }
        if company.len() == before {
            break;
        }
    }
    let name = squeeze(name);
    if company.is_empty() || name.is_empty() {
        None
    } else {
        Some(format!("{company}\u{1f}{name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(
            to_half_width("ＡＢＣ１２３＠ｅｘａｍｐｌｅ．ｃｏｍ"),
            "ABC123@example.com"
        );
        assert_eq!(to_half_width("张三　（北京）"), "张三 (北京)");
    }

    #[test]
    fn clean_trims_folds_and_drops_empty() {
        assert_eq!(clean("  上海　 浦东  "), Some("上海 浦东".into()));
        assert_eq!(clean(" \u{3000} "), None);
    }

    #[test]
    fn identity_ignores_case_space_punctuation_and_legal_form() {
        let a = identity_key("北京星辰科技有限公司", "张 三");
        assert_eq!(a, identity_key("北京星辰科技", "张三"));
        assert_eq!(a, identity_key(" 北京星辰科技股份有限公司 ", "张三"));
        assert_eq!(
            identity_key("Acme Co., Ltd.", "Li Na"),
            identity_key("ACME", "li na")
        );
        assert_ne!(a, identity_key("北京星辰科技", "李四"));
        assert_eq!(identity_key("", "张三"), None);
        assert_eq!(identity_key("公司", ""), None);
    }
}
