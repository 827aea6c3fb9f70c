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

/// Characters that change how text is shown without being seen: bidirectional overrides,
/// embeddings, isolates and marks (which can make `evil.exe` read as `exe.live`), zero-width
/// spaces and joiners, word joiners, invisible operators, the byte-order mark, the soft hyphen and
/// the Mongolian vowel separator. They are stripped from every text the service stores, rather than
/// refused: web forms and spreadsheets carry them in innocently (a pasted name, a BOM), and a
/// name that differs from another only by them would impersonate it.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// One line of text as stored (names, labels, titles): invisible and control characters removed,
/// trimmed, runs of white space (line breaks included) folded to one space. Full-width forms are
/// kept (a person's name is theirs to spell).
pub fn single_line(input: &str) -> String {
    input
        .split(|c: char| c.is_whitespace())
        .map(|word| {
            word.chars()
                .filter(|&c| !is_invisible(c) && !c.is_control())
                .collect::<String>()
        })
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text of several lines as stored (descriptions, follow-up notes, reasons): invisible characters
/// and controls other than line breaks and tabs removed, trimmed; line breaks are kept.
pub fn multi_line(input: &str) -> String {
    input
        .chars()
        .filter(|&c| !is_invisible(c) && (!c.is_control() || c == '\n' || c == '\t'))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Half-width, invisible and control characters removed, trimmed, with runs of white space inside
/// folded to one space; `None` when nothing is left.
pub fn clean(input: &str) -> Option<String> {
    let folded = single_line(&to_half_width(input));
    if folded.is_empty() {
        None
    } else {
        Some(folded)
    }
}

/// Cleans a list of texts ([`clean`]), dropping blanks and repeats, in one pass with a set: at most
/// `max` distinct values are kept, and the pass stops at the first one past it (`Err`), so a list
/// of any length costs no more than its first `max + 1` distinct values.
pub fn distinct<'a>(
    items: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Result<Vec<String>, TooMany> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for item in items.into_iter().filter_map(clean) {
        if seen.contains(&item) {
            continue;
        }
        if out.len() == max {
            return Err(TooMany { max });
        }
        seen.insert(item.clone());
        out.push(item);
    }
    Ok(out)
}

/// A list with more distinct values than allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    pub max: usize,
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
    fn distinct_keeps_the_first_of_each_and_stops_past_the_limit() {
        assert_eq!(
            distinct(["b", " a", "b", "", "a "], 2),
            Ok(vec!["b".to_string(), "a".to_string()])
        );
        assert_eq!(distinct(["a", "b", "c"], 2), Err(TooMany { max: 2 }));
        let many: Vec<String> = (0..60_000).map(|i| format!("t{i}")).collect();
        assert_eq!(
            distinct(many.iter().map(String::as_str), 30),
            Err(TooMany { max: 30 })
        );
        let same = vec!["x"; 60_000];
        assert_eq!(distinct(same, 30), Ok(vec!["x".to_string()]));
    }

    #[test]
    fn invisible_and_control_characters_are_stripped() {
        assert_eq!(
            single_line("\u{202E}Ada\u{200B} \u{2066}Lovelace\u{2069}\u{7}"),
            "Ada Lovelace"
        );
        assert_eq!(single_line(" \u{FEFF}\u{200D} "), "");
        assert_eq!(single_line("张\u{00AD}伟\n 王"), "张伟 王");
        assert_eq!(
            multi_line(" line one\u{202E}\nline\ttwo\u{0} "),
            "line one\nline\ttwo"
        );
        assert_eq!(clean("\u{200B}\u{200E}"), None);
        assert_eq!(clean("Ｂｏｂ\u{202D}"), Some("Bob".to_string()));
    }

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
