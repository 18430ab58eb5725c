//! The MsgPack codec: what Python's `msgpack.packb(data, use_bin_type=True)` writes and
//! `unpackb(..., raw=False)` reads. Bytes travel as `bin`, strings as `str`.

use std::cell::Cell;
use std::io::{self, Read};

use rmp::encode;

use super::decode::{DecodeSeed, Decoding};
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
    // Writing into a Vec cannot fail; only our own checks can.
    let _ = encode::write_array_len(out, 3);
    let _ = encode::write_uint(out, msg_type.into());
    let _ = encode::write_uint(out, msg_id);
    write_value(format, content, out, 1)
}

pub(super) fn encode_value(
    format: &WireFormat,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    write_value(format, value, out, 0)
}

pub(super) fn decode(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    decode_within(&Decoding::new(format, body.len()), body)
}

/// Decodes `body` within the budget of `decoding`.
pub(super) fn decode_within(decoding: &Decoding<'_>, body: &[u8]) -> Result<Value, Error> {
    let mut reader = Counted {
        rest: body,
        left: &decoding.input_left,
    };
    let mut de = rmp_serde::Deserializer::new(&mut reader);
    let seed = DecodeSeed { decoding, depth: 0 };
    let value = serde::de::DeserializeSeed::deserialize(seed, &mut de)
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    if !reader.rest.is_empty() {
        return Err(Error::Deserialization(format!(
            "{} trailing bytes after the message",
            reader.rest.len()
        )));
    }
    decoding.budget.charge_scalar(&value)?;
    Ok(value)
}

/// The body, telling the decoder how many bytes are left: a length claim beyond them is
/// never preallocated.
struct Counted<'a> {
    rest: &'a [u8],
    left: &'a Cell<usize>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.read(buf)?;
        self.left.set(self.rest.len());
        Ok(n)
    }
}

fn length(len: usize) -> Result<u32, Error> {
    u32::try_from(len)
        .map_err(|_| Error::Serialization(format!("length {len} too large for MsgPack")))
}

fn write_value(
    format: &WireFormat,
    value: &Value,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), Error> {
    match value {
        Value::Nil => {
            let _ = encode::write_nil(out);
        }
        Value::Bool(b) => {
            let _ = encode::write_bool(out, *b);
        }
        Value::Int(i) => {
            let _ = encode::write_sint(out, *i);
        }
        Value::UInt(u) => {
            let _ = encode::write_uint(out, *u);
        }
        Value::BigInt(b) => {
            // Python's msgpack raises `OverflowError: Integer value out of range` here.
            return Err(Error::Serialization(format!(
                "Integer value out of range: {b} (MsgPack carries integers of at most 64 bits)"
            )));
        }
        Value::Float(f) => {
            let _ = encode::write_f64(out, *f);
        }
        Value::Str(s) => {
            let _ = encode::write_str_len(out, length(s.len())?);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            let _ = encode::write_bin_len(out, length(b.len())?);
            out.extend_from_slice(b);
        }
        Value::List(items) => {
            check_depth(depth)?;
            let _ = encode::write_array_len(out, length(items.len())?);
            for item in items {
                write_value(format, item, out, depth + 1)?;
            }
        }
        Value::Map(entries) => {
            check_depth(depth)?;
            let _ = encode::write_map_len(out, length(entries.len())?);
            for (key, item) in entries {
                write_value(format, key, out, depth + 1)?;
                write_value(format, item, out, depth + 1)?;
            }
        }
        Value::Ext(ext) => {
            // The wrapper is two levels: the map and the [typeid, data] list.
            check_depth(depth + 1)?;
            let typeid = format.extension_typeid(ext)?;
            write_type_wrapper(out, typeid);
            write_value(format, &ext.data, out, depth + 2)?;
        }
        Value::Service(service) => {
            check_depth(depth + 1)?;
            let (typeid, path) = format.service_wrapper(service)?;
            write_type_wrapper(out, typeid);
            let _ = encode::write_str(out, path);
        }
    }
    Ok(())
}

/// Writes `{"__type__": [typeid, ` and leaves the data for the caller.
fn write_type_wrapper(out: &mut Vec<u8>, typeid: usize) {
    let _ = encode::write_map_len(out, 1);
    let _ = encode::write_str(out, "__type__");
    let _ = encode::write_array_len(out, 2);
    let _ = encode::write_uint(out, typeid as u64);
}
