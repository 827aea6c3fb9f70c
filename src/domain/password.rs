//! The password policy (hashing lives in `auth::password`).

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Checks a new password against the policy; the message never repeats the password.
pub fn check_policy(password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters (it has {chars})"
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
    if password.trim() != password {
        return Err("must not start or end with white space".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("correct horse").is_ok());
        assert!(check_policy("short").is_err());
        assert!(check_policy(" padded password ").is_err());
        assert!(check_policy(&"x".repeat(129)).is_err());
        assert!(!check_policy("tiny").unwrap_err().contains("tiny"));
    }
}
