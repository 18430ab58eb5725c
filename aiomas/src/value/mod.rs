//! The codec-neutral value: everything the JSON and MsgPack codecs can carry.
//!
//! Typed code never has to touch [`Value`]: exposed methods and proxies convert straight
//! between Rust types and values with serde ([`to_value`], [`from_value`]). Dynamic proxies
//! and peers without Rust types (Python agents) use it directly.

mod bigint;
mod de;
mod ser;
mod tape;

use std::fmt;
use std::sync::Arc;

pub use bigint::BigInt;
pub use de::from_value;
pub(crate) use de::{list_not_used_up, visit_primitives};
pub(crate) use ser::service_ref_from_value;
pub use ser::to_value;
pub(crate) use tape::{Items as TapeItems, Tape};

/// A byte string that travels as MsgPack `bin` both ways: Python sends and receives `bytes`.
///
/// A plain `Vec<u8>` *accepts* Python `bytes` too, but serde serializes it as a list of
/// integers, so a returned `Vec<u8>` reaches Python as a tuple of ints. Send `Bytes` (or mark
/// a field `#[serde(with = "serde_bytes")]`) to send `bytes`. Its buffer is moved, never copied
/// byte by byte, on the way into and out of a [`Value`].
///
/// ```
/// use aiomas::{Bytes, Value};
/// let value = aiomas::to_value(&Bytes::from(vec![0, 159])).unwrap();
/// assert_eq!(value, Value::Bytes(vec![0, 159]));
/// let back: Bytes = aiomas::from_value(value.clone()).unwrap();
/// assert_eq!(back.into_vec(), [0, 159]);
/// let plain: Vec<u8> = aiomas::from_value(value).unwrap();
/// assert_eq!(plain, [0, 159]);
/// ```
#[doc(inline)]
pub use serde_bytes::ByteBuf as Bytes;

/// Name of the serde newtype struct that carries an [`Extension`] through serde.
pub(crate) const EXTENSION_TOKEN: &str = "$aiomas::Extension";
/// Name of the serde newtype struct that carries a [`ServiceRef`] through serde.
pub(crate) const SERVICE_REF_TOKEN: &str = "$aiomas::ServiceRef";
/// Name of the serde newtype struct that carries a [`BigInt`] beyond 128 bits through serde.
pub(crate) const BIG_INT_TOKEN: &str = "$aiomas::BigInt";

/// A dynamically typed value, as it travels on the wire.
///
/// ```
/// use aiomas::Value;
/// let v = Value::from(vec![Value::from(1), Value::from("two"), Value::Nil]);
/// assert_eq!(v.to_string(), r#"[1, "two", None]"#);
/// assert_eq!(v.as_list().unwrap()[0].as_i64(), Some(1));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `None` in Python, `null` in JSON, `nil` in MsgPack.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// A signed integer (every integer that fits into `i64`).
    Int(i64),
    /// An unsigned integer above `i64::MAX`.
    UInt(u64),
    /// An integer beyond 64 bits (outside `i64` and `u64`), kept exactly; JSON carries it,
    /// MsgPack cannot (as in Python).
    BigInt(BigInt),
    /// A 64-bit float.
    Float(f64),
    /// A UTF-8 string.
    Str(String),
    /// Raw bytes (MsgPack `bin`; JSON cannot carry them, as in Python).
    Bytes(Vec<u8>),
    /// A list (Python decodes MsgPack arrays as tuples; both are lists here).
    List(Vec<Value>),
    /// A map with keys in wire order.
    Map(Vec<(Value, Value)>),
    /// An object of a registered extra type, sent as `{"__type__": [typeid, data]}`.
    Ext(Box<Extension>),
    /// A reference to an RPC service (an agent or a service), sent via the RPC fallback serializer.
    ///
    /// Boxed, as service references are rare and every other variant fits into 24 bytes: a
    /// `Value` is 32 bytes, which bounds what a decoded message costs per element.
    Service(Box<ServiceRef>),
}

