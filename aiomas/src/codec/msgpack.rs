//! The MsgPack codec: what Python's `msgpack.packb(data, use_bin_type=True)` writes and
//! `unpackb(..., raw=False)` reads. Bytes travel as `bin`, strings as `str`.

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
    // Borrowing from `body`: a reading deserializer would copy every `bin` and `str` into a
    // buffer of its own first (a large payload twice), grown by doubling.
    let mut de = rmp_serde::Deserializer::from_read_ref(body);
    let seed = DecodeSeed { decoding, depth: 0 };
    let value = serde::de::DeserializeSeed::deserialize(seed, &mut de)
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    // It does not tell where the value ended: measured here.
    let used = value_len(body).unwrap_or(body.len());
    if used < body.len() {
        return Err(Error::Deserialization(format!(
            "{} trailing bytes after the message",
            body.len() - used
        )));
    }
    decoding.budget.charge_scalar(&value)?;
    Ok(value)
}

/// The length of the MsgPack value at the start of `bytes`, or `None` if it is cut short:
/// skips markers and lengths without decoding anything.
fn value_len(bytes: &[u8]) -> Option<usize> {
    /// Reads an `n`-byte big-endian number (`n` <= 4) at `at`.
    fn number(bytes: &[u8], at: &mut usize, n: usize) -> Option<usize> {
        let field = bytes.get(*at..*at + n)?;
        *at += n;
        Some(field.iter().fold(0, |len, b| len << 8 | usize::from(*b)))
    }
    let mut at = 0;
    // Values still to skip; each takes at least one byte, so the loop ends with the bytes.
    let mut values = 1_usize;
    while values > 0 {
        values -= 1;
        let mut take = |n: usize| number(bytes, &mut at, n);
        let skip = match take(1)? as u8 {
            0x00..=0x7f | 0xc0..=0xc3 | 0xe0..=0xff => 0,
            b @ 0x80..=0x8f => {
                values += 2 * usize::from(b & 0x0f);
                0
            }
            b @ 0x90..=0x9f => {
                values += usize::from(b & 0x0f);
                0
            }
            b @ 0xa0..=0xbf => usize::from(b & 0x1f),
            0xc4 | 0xd9 => take(1)?,
            0xc5 | 0xda => take(2)?,
            0xc6 | 0xdb => take(4)?,
            // ext 8/16/32: the length, then the type byte and the data.
            0xc7 => take(1)? + 1,
            0xc8 => take(2)? + 1,
            0xc9 => take(4)? + 1,
            0xcc | 0xd0 => 1,
            0xcd | 0xd1 => 2,
            0xca | 0xce | 0xd2 => 4,
            0xcb | 0xcf | 0xd3 => 8,
            // fixext 1/2/4/8/16, with their type byte.
            0xd4 => 2,
            0xd5 => 3,
            0xd6 => 5,
            0xd7 => 9,
            0xd8 => 17,
            0xdc => {
                values = values.checked_add(take(2)?)?;
                0
            }
            0xdd => {
                values = values.checked_add(take(4)?)?;
                0
            }
            0xde => {
                values = values.checked_add(2 * take(2)?)?;
                0
            }
            0xdf => {
                values = values.checked_add(take(4)?.checked_mul(2)?)?;
                0
            }
        };
        at = at.checked_add(skip).filter(|end| *end <= bytes.len())?;
    }
    Some(at)
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

#[cfg(test)]
mod tests {
    use super::value_len;
    use crate::codec::Codec;
    use crate::Value;

    #[test]
    fn value_len_finds_the_end_of_every_kind_of_value() {
        let long = |n: usize| Value::Str("x".repeat(n));
        let values = [
            Value::Nil,
            Value::Bool(true),
            Value::Int(-1),
            Value::Int(200),
            Value::Int(-40_000),
            Value::Int(1 << 40),
            Value::UInt(u64::MAX),
            Value::Float(2.5),
            long(3),
            long(40),
            long(300),
            long(70_000),
            Value::Bytes(vec![1; 300]),
            Value::Bytes(vec![2; 70_000]),
            Value::List((0..20).map(Value::Int).collect()),
            Value::Map((0..20).map(|i| (Value::Int(i), long(i as usize))).collect()),
            Value::List(vec![Value::List(vec![]), Value::Map(vec![]), Value::Nil]),
        ];
        for value in values {
            let encoded = Codec::MsgPack.encode(&value).unwrap();
            assert_eq!(value_len(&encoded), Some(encoded.len()), "{value:?}");
            let mut trailing = encoded.clone();
            trailing.push(0xc0);
            assert_eq!(value_len(&trailing), Some(encoded.len()), "{value:?}");
            assert_eq!(value_len(&encoded[..encoded.len() - 1]), None, "{value:?}");
        }
        // A length that claims more than there is.
        assert_eq!(value_len(&[0xdd, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(value_len(&[0xc6, 0xff, 0xff, 0xff, 0xff, 0]), None);
    }
}
