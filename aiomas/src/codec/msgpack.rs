//! The MsgPack codec: what Python's `msgpack.packb(data, use_bin_type=True)` writes and
//! `unpackb(..., raw=False)` reads. Bytes travel as `bin`, strings as `str`.

use std::cell::RefCell;

use serde::Serialize;

use super::decode::{DecodeSeed, Decoding};
use super::wire::{self, Flavor};
use super::WireFormat;
use crate::value::Value;
use crate::Error;

/// Writes messages with rmp_serde, structs as maps with their field names (Python receives
/// dicts).
pub(super) struct Sink<'o>(pub(super) &'o mut Vec<u8>);

impl wire::Sink for Sink<'_> {
    const FLAVOR: Flavor = Flavor::MsgPack;

    fn write(self, message: &impl Serialize, _: &RefCell<String>) -> Result<(), Error> {
        let mut serializer = rmp_serde::Serializer::new(self.0).with_struct_map();
        message
            .serialize(&mut serializer)
            .map_err(|err| Error::Serialization(err.to_string()))
    }
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
pub(super) fn value_len(bytes: &[u8]) -> Option<usize> {
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
