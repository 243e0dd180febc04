//! The log's clock as a reader checks it. The log stamps every entry with
//! its own time; a reader who trusts nothing requires those times never to
//! run backwards and never to lie later than its own clock (plus a small
//! allowance for the server's clock running ahead). A log that breaks either
//! was not written by an honest sequencer, whatever its checkpoints say.

use jiff::{SignedDuration, Timestamp};

/// How far an entry's time may lie ahead of the reader's clock.
pub const CLOCK_AHEAD: SignedDuration = SignedDuration::from_mins(10);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("entry {index} logged at {logged_at}, before the previous entry ({previous})")]
    Backwards {
        index: u64,
        logged_at: Timestamp,
        previous: Timestamp,
    },
    #[error("entry {index} logged at {logged_at}, later than now ({now})")]
    Future {
        index: u64,
        logged_at: Timestamp,
        now: Timestamp,
    },
}

impl TimeError {
    pub fn code(&self) -> &'static str {
        match self {
            TimeError::Backwards { .. } => "time_went_backwards",
            TimeError::Future { .. } => "logged_in_future",
        }
    }
}

/// Whether `logged_at` lies later than the reader's clock `now` allows.
/// Checked arithmetic: `now` near the end of the range means no bound.
pub fn is_future(logged_at: Timestamp, now: Timestamp) -> bool {
    now.checked_add(CLOCK_AHEAD)
        .is_ok_and(|latest| logged_at > latest)
}

/// Checks the time of entry `index` against the one before it and the
/// reader's clock: the one rule that both the audit and the client apply.
pub fn step(
    index: u64,
    logged_at: Timestamp,
    previous: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), TimeError> {
    if let Some(previous) = previous
        && logged_at < previous
    {
        return Err(TimeError::Backwards {
            index,
            logged_at,
            previous,
        });
    }
    if is_future(logged_at, now) {
        return Err(TimeError::Future {
            index,
            logged_at,
            now,
        });
    }
    Ok(())
}

/// Checks the times of a whole log, oldest first, against the reader's clock.
pub fn check(times: impl IntoIterator<Item = Timestamp>, now: Timestamp) -> Result<(), TimeError> {
    let mut previous = None;
    for (index, logged_at) in (0u64..).zip(times) {
        step(index, logged_at, previous, now)?;
        previous = Some(logged_at);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn an_honest_log_passes() {
        let now = t("2026-12-01T12:00:00Z");
        let times = [t("2026-11-01T00:00:00Z"), t("2026-11-01T00:00:00Z"), now];
        assert_eq!(check(times, now), Ok(()));
        assert_eq!(check([now + SignedDuration::from_mins(9)], now), Ok(()));
    }

    #[test]
    fn an_entry_from_the_future_is_refused_even_at_the_end_of_time() {
        let now = t("2026-12-01T12:00:00Z");
        for late in [now + SignedDuration::from_mins(11), Timestamp::MAX] {
            let e = check([now, late], now).unwrap_err();
            assert_eq!(e.code(), "logged_in_future");
            assert!(matches!(e, TimeError::Future { index: 1, .. }));
        }
        // A reader whose own clock is at the end of the range sets no bound (and does not panic).
        assert_eq!(check([Timestamp::MAX], Timestamp::MAX), Ok(()));
    }

    #[test]
    fn time_running_backwards_is_refused() {
        let now = t("2026-12-01T12:00:00Z");
        let e = check([now, Timestamp::MIN], now).unwrap_err();
        assert_eq!(e.code(), "time_went_backwards");
        assert!(matches!(e, TimeError::Backwards { index: 1, .. }));
    }
}
