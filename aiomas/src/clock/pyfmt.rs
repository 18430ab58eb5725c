//! Numbers and dates spelled the way Python's `str()` spells them.
//!
//! The clocks' `ValueError` messages embed times and dates; using Python's spelling keeps the
//! messages identical to those of Python aiomas (a remote peer may compare or log them).

use chrono::{DateTime, Timelike, Utc};

/// `str(float)` / `repr(float)` in Python 3: the shortest round-trip digits, `.0` on whole
/// numbers, exponent notation below 1e-4 and from 1e16 on, `nan`, `inf`.
pub(crate) fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's Debug format switches to exponent notation at the same thresholds as Python's
    // repr; only the exponent is spelled differently ("1e16" vs. "1e+16", "1e-5" vs. "1e-05").
    let debug = format!("{x:?}");
    match debug.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(digits) => ('-', digits),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => debug,
    }
}

/// `str()` of a UTC `Arrow` date (its `isoformat()`): microseconds only when non-zero, and an
/// explicit `+00:00` offset.
pub(super) fn py_date(date: DateTime<Utc>) -> String {
    // Python dates stop at microseconds, so finer digits are cut, not rounded.
    let micros = date.nanosecond() % 1_000_000_000 / 1_000;
    let seconds = date.format("%Y-%m-%dT%H:%M:%S");
    if micros == 0 {
        format!("{seconds}+00:00")
    } else {
        format!("{seconds}.{micros:06}+00:00")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_read_like_python() {
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3.0, "3.0"),
            (-1.0, "-1.0"),
            (0.5, "0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, python) in cases {
            assert_eq!(py_float(x), python, "{x:?}");
        }
    }

    #[test]
    fn dates_read_like_arrow() {
        let date: DateTime<Utc> = "2016-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(py_date(date), "2016-01-01T00:00:00+00:00");
        let date: DateTime<Utc> = "2016-01-01T12:30:05.25Z".parse().unwrap();
        assert_eq!(py_date(date), "2016-01-01T12:30:05.250000+00:00");
        let date: DateTime<Utc> = "2016-01-01T12:30:05.000000999Z".parse().unwrap();
        assert_eq!(py_date(date), "2016-01-01T12:30:05+00:00");
    }
}
