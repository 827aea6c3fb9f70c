//! Phone numbers in E.164, parsed with China as the default region.

use std::fmt;

use phonenumber::{Mode, country};

/// A valid phone number in E.164 form (`+8613812345678`, `+861062345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

/// Why a text is not a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPhone;

impl Phone {
    /// Accepts Chinese mobile and fixed-line numbers with or without `+86`/`0086`, spaces, dashes,
    /// dots and brackets, and full-width digits; numbers of other countries need their `+` prefix.
    pub fn parse(input: &str) -> Result<Self, InvalidPhone> {
        let half = super::text::to_half_width(input);
        let compact: String = half
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
            .collect();
        if compact.is_empty()
            || compact.len() > 20
            || !compact
                .trim_start_matches('+')
                .chars()
                .all(|c| c.is_ascii_digit())
        {
            return Err(InvalidPhone);
        }
        if let Some(e164) = chinese_mobile(&compact) {
            return Ok(Self(e164));
        }
        let number =
            phonenumber::parse(Some(country::Id::CN), &compact).map_err(|_| InvalidPhone)?;
        if !phonenumber::is_valid(&number) {
            return Err(InvalidPhone);
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The fast path for the usual case, a Chinese mobile number with or without `+86`/`0086`: its
/// E.164 form when it matches libphonenumber's mobile pattern for China
/// (`1740[0-5]\d{6}|1(?:[38]\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\d{8}`), which makes it
/// valid; `None` sends the text to `phonenumber` (whose regex cache sits behind one lock, so
/// parallel imports would queue on it). A test checks both agree on every prefix.
fn chinese_mobile(compact: &str) -> Option<String> {
    let national = compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(compact);
    let d = national.as_bytes();
    if d.len() != 11 || d[0] != b'1' || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mobile = match (d[1], d[2]) {
        (b'3' | b'8', _) => true,
        (b'4', third) => matches!(third, b'5' | b'7'),
        (b'5' | b'9', third) => third != b'4',
        (b'6', third) => matches!(third, b'2' | b'5'..=b'7'),
        (b'7', b'4') => d[3] == b'0' && (b'0'..=b'5').contains(&d[4]),
        (b'7', third) => matches!(third, b'0'..=b'3' | b'5'..=b'8'),
        _ => false,
    };
    mobile.then(|| format!("+86{national}"))
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_mobiles_in_every_usual_spelling() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "008613812345678",
            "0086-138-1234-5678",
            "１３８１２３４５６７８",
            " (+86) 13812345678 ",
        ] {
            assert_eq!(
                Phone::parse(input).map(Phone::into_inner),
                Ok("+8613812345678".into()),
                "{input:?}"
            );
        }
    }

    /// The fast path agrees with libphonenumber on every three- and five-digit prefix of an
    /// 11-digit number starting with 1, in each spelling it takes.
    #[test]
    fn fast_path_agrees_with_phonenumber() {
        let slow = |text: &str| -> Option<String> {
            let number = phonenumber::parse(Some(country::Id::CN), text).ok()?;
            phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
        };
        let mut fast_hits = 0;
        for prefix in 10_000..20_000u32 {
            let national = format!("{prefix}{:06}", prefix * 7 % 1_000_000);
            for text in [
                national.clone(),
                format!("+86{national}"),
                format!("0086{national}"),
            ] {
                fast_hits += usize::from(chinese_mobile(&text).is_some());
                let parsed = Phone::parse(&text).ok().map(Phone::into_inner);
                assert_eq!(parsed, slow(&text), "{text}");
            }
        }
        assert!(
            fast_hits > 15_000,
            "the fast path took only {fast_hits} numbers"
        );
    }

    #[test]
    fn chinese_fixed_lines_with_area_codes() {
        assert_eq!(
            Phone::parse("010-62345678").unwrap().as_str(),
            "+861062345678"
        );
        assert_eq!(
            Phone::parse("(021) 6234 5678").unwrap().as_str(),
            "+862162345678"
        );
        assert_eq!(
            Phone::parse("0755-86012345").unwrap().as_str(),
            "+8675586012345"
        );
        assert_eq!(
            Phone::parse("+86 10 6234 5678").unwrap().as_str(),
            "+861062345678"
        );
    }

    #[test]
    fn other_countries_need_their_prefix() {
        assert_eq!(
            Phone::parse("+1 650-253-0000").unwrap().as_str(),
            "+16502530000"
        );
    }

    #[test]
    fn rejects_what_cannot_be_a_number() {
        for input in [
            "",
            "abc",
            "12345",
            "1381234567",
            "138123456789",
            "00000000000",
            "138-1234-567x",
            "+86 999",
        ] {
            assert_eq!(Phone::parse(input), Err(InvalidPhone), "{input:?}");
        }
    }
}
