//! The vocabulary of a lead: ownership state, pipeline stage, grade and source channel.

use super::text_enum::text_enum;

text_enum! {
    /// Who holds a lead: in a pool, owned by a salesperson, converted (won: the owner's customer,
    /// who keeps it with no hold, no quota and no recycling), or closed for good.
    LeadState {
        Pooled = "pooled",
        Owned = "owned",
        Converted = "converted",
        Closed = "closed",
    }
}

impl LeadState {
    /// Open leads take part in dedupe and in the pool system.
    pub fn is_open(self) -> bool {
        matches!(self, LeadState::Pooled | LeadState::Owned)
    }
}

text_enum! {
    /// The pipeline stage of an owned lead; it only moves forward, except by a manager.
    Stage {
        New = "new",
        Contacted = "contacted",
        Qualified = "qualified",
        Proposal = "proposal",
        Negotiation = "negotiation",
        Won = "won",
        Lost = "lost",
    }
}

text_enum! {
    /// Lead quality, `A` best to `D`.
    Grade {
        A = "A",
        B = "B",
        C = "C",
        D = "D",
    }
}

text_enum! {
    /// Where a lead came from: online (`website`, `social`, `ecommerce`, `ads`), offline
    /// (`exhibition`, `event`, `visit`), internal (`customer_service`, `marketing`, `referral`,
    /// `sales`), or a file `import`.
    SourceChannel {
        Website = "website",
        Social = "social",
        Ecommerce = "ecommerce",
        Ads = "ads",
        Exhibition = "exhibition",
        Event = "event",
        Visit = "visit",
        CustomerService = "customer_service",
        Marketing = "marketing",
        Referral = "referral",
        Sales = "sales",
        Import = "import",
    }
}

text_enum! {
    /// How a lead (or a later submission of it) came in: entered by hand, pushed by an intake
    /// source, or imported from a file.
    Via {
        Manual = "manual",
        Intake = "intake",
        Import = "import",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in LeadState::ALL {
            assert_eq!(state.as_str().parse::<LeadState>(), Ok(*state));
        }
        for channel in SourceChannel::ALL {
            let json = serde_json::to_string(channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
        }
        assert!("lost_forever".parse::<Stage>().is_err());
        assert!(LeadState::Owned.is_open() && !LeadState::Converted.is_open());
    }
}

/// Lead data as submitted (by hand, web form or file), before cleaning. Every way in fills this.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawLead {
    pub name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<String>,
    pub source_channel: Option<String>,
    pub source_detail: Option<String>,
    pub tags: Vec<String>,
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// Cleaned lead data: every value trimmed, half-width, parsed and valid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CleanLead {
    pub name: Option<String>,
    pub company: Option<String>,
    pub phone: Option<super::phone::Phone>,
    pub email: Option<super::email::Email>,
    pub wechat: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub industry: Option<String>,
    pub company_size: Option<String>,
    pub needs: Option<String>,
    pub grade: Option<Grade>,
    pub source_channel: Option<SourceChannel>,
    pub source_detail: Option<String>,
    pub tags: Vec<String>,
    /// Custom values as submitted (validated against the field definitions by the service).
    pub custom: serde_json::Map<String, serde_json::Value>,
}

/// One rejected field: `(field, code, message)`.
pub type LeadFieldError = (String, &'static str, String);

pub const MAX_SHORT_TEXT: usize = 200;
pub const MAX_LONG_TEXT: usize = 5000;
pub const MAX_TAGS: usize = 30;
pub const MAX_TAG_CHARS: usize = 50;

/// Tags cleaned and without repeats, and what is wrong with them: `too_many` (more than
/// [`MAX_TAGS`]; no tags then) or `too_long` (one over [`MAX_TAG_CHARS`]).
pub fn clean_tags(raw: &[String]) -> (Vec<String>, Option<(&'static str, String)>) {
    match super::text::distinct(raw.iter().map(String::as_str), MAX_TAGS) {
        Ok(tags) if tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) => (
            tags,
            Some((
                "too_long",
                format!("each tag must be at most {MAX_TAG_CHARS} characters"),
            )),
        ),
        Ok(tags) => (tags, None),
        Err(_) => (
            Vec::new(),
            Some(("too_many", format!("at most {MAX_TAGS} tags"))),
        ),
    }
}

impl CleanLead {
    /// A lead must be reachable or identifiable: a phone, email or WeChat id, or company and name.
    pub fn is_identifiable(&self) -> bool {
        self.phone.is_some()
            || self.email.is_some()
            || self.wechat.is_some()
            || (self.company.is_some() && self.name.is_some())
    }

    /// The dedupe key of company + contact name, when both are given.
    pub fn identity_key(&self) -> Option<String> {
        match (&self.company, &self.name) {
            (Some(company), Some(name)) => super::text::identity_key(company, name),
            _ => None,
        }
    }
}

/// Normalises a WeChat id: half-width, no spaces, lower-case; 1 to 64 visible characters.
pub fn clean_wechat(input: &str) -> Result<Option<String>, &'static str> {
    let Some(text) = super::text::clean(input) else {
        return Ok(None);
    };
    if text.chars().any(char::is_whitespace) || text.chars().count() > 64 {
        return Err("must be a WeChat id without spaces, at most 64 characters");
    }
    Ok(Some(text.to_lowercase()))
}

