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
