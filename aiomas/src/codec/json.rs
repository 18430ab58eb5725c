//! The JSON codec: what Python's `json.dumps(data, default=...)` writes and `json.loads` reads.

use serde::ser::{self, Serialize, SerializeMap, SerializeSeq, Serializer};

use super::decode::DecodeSeed;
use super::{WireFormat, MAX_DEPTH};
use crate::value::Value;
use crate::Error;

pub(super) fn encode_message(
    format: &WireFormat,
    msg_type: u8,
    msg_id: u64,
    content: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let message = (
        msg_type,
        msg_id,
        Wire {
            format,
            value: content,
            depth: 1,
        },
    );
    message
        .serialize(&mut serde_json::Serializer::new(out))
        .map_err(into_error)
}

pub(super) fn encode_value(
    format: &WireFormat,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let wire = Wire {
        format,
        value,
        depth: 0,
    };
    wire.serialize(&mut serde_json::Serializer::new(out))
        .map_err(into_error)
}

pub(super) fn decode(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
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

/// A value on its way into JSON, with the connection's serializers at hand.
struct Wire<'a> {
    format: &'a WireFormat,
    value: &'a Value,
    depth: usize,
}

impl Wire<'_> {
    fn child<'b>(&'b self, value: &'b Value) -> Wire<'b> {
        Wire {
            format: self.format,
            value,
            depth: self.depth + 1,
        }
    }
}

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.depth > MAX_DEPTH {
            return Err(ser::Error::custom(format_args!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        match self.value {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(f) => Err(ser::Error::custom(format_args!(
                "JSON cannot carry the float {f} (use a MsgPack codec)"
            ))),
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(_) => Err(ser::Error::custom(
                "No serializer found for type \"bytes\" (JSON cannot carry bytes; use a MsgPack codec)",
            )),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&self.child(item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(&json_key(key).map_err(ser::Error::custom)?, &self.child(value))?;
                }
                map.end()
            }
            Value::Ext(ext) => {
                let typeid = self.format.extension_typeid(ext).map_err(ser::Error::custom)?;
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("__type__", &(typeid, self.child(&ext.data)))?;
                map.end()
            }
            Value::Service(service) => {
                let (typeid, path) = self.format.service_wrapper(service).map_err(ser::Error::custom)?;
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry("__type__", &(typeid, path))?;
                map.end()
            }
        }
    }
}

/// JSON object keys are strings; like Python's `json.dumps`, scalars are converted.
fn json_key(key: &Value) -> Result<String, String> {
    match key {
        Value::Str(s) => Ok(s.clone()),
        Value::Int(i) => Ok(i.to_string()),
        Value::UInt(u) => Ok(u.to_string()),
        Value::Float(f) if f.is_finite() => Ok(format!("{f:?}")),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Nil => Ok("null".to_owned()),
        other => Err(format!(
            "keys must be str, int, float, bool or None, not {}",
            other.type_name()
        )),
    }
}