/// An object of an extra type, identified by the name under which both sides registered it.
///
/// On the wire it is `{"__type__": [typeid, data]}`, `typeid` being the registration index of
/// `type_name` on the connection's codec.
///
/// ```
/// use aiomas::codec::Codec;
/// use aiomas::{Extension, Value};
///
/// let point = Extension { type_name: "Point".into(), data: Value::List(vec![1.into(), 2.into()]) };
/// let value = Value::Ext(Box::new(point));
/// // Without a registered serializer for "Point" it cannot travel.
/// let err = Codec::Json.encode(&value).unwrap_err();
/// assert!(err.to_string().contains("No serializer found for type \"Point\""));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    /// The registered name of the type (e.g. `"arrow"` for dates on container connections).
    pub type_name: Arc<str>,
    /// The plain representation of the object.
    pub data: Value,
}

/// A reference to an RPC service on one side of one connection.
///
/// A local service passed as an argument or result is sent as its router path; the peer turns
/// it into a proxy bound to the same connection ([`Home::Connection`]).
///
/// ```
/// use aiomas::{Home, ServiceRef, Value};
///
/// // Agent 3 of the peer at the other end of connection 7, as a proxy would hold it.
/// let agent = ServiceRef { path: "agents/3".into(), home: Home::Connection(7) };
/// let value = Value::from(agent.clone());
/// assert!(matches!(&value, Value::Service(s) if **s == agent));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceRef {
    /// The router path of the service (`""` for the root, `"agents/3"` for agent 3).
    pub path: String,
    /// Where the service lives.
    pub home: Home,
}

/// Where a [`ServiceRef`] points to.
///
/// ```
/// use aiomas::Home;
///
/// // The same number names different things: a connection id, or a local root service.
/// assert_ne!(Home::Connection(1), Home::Local(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Home {
    /// A service of the peer, reachable over the connection with this id.
    Connection(u64),
    /// A local service under the root service with this id.
    Local(u64),
}

impl Value {
    /// Returns `true` for [`Value::Nil`].
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The value as `i64`, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as `u64`, if it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Int(i) => u64::try_from(i).ok(),
            Value::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// The value as `i128`, if it is an integer in range.
    ///
    /// ```
    /// use aiomas::Value;
    /// assert_eq!(Value::from(-(1i128 << 100)).as_i128(), Some(-(1 << 100)));
    /// assert_eq!(Value::from(u64::MAX).as_i128(), Some(u64::MAX.into()));
    /// ```
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Value::Int(i) => Some((*i).into()),
            Value::UInt(u) => Some((*u).into()),
            Value::BigInt(b) => b.to_i128(),
            _ => None,
        }
    }

    /// The value as `u128`, if it is a non-negative integer in range.
    pub fn as_u128(&self) -> Option<u128> {
        match self {
            Value::Int(i) => u128::try_from(*i).ok(),
            Value::UInt(u) => Some((*u).into()),
            Value::BigInt(b) => b.to_u128(),
            _ => None,
        }
    }

    /// The value as `f64`, if it is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::BigInt(b) => Some(b.to_f64()),
            _ => None,
        }
    }

    /// The integer written as the canonical decimal `digits` (see [`is_canonical`]): `Int`,
    /// `UInt` or, beyond 64 bits, `BigInt`.
    pub(crate) fn from_canonical_digits(digits: &str) -> Value {
        if let Ok(i) = digits.parse::<i64>() {
            Value::Int(i)
        } else if let Ok(u) = digits.parse::<u64>() {
            Value::UInt(u)
        } else {
            Value::BigInt(BigInt::from_canonical(digits))
        }
    }

    /// The value as `bool`, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value as `&str`, if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes, if it is a byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if the value is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if the value is a map.
    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Looks `key` up in a map with string keys.
    ///
    /// ```
    /// let v = aiomas::Value::Map(vec![("a".into(), 1.into())]);
    /// assert_eq!(v.get("a"), Some(&aiomas::Value::Int(1)));
    /// assert_eq!(v.get("b"), None);
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// The registered type name, if the value is an extension object ([`Value::Ext`]).
    pub fn extension_name(&self) -> Option<&str> {
        match self {
            Value::Ext(ext) => Some(&ext.type_name),
            _ => None,
        }
    }

    /// The plain data: an extension object's data, any other value itself. Typed targets
    /// (`from_value`) look through extension objects the same way.
    ///
    /// ```
    /// let date: aiomas::Date = "2016-01-01T00:00:00+00:00".parse().unwrap();
    /// let value = aiomas::Value::from(date);
    /// assert_eq!(value.data().as_str(), Some("2016-01-01T00:00:00+00:00"));
    /// assert_eq!(value.into_data(), aiomas::Value::from("2016-01-01T00:00:00+00:00"));
    /// ```
    pub fn data(&self) -> &Value {
        match self {
            Value::Ext(ext) => &ext.data,
            other => other,
        }
    }

    /// The plain data, owned (see [`data`](Self::data)).
    pub fn into_data(self) -> Value {
        match self {
            Value::Ext(ext) => ext.data,
            other => other,
        }
    }

    /// The service reference, if the value is one.
    pub fn as_service(&self) -> Option<&ServiceRef> {
        match self {
            Value::Service(r) => Some(r),
            _ => None,
        }
    }

    /// A short name of the variant, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "None",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::UInt(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "dict",
            Value::Ext(_) => "extension",
            Value::Service(_) => "service",
        }
    }
}

