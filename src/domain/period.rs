//! A report's period: whole calendar days in the organisation's time zone, turned into the
//! half-open range of instants the facts are filtered by.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest period a report covers (two years and a day).
pub const MAX_DAYS: u64 = 732;
/// The period when none is given: the last 30 days, today included.
pub const DEFAULT_DAYS: u64 = 30;

/// `from` to `to`, both days included, in `tz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The first instant of `from`.
    pub start: DateTime<Utc>,
    /// The first instant after `to`.
    pub end: DateTime<Utc>,
}

/// Why a period is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    /// `from` is after `to`.
    Reversed,
    /// More than [`MAX_DAYS`] days.
    TooLong,
}

impl Period {
    /// The period of the given days; a missing `to` is today, a missing `from` is
    /// [`DEFAULT_DAYS`] days up to `to`.
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        tz: Tz,
        now: DateTime<Utc>,
    ) -> Result<Self, PeriodError> {
        let to = to.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
        let from = from.unwrap_or_else(|| {
            to.checked_sub_days(Days::new(DEFAULT_DAYS - 1))
                .unwrap_or(NaiveDate::MIN)
        });
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() >= MAX_DAYS as i64 {
            return Err(PeriodError::TooLong);
        }
        let after = to
            .checked_add_days(Days::new(1))
            .ok_or(PeriodError::TooLong)?;
        Ok(Self {
            from,
            to,
            start: start_of(from, tz),
            end: start_of(after, tz),
        })
    }
}

/// The first instant of a local day. Where a time-zone change skips midnight, the day starts at
/// the first local time that exists.
pub fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut at = day.and_time(chrono::NaiveTime::MIN);
    for _ in 0..48 {
        if let Some(t) = tz.from_local_datetime(&at).earliest() {
            return t.with_timezone(&Utc);
        }
        at += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia};

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn local_days_become_utc_instants() {
        let p = Period::new(
            Some(day("2026-03-01")),
            Some(day("2026-03-31")),
            Asia::Shanghai,
            at("2026-11-27T12:00:00Z"),
        )
        .unwrap();
        assert_eq!(p.start, at("2026-02-28T16:00:00Z"));
        assert_eq!(p.end, at("2026-03-31T16:00:00Z"));
    }

    #[test]
    fn defaults_are_the_last_thirty_local_days() {
        // 2026-11-27 20:30 UTC is already the 28th in Shanghai.
        let p = Period::new(None, None, Asia::Shanghai, at("2026-11-27T20:30:00Z")).unwrap();
        assert_eq!(p.to, day("2026-11-28"));
        assert_eq!(p.from, day("2026-10-30"));
        let p = Period::new(
            None,
            Some(day("2026-01-10")),
            Asia::Shanghai,
            at("2026-11-27T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(p.from, day("2025-12-12"));
    }

    #[test]
    fn one_day_and_bad_periods() {
        let now = at("2026-11-27T00:00:00Z");
        let p = Period::new(
            Some(day("2026-05-05")),
            Some(day("2026-05-05")),
            Asia::Shanghai,
            now,
        )
        .unwrap();
        assert_eq!(p.end - p.start, chrono::Duration::hours(24));
        assert_eq!(
            Period::new(
                Some(day("2026-05-06")),
                Some(day("2026-05-05")),
                Asia::Shanghai,
                now
            ),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::new(
                Some(day("2024-01-01")),
                Some(day("2026-01-02")),
                Asia::Shanghai,
                now
            ),
            Err(PeriodError::TooLong)
        );
        assert!(
            Period::new(
                Some(day("2024-01-01")),
                Some(day("2026-01-01")),
                Asia::Shanghai,
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn days_across_daylight_saving_changes() {
        let now = at("2026-11-27T00:00:00Z");
        // New York springs forward on 2026-03-08: that day has 23 hours.
        let p = Period::new(
            Some(day("2026-03-08")),
            Some(day("2026-03-08")),
            America::New_York,
            now,
        )
        .unwrap();
        assert_eq!(p.start, at("2026-03-08T05:00:00Z"));
        assert_eq!(p.end - p.start, chrono::Duration::hours(23));
        // Havana skips midnight itself (00:00 → 01:00): the day starts at 01:00.
        assert_eq!(
            start_of(day("2026-03-08"), America::Havana),
            at("2026-03-08T05:00:00Z")
        );
    }
}

/// A median (or any report figure in hours or days) as answered: rounded to 0.01, half away
/// from zero.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

#[cfg(test)]
mod round2_tests {
    use super::round2;

    #[test]
    fn rounds_to_hundredths_half_away_from_zero() {
        assert_eq!(round2(4.0), 4.0);
        assert_eq!(round2(1.0 / 3.0), 0.33);
        assert_eq!(round2(0.125), 0.13);
        assert_eq!(round2(-0.125), -0.13);
        assert_eq!(round2(2.0000004), 2.0);
        assert_eq!(round2(1.999), 2.0);
    }
}
