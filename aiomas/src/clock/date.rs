//! Conversions between clock seconds (`f64`) and date differences.

use chrono::{DateTime, TimeDelta, Utc};

/// `date + secs` seconds, to the nanosecond.
///
/// Saturates at chrono's date range: `utcnow()` has no error path, and a clock set to a time
/// that far away is already meaningless as a date.
pub(super) fn add_seconds(date: DateTime<Utc>, secs: f64) -> DateTime<Utc> {
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round();
    // Rounding can carry the fraction up to a full second.
    let (whole, nanos) = if nanos >= 1e9 {
        (whole + 1.0, 0.0)
    } else {
        (whole, nanos)
    };
    // `as` saturates out-of-range floats; `TimeDelta::new` and `checked_add_signed` then
    // reject what chrono cannot represent.
    TimeDelta::new(whole as i64, nanos as u32)
        .and_then(|delta| date.checked_add_signed(delta))
        .unwrap_or(if secs > 0.0 {
            DateTime::<Utc>::MAX_UTC
        } else {
            DateTime::<Utc>::MIN_UTC
        })
}

/// `(later - earlier).total_seconds()`, to the nanosecond.
pub(super) fn seconds_between(later: DateTime<Utc>, earlier: DateTime<Utc>) -> f64 {
    let delta = later - earlier;
    delta.num_seconds() as f64 + f64::from(delta.subsec_nanos()) * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn adds_whole_fractional_and_negative_seconds() {
        let start = date("2016-01-01T00:00:00Z");
        assert_eq!(add_seconds(start, 0.0), start);
        assert_eq!(add_seconds(start, 90.0), date("2016-01-01T00:01:30Z"));
        assert_eq!(add_seconds(start, 0.1), date("2016-01-01T00:00:00.1Z"));
        assert_eq!(add_seconds(start, -1.5), date("2015-12-31T23:59:58.5Z"));
        assert_eq!(
            add_seconds(start, 86400.0 * 366.0),
            date("2017-01-01T00:00:00Z")
        );
    }

    #[test]
    fn carries_a_rounded_up_fraction() {
        let start = date("2016-01-01T00:00:00Z");
        assert_eq!(
            add_seconds(start, 0.999_999_999_9),
            date("2016-01-01T00:00:01Z")
        );
    }

    #[test]
    fn saturates_outside_chronos_range() {
        let start = date("2016-01-01T00:00:00Z");
        assert_eq!(add_seconds(start, 1e300), DateTime::<Utc>::MAX_UTC);
        assert_eq!(add_seconds(start, f64::INFINITY), DateTime::<Utc>::MAX_UTC);
        assert_eq!(add_seconds(start, -1e300), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn measures_signed_differences() {
        let a = date("2016-01-01T00:00:00Z");
        let b = date("2016-01-01T00:00:02.5Z");
        assert_eq!(seconds_between(b, a), 2.5);
        assert_eq!(seconds_between(a, b), -2.5);
        assert_eq!(seconds_between(a, a), 0.0);
    }

    #[test]
    fn round_trips() {
        let start = date("2016-01-01T00:00:00Z");
        for secs in [0.25, 1.0, 3600.5, -7.75, 1e6] {
            assert_eq!(seconds_between(add_seconds(start, secs), start), secs);
        }
    }
}
