//! The JSON codec: what Python's `json.dumps(data, default=...)` writes and `json.loads` reads.
//!
//! Encoding goes through serde_json with [`PythonTokens`], a formatter that writes what JSON
//! proper lacks but Python writes, out of band: the bare tokens `NaN`, `Infinity` and
//! `-Infinity`, and integers beyond 128 bits. Decoding is [`json_parser`](super::json_parser).

use std::borrow::Cow;
use std::cell::Cell;
use std::io;

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::decode::Decoding;
use super::json_parser;
use super::{check_depth, WireFormat};
use crate::value::Value;
use crate::Error;

pub(super) fn encode_message(
    format: &WireFormat,
    msg_type: u8,
    msg_id: u64,
    content: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let raw = Cell::new(None);
    let content = Wire {
        format,
        value: content,
        depth: 1,
        raw: &raw,
    };
    write(&(msg_type, msg_id, content), &raw, out)
}

pub(super) fn encode_value(
    format: &WireFormat,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let raw = Cell::new(None);
    let wire = Wire {
        format,
        value,
        depth: 0,
        raw: &raw,
    };
    write(&wire, &raw, out)
}

fn write<'t>(
    message: &impl Serialize,
    raw: &'t Cell<Option<&'t str>>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, PythonTokens { raw });
    message.serialize(&mut serializer).map_err(into_error)
}

pub(super) fn decode(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    json_parser::parse(&Decoding::new(format, body.len()), body)
}

/// serde_json's compact output, except that a `null` can be replaced by a raw token.
///
/// [`Wire`] sets the token right before it serializes a unit for a value that JSON cannot
/// express, so the token never passes through serde_json's string handling: no in-band
/// marker, and no string can ever turn into a number.
struct PythonTokens<'t> {
    raw: &'t Cell<Option<&'t str>>,
}

impl serde_json::ser::Formatter for PythonTokens<'_> {
    fn write_null<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(self.raw.take().unwrap_or("null").as_bytes())
    }
}

/// Python's `json.dumps` spelling of a non-finite float.
fn non_finite_token(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

/// serde_json reports our own errors as text; keep their category.
fn into_error(err: serde_json::Error) -> Error {
    Error::Serialization(err.to_string())
}

/// Hands one of our errors to serde_json without its `Display` prefix (it is added once, above).
fn custom<E: ser::Error>(err: Error) -> E {
    match err {
        Error::Serialization(message) => E::custom(message),
        other => E::custom(other),
    }
}

/// A value on its way into JSON, with the connection's serializers at hand.
struct Wire<'a> {
    format: &'a WireFormat,
    value: &'a Value,
    depth: usize,
    /// The token [`PythonTokens`] writes instead of the next `null`.
    raw: &'a Cell<Option<&'a str>>,
}

impl<'a> Wire<'a> {
    /// A value inside `levels` more containers than this one (each checks its own depth).
    fn nested(&self, value: &'a Value, levels: usize) -> Wire<'a> {
        Wire {
            format: self.format,
            value,
            depth: self.depth + levels,
            raw: self.raw,
        }
    }

    /// Writes `token` verbatim where serde_json would write `null`.
    fn raw_token<S: Serializer>(&self, token: &'a str, s: S) -> Result<S::Ok, S::Error> {
        self.raw.set(Some(token));
        s.serialize_unit()
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::BigInt(b) => self.raw_token(b.as_str(), s),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            // Python writes NaN/Infinity/-Infinity here (its default `allow_nan=True`).
            Value::Float(f) => self.raw_token(non_finite_token(*f), s),
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(_) => Err(ser::Error::custom(
                "No serializer found for type \"bytes\" (JSON cannot carry bytes; use a MsgPack codec)",
            )),
            Value::List(items) => {
                check_depth(self.depth).map_err(custom)?;
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.nested(item, 1))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                check_depth(self.depth).map_err(custom)?;
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(&json_key(key).map_err(ser::Error::custom)?, &self.nested(value, 1))?;
                }
                map.end()
            }
            Value::Ext(ext) => {
                let typeid = self.format.extension_typeid(ext).map_err(custom)?;
                // The wrapper is two levels: the map and the [typeid, data] list.
                check_depth(self.depth + 1).map_err(custom)?;
                let data = self.nested(&ext.data, 2);
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("__type__", &(typeid, data))?;
                map.end()
            }
            Value::Service(service) => {
                check_depth(self.depth + 1).map_err(custom)?;
                let (typeid, path) = self.format.service_wrapper(service).map_err(custom)?;
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("__type__", &(typeid, path))?;
                map.end()
            }
        }
    }
}

/// JSON object keys are strings; like Python's `json.dumps`, scalars are converted.
fn json_key(key: &Value) -> Result<Cow<'_, str>, String> {
    match key {
        Value::Str(s) => Ok(Cow::Borrowed(s)),
        Value::Int(i) => Ok(i.to_string().into()),
        Value::UInt(u) => Ok(u.to_string().into()),
        Value::BigInt(b) => Ok(Cow::Borrowed(b.as_str())),
        Value::Float(f) if f.is_finite() => Ok(format!("{f:?}").into()),
        Value::Bool(b) => Ok(b.to_string().into()),
        Value::Nil => Ok("null".into()),
        other => Err(format!(
            "keys must be str, int, float, bool or None, not {}",
            other.type_name()
        )),
    }
}
