//! The point in time a sleep or a scheduled call waits for.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};

use super::date::seconds_between;
use super::pyfmt::{py_date, py_float};
use crate::{Error, Result};

/// When [`sleep_until`](super::Clock::sleep_until) or [`call_at`](super::ClockExt::call_at) is
/// due: a value of the clock's [`time`](super::Clock::time) or a date compared with its
/// [`utcnow`](super::Clock::utcnow) (Python accepts a number or an `Arrow` date).
///
/// ```
/// use aiomas::clock::Deadline;
/// use chrono::{DateTime, Utc};
///
/// assert_eq!(Deadline::from(5.0), Deadline::Time(5.0));
/// let date: DateTime<Utc> = "2016-01-01T00:00:10Z".parse().unwrap();
/// assert_eq!(Deadline::from(date), Deadline::Date(date));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Deadline {
    /// A value of the clock's monotonic time, in seconds.
    Time(f64),
    /// A date; it is due once the clock's `utcnow()` reaches it.
    Date(DateTime<Utc>),
}

impl Deadline {
    /// The clock time at which this deadline is due, for a clock that reads `time` and `utcnow`
    /// right now, or `Error::Value` (`Date "…" is in the past`) if that is not after `time`.
    ///
    /// This is Python's `BaseClock._check_date`; implementations of
    /// [`Clock`](super::Clock) use it to accept both kinds of deadline the same way.
    ///
    /// ```
    /// use aiomas::clock::Deadline;
    /// use chrono::{DateTime, Utc};
    ///
    /// let now: DateTime<Utc> = "2016-01-01T00:00:00Z".parse().unwrap();
    /// let in_ten_secs: DateTime<Utc> = "2016-01-01T00:00:10Z".parse().unwrap();
    /// assert_eq!(Deadline::from(in_ten_secs).resolve(100.0, now).unwrap(), 110.0);
    /// assert_eq!(Deadline::from(101.0).resolve(100.0, now).unwrap(), 101.0);
    ///
    /// let err = Deadline::from(100.0).resolve(100.0, now).unwrap_err();
    /// assert_eq!(err.to_string(), r#"Date "100.0" is in the past"#);
    /// ```
    pub fn resolve(self, time: f64, utcnow: DateTime<Utc>) -> Result<f64> {
        let t = match self {
            Deadline::Time(t) => t,
            Deadline::Date(date) => seconds_between(date, utcnow) + time,
        };
        // NaN fails `>` and is refused here; Python would queue it and never fire it.
        if t > time {
            Ok(t)
        } else {
            Err(Error::Value(format!("Date \"{self}\" is in the past")))
        }
    }
}

/// Spelled as Python's `str()` spells the number or the `Arrow` date.
///
/// ```
/// use aiomas::clock::Deadline;
/// use chrono::{DateTime, Utc};
///
/// assert_eq!(Deadline::from(3.0).to_string(), "3.0");
/// let date: DateTime<Utc> = "2016-01-01T00:00:00Z".parse().unwrap();
/// assert_eq!(Deadline::from(date).to_string(), "2016-01-01T00:00:00+00:00");
/// ```
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Deadline::Time(t) => f.write_str(&py_float(t)),
            Deadline::Date(date) => f.write_str(&py_date(date)),
        }
    }
}

/// A clock time in seconds.
///
/// ```
/// assert_eq!(aiomas::clock::Deadline::from(1.5), aiomas::clock::Deadline::Time(1.5));
/// ```
impl From<f64> for Deadline {
    fn from(t: f64) -> Self {
        Deadline::Time(t)
    }
}

/// A UTC date.
///
/// ```
/// use chrono::Utc;
/// let now = Utc::now();
/// assert_eq!(aiomas::clock::Deadline::from(now), aiomas::clock::Deadline::Date(now));
/// ```
impl From<DateTime<Utc>> for Deadline {
    fn from(date: DateTime<Utc>) -> Self {
        Deadline::Date(date)
    }
}

/// A date with an offset, converted to UTC right away (what the clocks guide advises).
///
/// ```
/// use aiomas::clock::Deadline;
/// use chrono::{DateTime, FixedOffset, Utc};
///
/// let local = DateTime::parse_from_rfc3339("2016-01-01T01:00:00+01:00").unwrap();
/// let utc: DateTime<Utc> = "2016-01-01T00:00:00Z".parse().unwrap();
/// assert_eq!(Deadline::from(local), Deadline::Date(utc));
/// ```
impl From<DateTime<FixedOffset>> for Deadline {
    fn from(date: DateTime<FixedOffset>) -> Self {
        Deadline::Date(date.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn a_later_time_is_accepted_as_is() {
        let now = date("2016-01-01T00:00:00Z");
        assert_eq!(Deadline::Time(1.5).resolve(1.0, now).unwrap(), 1.5);
        assert_eq!(
            Deadline::Time(f64::INFINITY).resolve(1.0, now).unwrap(),
            f64::INFINITY
        );
    }

    #[test]
    fn a_time_not_after_now_is_in_the_past() {
        let now = date("2016-01-01T00:00:00Z");
        for (t, text) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-3.0, "-3.0"),
            (f64::NAN, "nan"),
        ] {
            let err = Deadline::Time(t).resolve(1.0, now).unwrap_err();
            assert!(matches!(err, Error::Value(_)));
            assert_eq!(err.to_string(), format!("Date \"{text}\" is in the past"));
            assert_eq!(err.python_kind(), "ValueError");
        }
    }

    #[test]
    fn a_date_becomes_time_plus_its_distance_from_utcnow() {
        let now = date("2016-01-01T00:00:00Z");
        let deadline = Deadline::Date(date("2016-01-01T00:01:00.5Z"));
        assert_eq!(deadline.resolve(-1.0, now).unwrap(), 59.5);
    }

    #[test]
    fn a_date_not_after_utcnow_is_in_the_past() {
        let now = date("2016-01-01T00:00:00Z");
        for past in ["2016-01-01T00:00:00Z", "2015-12-31T23:59:59.5Z"] {
            let err = Deadline::Date(date(past)).resolve(10.0, now).unwrap_err();
            let shown = py_date(date(past));
            assert_eq!(err.to_string(), format!("Date \"{shown}\" is in the past"));
        }
    }
}
