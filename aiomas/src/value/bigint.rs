//! Integers beyond 64 bits, kept exactly as their decimal digits (Python's `int` has no limit).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// An integer outside the range of `i64` and `u64`, as Python peers may send it in JSON
/// (`2**64`, `-2**63 - 1`, `2**100`, `10**40`, ...).
///
/// It holds the canonical decimal digits (an optional `-`, no leading zeros), so integers of
/// any size survive a round trip exactly. Integers that fit into `i64` or `u64` are never a
/// `BigInt` in a [`Value`](crate::Value): [`Value::from`](crate::Value::from) and the codecs
/// pick [`Value::Int`](crate::Value::Int) or [`Value::UInt`](crate::Value::UInt) for them.
///
/// ```
/// use aiomas::{BigInt, Value};
/// let big: BigInt = "1267650600228229401496703205376".parse().unwrap(); // 2**100
/// assert_eq!(big.to_u128(), Some(1 << 100));
/// assert_eq!(Value::from(1u128 << 100), Value::BigInt(big));
/// assert_eq!(Value::from(7u128), Value::Int(7));
/// assert!("12x".parse::<BigInt>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BigInt(Box<str>);

impl BigInt {
    /// The canonical decimal digits, with a leading `-` for negative numbers.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        self.0.parse().ok()
    }

    /// The value as `u128`, if it is non-negative and fits.
    pub fn to_u128(&self) -> Option<u128> {
        self.0.parse().ok()
    }

    /// The nearest `f64` (infinite beyond `f64::MAX`), as Python's `float(n)` minus its
    /// `OverflowError`.
    pub fn to_f64(&self) -> f64 {
        // Canonical digits always parse as a float.
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// Wraps digits that [`is_canonical`] accepted.
    pub(crate) fn from_canonical(digits: &str) -> BigInt {
        debug_assert!(is_canonical(digits), "{digits:?}");
        BigInt(digits.into())
    }
}

/// An optional `-`, then digits without leading zeros (and no `-0`).
pub(crate) fn is_canonical(digits: &str) -> bool {
    let magnitude = digits.strip_prefix('-').unwrap_or(digits);
    let bytes = magnitude.as_bytes();
    !bytes.is_empty()
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes[0] != b'0' || bytes.len() == 1)
        && !(digits.starts_with('-') && magnitude == "0")
}

impl FromStr for BigInt {
    type Err = Error;

    /// Parses canonical decimal digits (`-` allowed, no `+`, no leading zeros).
    fn from_str(digits: &str) -> Result<BigInt, Error> {
        if is_canonical(digits) {
            Ok(BigInt(digits.into()))
        } else {
            Err(Error::Value(format!("{digits:?} is not a decimal integer")))
        }
    }
}

impl fmt::Display for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i128> for BigInt {
    fn from(v: i128) -> Self {
        BigInt(v.to_string().into())
    }
}

impl From<u128> for BigInt {
    fn from(v: u128) -> Self {
        BigInt(v.to_string().into())
    }
}
