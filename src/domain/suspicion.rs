//! Which web-form submissions look like spam or junk and go to quarantine instead of the pool.
//!
//! The rules (documented in the API description of intake):
//! - `honeypot`: the hidden honeypot field was filled in (people never see it; bots fill it);
//! - `empty`: nothing to reach or identify the person by (no phone, email, WeChat id, nor both
//!   company and name);
//! - `disposable_email`: the email is at a throwaway-mailbox domain;
//! - `placeholder`: a well-known fake number (`13800138000`, one digit repeated, `12345678901`)
//!   or a test name (`test`, `测试`, `asdf`, `aaa`...);
//! - `link_in_name`: a URL in the name or company (link spam).
//!
//! (The intake service adds `no_pool` when no pool could take the lead: held, not lost.)

use super::lead::{CleanLead, RawLead};

const DISPOSABLE_DOMAINS: [&str; 12] = [
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
    "temp-mail.org",
    "tempmail.com",
    "yopmail.com",
    "trashmail.com",
    "sharklasers.com",
    "getnada.com",
    "dispostable.com",
    "maildrop.cc",
    "throwawaymail.com",
];

const TEST_NAMES: [&str; 9] = [
    "test", "testing", "测试", "asdf", "qwerty", "aaa", "xxx", "123", "abc",
];

/// Reasons to quarantine a submission; empty when it looks genuine.
pub fn reasons(raw: &RawLead, honeypot: Option<&str>, clean: &CleanLead) -> Vec<&'static str> {
    let mut out = Vec::new();
    if honeypot.is_some_and(|h| !h.trim().is_empty()) {
        out.push(QuarantineReason::Honeypot.as_str());
    }
    if !clean.is_identifiable() {
        out.push(QuarantineReason::Empty.as_str());
    }
    if let Some(email) = &clean.email {
        let domain = email.as_str().rsplit('@').next().unwrap_or("");
        if DISPOSABLE_DOMAINS
            .iter()
            .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        {
            out.push(QuarantineReason::DisposableEmail.as_str());
        }
    }
    let fake_phone = clean.phone.as_ref().is_some_and(|p| {
        let national = p.as_str().trim_start_matches("+86");
        let digits: Vec<char> = national.chars().collect();
        national == "13800138000"
            || national == "12345678901"
            || (digits.len() >= 7 && digits.iter().skip(1).all(|d| *d == digits[1]))
    });
    let test_name = [&clean.name, &clean.company].iter().any(|v| {
        v.as_deref()
            .is_some_and(|t| TEST_NAMES.contains(&t.to_lowercase().as_str()))
    });
    if fake_phone || test_name {
        out.push(QuarantineReason::Placeholder.as_str());
    }
    let has_link = [&raw.name, &raw.company].iter().any(|v| {
        v.as_deref().is_some_and(|t| {
            let t = t.to_lowercase();
            t.contains("http://") || t.contains("https://") || t.contains("www.")
        })
    });
    if has_link {
        out.push(QuarantineReason::LinkInName.as_str());
    }
    out
}

super::text_enum::text_enum! {
    /// Why a submission was held: `honeypot`, `empty`, `disposable_email`, `placeholder`,
    /// `link_in_name` (see the intake description), or `no_pool` (no pool could take it).
    QuarantineReason {
        Honeypot = "honeypot",
        Empty = "empty",
        DisposableEmail = "disposable_email",
        Placeholder = "placeholder",
        LinkInName = "link_in_name",
        NoPool = "no_pool",
    }
}

super::text_enum::text_enum! {
    /// Where a quarantined submission stands: `pending` until an admin accepts it (it becomes a
    /// lead) or discards it.
    QuarantineStatus {
        Pending = "pending",
        Accepted = "accepted",
        Discarded = "discarded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::clean_lead;

    fn check(raw: RawLead, honeypot: Option<&str>) -> Vec<&'static str> {
        let clean = clean_lead(&raw).unwrap();
        reasons(&raw, honeypot, &clean)
    }

    #[test]
    fn genuine_submissions_pass() {
        let raw = RawLead {
            name: Some("张伟".into()),
            phone: Some("13912345678".into()),
            email: Some("zw@example.com".into()),
            ..Default::default()
        };
        assert!(check(raw.clone(), None).is_empty());
        assert!(check(raw, Some("  ")).is_empty());
    }

    #[test]
    fn each_rule() {
        let phone = |p: &str| RawLead {
            phone: Some(p.into()),
            ..Default::default()
        };
        assert_eq!(
            check(phone("13912345678"), Some("http://spam")),
            vec!["honeypot"]
        );
        assert_eq!(check(RawLead::default(), None), vec!["empty"]);
        assert_eq!(check(phone("13800138000"), None), vec!["placeholder"]);
        assert_eq!(check(phone("13333333333"), None), vec!["placeholder"]);
        let email = RawLead {
            email: Some("bot@mailinator.com".into()),
            ..Default::default()
        };
        assert_eq!(check(email, None), vec!["disposable_email"]);
        let named = RawLead {
            name: Some("测试".into()),
            phone: Some("13912345678".into()),
            ..Default::default()
        };
        assert_eq!(check(named, None), vec!["placeholder"]);
        let link = RawLead {
            company: Some("Buy now https://x.example".into()),
            phone: Some("13912345678".into()),
            ..Default::default()
        };
        assert_eq!(check(link, None), vec!["link_in_name"]);
    }
}
