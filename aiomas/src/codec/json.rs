//! The JSON codec: what Python's `json.dumps(data, default=...)` writes and `json.loads` reads.
//!
//! Encoding goes through serde_json with [`PythonTokens`], a formatter that writes what JSON
//! proper lacks but Python writes, out of band: the bare tokens `NaN`, `Infinity` and
//! `-Infinity`, and integers beyond 128 bits. Decoding is [`json_parser`](super::json_parser).

use std::cell::RefCell;
use std::io;

use serde::Serialize;

use super::decode::Decoding;
use super::json_parser;
use super::wire::{self, Flavor};
use super::WireFormat;
use crate::value::Value;
use crate::Error;

/// Writes messages with serde_json and [`PythonTokens`].
pub(super) struct Sink<'o>(pub(super) &'o mut Vec<u8>);

impl wire::Sink for Sink<'_> {
    const FLAVOR: Flavor = Flavor::Json;

    fn write(self, message: &impl Serialize, raw: &RefCell<String>) -> Result<(), Error> {
        let mut serializer = serde_json::Serializer::with_formatter(self.0, PythonTokens { raw });
        message
            .serialize(&mut serializer)
            .map_err(|err| Error::Serialization(err.to_string()))
    }
}

pub(super) fn decode(format: &WireFormat, body: &[u8]) -> Result<Value, Error> {
    json_parser::parse(&Decoding::new(format, body.len()), body)
}

/// serde_json's compact output, except that a `null` can be replaced by a raw token.
///
/// [`Wired`] sets the token right before it serializes a unit for a value that JSON cannot
/// express (a non-finite float, an integer beyond 128 bits), so the token never passes
/// through serde_json's string handling: no in-band marker, and no string can ever turn into
/// a number.
struct PythonTokens<'t> {
    raw: &'t RefCell<String>,
}

impl serde_json::ser::Formatter for PythonTokens<'_> {
    fn write_null<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        let mut raw = self.raw.borrow_mut();
        if raw.is_empty() {
            writer.write_all(b"null")
        } else {
            let written = writer.write_all(raw.as_bytes());
            raw.clear();
            written
        }
    }
}
