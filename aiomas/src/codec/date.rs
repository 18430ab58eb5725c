//! Dates as Python aiomas sends them: Arrow objects, `{"__type__": [0, "2016-01-01T00:00:00+00:00"]}`
//! on container connections.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{extension_data, serialize_extension};
use crate::value::Extension;
use crate::Value;

/// The name containers register the Arrow date serializer under (typeid 0).
///
/// ```
/// use aiomas::codec::{Serializers, ARROW};
/// assert_eq!(Serializers::new().with_type(ARROW).typeid("arrow"), Some(0));
/// ```
pub const ARROW: &str = "arrow";

/// A date-time that travels as an Arrow date, so Python agents receive `arrow.Arrow` objects.
///
/// It derefs to a chrono `DateTime<FixedOffset>`; plain chrono parameters of exposed methods
/// accept incoming Arrow dates too, but a value *sent* as a date must be a `Date`.
///
/// ```
/// use aiomas::Date;
/// let date: Date = "2016-01-01T00:00:00+00:00".parse().unwrap();
/// let value = aiomas::to_value(&date).unwrap();
/// assert_eq!(value.to_string(), r#"arrow("2016-01-01T00:00:00+00:00")"#);
/// assert_eq!(aiomas::from_value::<Date>(value).unwrap(), date);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub DateTime<FixedOffset>);

impl Date {
    /// Python's `str(arrow)`: ISO 8601 with the offset, microseconds only when non-zero.
    ///
    /// ```
    /// use aiomas::Date;
    /// let date: Date = "2016-01-01T12:30:00.250+01:00".parse().unwrap();
    /// assert_eq!(date.to_arrow_string(), "2016-01-01T12:30:00.250000+01:00");
    /// let date: Date = "2016-01-01T00:00:00Z".parse().unwrap();
    /// assert_eq!(date.to_arrow_string(), "2016-01-01T00:00:00+00:00");
    /// ```
    pub fn to_arrow_string(&self) -> String {
        let format = if self.0.timestamp_subsec_nanos() == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Micros
        };
        self.0.to_rfc3339_opts(format, false)
    }
}

impl Deref for Date {
    type Target = DateTime<FixedOffset>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<DateTime<Utc>> for Date {
    fn from(date: DateTime<Utc>) -> Self {
        Date(date.fixed_offset())
    }
}

impl From<DateTime<FixedOffset>> for Date {
    fn from(date: DateTime<FixedOffset>) -> Self {
        Date(date)
    }
}

impl From<Date> for DateTime<Utc> {
    fn from(date: Date) -> Self {
        date.0.with_timezone(&Utc)
    }
}

impl std::str::FromStr for Date {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, crate::Error> {
        DateTime::parse_from_rfc3339(s)
            .map(Date)
            .map_err(|e| crate::Error::Value(format!("cannot parse the date {s:?}: {e}")))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_arrow_string())
    }
}

impl From<Date> for Value {
    fn from(date: Date) -> Self {
        let data = Value::Str(date.to_arrow_string());
        Value::Ext(Box::new(Extension {
            type_name: Arc::from(ARROW),
            data,
        }))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_extension(s, ARROW, &self.to_arrow_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    /// Accepts an Arrow date, or a plain ISO 8601 string.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match extension_data(d, ARROW)? {
            Value::Str(s) => s.parse().map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format_args!(
                "expected a date, got {other}"
            ))),
        }
    }
}
