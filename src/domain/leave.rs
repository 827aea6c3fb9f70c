//! Whether a person is on leave at a moment.

use chrono::{DateTime, Utc};

/// On leave when `now` is inside `[from, until)`. An open start means "since always", an open end
/// "until further notice"; no window at all means not on leave.
pub fn on_leave(
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    if from.is_none() && until.is_none() {
        return false;
    }
    from.is_none_or(|from| from <= now) && until.is_none_or(|until| now < until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn windows() {
        let now = Utc::now();
        let h = Duration::hours(1);
        assert!(!on_leave(None, None, now));
        assert!(on_leave(Some(now - h), Some(now + h), now));
        assert!(on_leave(Some(now), Some(now + h), now));
        assert!(!on_leave(Some(now - h), Some(now), now));
        assert!(!on_leave(Some(now + h), None, now));
        assert!(on_leave(Some(now - h), None, now));
        assert!(on_leave(None, Some(now + h), now));
        assert!(!on_leave(None, Some(now - h), now));
    }
}