/// Python-like rendering (`None`, `True`, `[1, "a"]`, `{"k": 2}`), for logs and messages.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn join<T>(
            f: &mut fmt::Formatter<'_>,
            items: &[T],
            each: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
        ) -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                each(f, item)?;
            }
            Ok(())
        }
        match self {
            Value::Nil => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::BigInt(b) => write!(f, "{b}"),
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "b{:?}", String::from_utf8_lossy(b)),
            Value::List(items) => {
                f.write_str("[")?;
                join(f, items, |f, v| write!(f, "{v}"))?;
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                join(f, entries, |f, (k, v)| write!(f, "{k}: {v}"))?;
                f.write_str("}")
            }
            Value::Ext(ext) => write!(f, "{}({})", ext.type_name, ext.data),
            Value::Service(r) => write!(f, "Service({:?})", r.path),
        }
    }
}

macro_rules! from_signed {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::Int(v.into()) }
        }
    )*};
}
from_signed!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        i64::try_from(v).map_or(Value::UInt(v), Value::Int)
    }
}

impl From<i128> for Value {
    fn from(v: i128) -> Self {
        if let Ok(i) = i64::try_from(v) {
            Value::Int(i)
        } else if let Ok(u) = u64::try_from(v) {
            Value::UInt(u)
        } else {
            Value::BigInt(BigInt::from(v))
        }
    }
}

impl From<u128> for Value {
    fn from(v: u128) -> Self {
        match i128::try_from(v) {
            Ok(i) => Value::from(i),
            Err(_) => Value::BigInt(BigInt::from(v)),
        }
    }
}

/// Picks `Int` or `UInt` for a `BigInt` that fits into 64 bits, keeping values canonical.
impl From<BigInt> for Value {
    fn from(v: BigInt) -> Self {
        Value::from_canonical_digits(v.as_str())
    }
}

impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::from(v as u64)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(v.into())
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v)
    }
}

impl From<Bytes> for Value {
    fn from(v: Bytes) -> Self {
        Value::Bytes(v.into_vec())
    }
}

impl From<ServiceRef> for Value {
    fn from(v: ServiceRef) -> Self {
        Value::Service(Box::new(v))
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Self {
        Value::Nil
    }
}
