//! Masked contact data, for people who may see that a lead exists but not how to reach it.

/// `+8613812345678` → `138****5678` (a Chinese mobile keeps its first three digits); any other
/// number keeps only its last four digits.
pub fn phone(e164: &str) -> String {
    if let Some(national) = e164.strip_prefix("+86") {
        if national.len() == 11 && national.starts_with('1') && national.is_ascii() {
            return format!("{}****{}", &national[..3], &national[7..]);
        }
    }
    let digits: Vec<char> = e164
        .strip_prefix("+86")
        .unwrap_or(e164)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let keep = digits.len().min(4);
    let tail: String = digits[digits.len() - keep..].iter().collect();
    format!("{}{tail}", "*".repeat(digits.len() - keep))
}

/// `zhang.wei@example.com` → `z***@example.com`.
pub fn email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// `wxid_abc123` → `w***3`.
pub fn wechat(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 | 2 => "***".to_string(),
        n => format!("{}***{}", chars[0], chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(phone("+8613812345678"), "138****5678");
        assert_eq!(phone("+861062345678"), "******5678");
        assert_eq!(phone("+14155550123"), "*******0123");
        assert_eq!(email("zhang.wei@example.com"), "z***@example.com");
        assert_eq!(wechat("wxid_abc123"), "w***3");
        assert_eq!(wechat("ab"), "***");
    }
}
