//! Dates as people in Swedish municipalities read them: Europe/Stockholm.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use std::sync::LazyLock;

static ZONE: LazyLock<TimeZone> =
    // The tz database is compiled in (jiff `tzdb-bundle-always`), so the lookup cannot miss;
    // the test below pins that.
    LazyLock::new(|| TimeZone::get("Europe/Stockholm").unwrap_or(TimeZone::UTC));

/// The calendar date in Europe/Stockholm at instant `t`.
pub fn date_of(t: Timestamp) -> Date {
    ZONE.to_datetime(t).date()
}

/// The wall-clock date and time in Europe/Stockholm at instant `t`.
pub fn datetime_of(t: Timestamp) -> DateTime {
    ZONE.to_datetime(t)
}

/// Instant `t` as people read it: Stockholm wall-clock time to the minute,
/// `YYYY-MM-DD HH:MM`.
pub fn minute(t: Timestamp) -> String {
    datetime_of(t).strftime("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_evening_utc_is_next_day_in_stockholm() {
        // 23:30 UTC in winter is 00:30 CET; in summer 22:30 UTC is 00:30 CEST.
        assert_eq!(
            date_of("2020-11-08T23:30:00Z".parse().unwrap()).to_string(),
            "2020-11-09"
        );
        assert_eq!(
            date_of("2021-06-30T22:30:00Z".parse().unwrap()).to_string(),
            "2021-07-01"
        );
        assert_eq!(
            date_of("2021-06-30T21:30:00Z".parse().unwrap()).to_string(),
            "2021-06-30"
        );
    }
}