/// Cleans every field of a submission, collecting one error per rejected field.
pub fn clean_lead(raw: &RawLead) -> Result<CleanLead, Vec<LeadFieldError>> {
    let mut errors: Vec<LeadFieldError> = Vec::new();
    let mut text = |field: &str, value: &Option<String>, max: usize| -> Option<String> {
        let cleaned = value.as_deref().and_then(super::text::clean)?;
        if cleaned.chars().count() > max {
            errors.push((
                field.to_string(),
                "too_long",
                format!("must be at most {max} characters"),
            ));
            return None;
        }
        Some(cleaned)
    };
    let name = text("name", &raw.name, MAX_SHORT_TEXT);
    let company = text("company", &raw.company, MAX_SHORT_TEXT);
    let province = text("province", &raw.province, MAX_SHORT_TEXT);
    let city = text("city", &raw.city, MAX_SHORT_TEXT);
    let industry = text("industry", &raw.industry, MAX_SHORT_TEXT);
    let company_size = text("company_size", &raw.company_size, MAX_SHORT_TEXT);
    let needs = text("needs", &raw.needs, MAX_LONG_TEXT);
    let source_detail = text("source_detail", &raw.source_detail, MAX_SHORT_TEXT);
    let grade_text = text("grade", &raw.grade, 1);
    let channel_text = text("source_channel", &raw.source_channel, 50);

    let phone = match raw.phone.as_deref().and_then(super::text::clean) {
        None => None,
        Some(p) => match super::phone::Phone::parse(&p) {
            Ok(phone) => Some(phone),
            Err(_) => {
                errors.push((
                    "phone".into(),
                    "invalid_phone",
                    "is not a valid phone number (China by default; others need +country code)"
                        .into(),
                ));
                None
            }
        },
    };
    let email = match raw.email.as_deref().and_then(super::text::clean) {
        None => None,
        Some(e) => match super::email::Email::parse(&e) {
            Ok(email) => Some(email),
            Err(_) => {
                errors.push((
                    "email".into(),
                    "invalid_format",
                    "is not a valid email address".into(),
                ));
                None
            }
        },
    };
    let wechat = match clean_wechat(raw.wechat.as_deref().unwrap_or("")) {
        Ok(w) => w,
        Err(message) => {
            errors.push(("wechat".into(), "invalid_format", message.into()));
            None
        }
    };
    let grade = match grade_text.map(|g| g.to_uppercase()) {
        None => None,
        Some(g) => match g.parse::<Grade>() {
            Ok(grade) => Some(grade),
            Err(_) => {
                errors.push((
                    "grade".into(),
                    "invalid_value",
                    "must be one of A, B, C, D".into(),
                ));
                None
            }
        },
    };
    let source_channel = match channel_text {
        None => None,
        Some(c) => match c.to_lowercase().parse::<SourceChannel>() {
            Ok(channel) => Some(channel),
            Err(_) => {
                let names: Vec<&str> = SourceChannel::ALL.iter().map(|c| c.as_str()).collect();
                errors.push((
                    "source_channel".into(),
                    "invalid_value",
                    format!("must be one of {}", names.join(", ")),
                ));
                None
            }
        },
    };
    let (tags, tag_error) = clean_tags(&raw.tags);
    if let Some((code, message)) = tag_error {
        errors.push(("tags".into(), code, message));
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CleanLead {
        name,
        company,
        phone,
        email,
        wechat,
        province,
        city,
        industry,
        company_size,
        needs,
        grade,
        source_channel,
        source_detail,
        tags,
        custom: raw.custom.clone(),
    })
}

#[cfg(test)]
mod cleaning_tests {
    use super::*;

    #[test]
    fn cleans_every_field() {
        let raw = RawLead {
            name: Some("  张三 ".into()),
            company: Some("北京星辰科技（集团）".into()),
            phone: Some("+86 138-1234-5678".into()),
            email: Some(" ZHANG@Example.COM ".into()),
            wechat: Some(" ZhangSan_88 ".into()),
            grade: Some("b".into()),
            source_channel: Some("Website".into()),
            tags: vec![" vip ".into(), "vip".into(), "".into(), "展会".into()],
            ..Default::default()
        };
        let lead = clean_lead(&raw).unwrap();
        assert_eq!(lead.name.as_deref(), Some("张三"));
        assert_eq!(lead.company.as_deref(), Some("北京星辰科技(集团)"));
        assert_eq!(lead.phone.unwrap().as_str(), "+8613812345678");
        assert_eq!(lead.email.unwrap().as_str(), "zhang@example.com");
        assert_eq!(lead.wechat.as_deref(), Some("zhangsan_88"));
        assert_eq!(lead.grade, Some(Grade::B));
        assert_eq!(lead.source_channel, Some(SourceChannel::Website));
        assert_eq!(lead.tags, vec!["vip".to_string(), "展会".to_string()]);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let raw = RawLead {
            phone: Some("12345".into()),
            email: Some("nope".into()),
            wechat: Some("has space".into()),
            grade: Some("E".into()),
            source_channel: Some("fax".into()),
            name: Some("x".repeat(201)),
            ..Default::default()
        };
        let errors = clean_lead(&raw).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        for field in [
            "phone",
            "email",
            "wechat",
            "grade",
            "source_channel",
            "name",
        ] {
            assert!(fields.contains(&field), "{field}: {errors:?}");
        }
    }

    #[test]
    fn identifiable_needs_a_contact_or_company_and_name() {
        let mut lead = CleanLead::default();
        assert!(!lead.is_identifiable());
        lead.company = Some("Acme".into());
        assert!(!lead.is_identifiable());
        lead.name = Some("Li".into());
        assert!(lead.is_identifiable());
        assert!(lead.identity_key().is_some());
    }
}
