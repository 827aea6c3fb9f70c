//! Masked contact data, for people who may see that a lead exists but not how to reach it.

/// `+8613812345678` → `138****5678`; other numbers keep their country code and last four digits.
pub fn phone(e164: &str) -> String {
    let digits: String = e164.chars().filter(char::is_ascii_digit).collect();
    if let Some(national) = digits.strip_prefix("86") {
        if national.len() >= 7 {
            let (head, tail) = (&national[..3], &national[national.len() - 4..]);
            return format!("{head}****{tail}");
        }
    }
    let tail = &digits[digits.len().saturating_sub(4)..];
    let country = if e164.starts_with('+') && digits.len() > 8 {
        format!("+{}", &digits[..digits.len().min(2)])
    } else {
        String::new()
    };
    format!("{country}****{tail}")
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
        assert_eq!(phone("+862161234567"), "216****4567");
        assert_eq!(phone("+14155550123"), "+14****0123");
        assert_eq!(email("zhang.wei@example.com"), "z***@example.com");
        assert_eq!(wechat("wxid_abc123"), "w***3");
        assert_eq!(wechat("ab"), "***");
    }
}
