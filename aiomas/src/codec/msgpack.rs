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
    let mut rest = body;
    let mut de = rmp_serde::Deserializer::new(&mut rest);
    let seed = DecodeSeed { decoding, depth: 0 };
    let value = serde::de::DeserializeSeed::deserialize(seed, &mut de)
        .map_err(|e| Error::Deserialization(e.to_string()))?;
    if !rest.is_empty() {
        return Err(Error::Deserialization(format!(
            "{} trailing bytes after the message",
            rest.len()
        )));
    }
    decoding.budget.charge_scalar(&value)?;
    Ok(value)
}
