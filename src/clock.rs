//! The source of "now". Rules take `now` as a value; the app asks a [`Clock`] so tests can move time
//! instead of sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Something that tells the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that runs with the wall clock from a shifted origin, and can be moved forward or back.
/// Used by tests (time-based rules are tested by moving time, not by sleeping).
#[derive(Debug, Default)]
pub struct TestClock {
    offset: Mutex<Duration>,
}

impl TestClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the clock to `at` (it runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset = at - Utc::now();
    }

    /// Moves the clock by `by` (negative moves it back).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        Utc::now() + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_moves_forward_and_back() {
        let clock = TestClock::new();
        let before = clock.now();
        clock.advance(Duration::hours(25));
        let later = clock.now();
        assert!(later - before >= Duration::hours(25));
        clock.advance(Duration::hours(-25));
        assert!(clock.now() - before < Duration::hours(1));
    }
}
