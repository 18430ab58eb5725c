//! The JSON codec: what Python's `json.dumps(data, default=...)` writes and `json.loads` reads.

use std::borrow::Cow;
use std::cell::Cell;

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::decode::DecodeSeed;
use super::non_finite;
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
    let non_finite = Cell::new(false);
    let start = out.len();
    let message = (
        msg_type,
        msg_id,
        Wire {
            format,
            value: content,
            depth: 1,
            non_finite: &non_finite,
        },
    );
    message
        .serialize(&mut serde_json::Serializer::new(&mut *out))
        .map_err(into_error)?;
    if non_finite.get() {
        non_finite::markers_to_tokens(out, start);
    }
    Ok(())
}

pub(super) fn encode_value(
    format: &WireFormat,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let non_finite = Cell::new(false);
    let start = out.len();
    let wire = Wire {
        format,
        value,
        depth: 0,
        non_finite: &non_finite,
    };
    wire.serialize(&mut serde_json::Serializer::new(&mut *out))
        .map_err(into_error)?;
    if non_finite.get() {
        non_finite::markers_to_tokens(out, start);
    }
    Ok(())
}

pub(super) fn decode(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    match decode_json(format, body) {
        Err(err) => match non_finite::tokens_to_markers(body) {
            Some(rewritten) => {
                let mut value = decode_json(format, &rewritten)?;
                non_finite::restore(&mut value);
                Ok(value)
            }
            None => Err(err),
        },
        ok => ok,
    }
}

fn decode_json(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    // Our own depth bound (the same for every codec and for encoding) replaces serde_json's.
    de.disable_recursion_limit();
    let value = serde::de::DeserializeSeed::deserialize(DecodeSeed { format, depth: 0 }, &mut de)
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    de.end()
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    Ok(value)
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
    /// Set when a non-finite float was written as a marker (see `non_finite`).
    non_finite: &'a Cell<bool>,
}

impl Wire<'_> {
    /// A value inside `levels` more containers than this one (each checks its own depth).
    fn nested<'b>(&'b self, value: &'b Value, levels: usize) -> Wire<'b> {
        Wire {
            format: self.format,
            value,
            depth: self.depth + levels,
            non_finite: self.non_finite,
        }
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(f) => {
                // Python writes NaN/Infinity/-Infinity here; see `non_finite`.
                self.non_finite.set(true);
                s.serialize_str(&non_finite::marker(*f))
            }
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
        Value::Float(f) if f.is_finite() => Ok(format!("{f:?}").into()),
        Value::Bool(b) => Ok(b.to_string().into()),
        Value::Nil => Ok("null".into()),
        other => Err(format!(
            "keys must be str, int, float, bool or None, not {}",
            other.type_name()
        )),
    }
}
