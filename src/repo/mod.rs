//! SQL, one file per resource. Functions take a connection and return rows; no HTTP, no rules.

pub mod action_rate;
pub mod audit;
pub mod claims;
pub mod crypto_keys;
pub mod hand_overs;
pub mod holds;
pub mod imports;
pub mod intake;
pub mod lead_fields;
pub mod leads;
pub mod lifecycle;
pub mod login_failures;
pub mod pools;
pub mod refresh_tokens;
pub mod reports;
pub mod settings;
pub mod sweeps;
pub mod teams;
pub mod users;

/// Escapes `%`, `_` and `\` so user text matches literally inside an ILIKE pattern.
pub fn like_pattern(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_pattern_is_literal() {
        assert_eq!(super::like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
