//! Codecs of your own: Python aiomas' "How to create custom codecs", as a trait.
//!
//! A [`MessageCodec`] turns each message into the bytes of a frame body and back with a serde
//! format of its choice. The connection hands it every message already Python-shaped: the
//! extension objects and service references of the connection's
//! [`Serializers`](super::Serializers) arrive as `{"__type__": [typeid, data]}` maps, in both
//! directions, just as Python's `Codec.serialize_obj` / `deserialize_obj` wrap them; typed
//! arguments and results are serialized straight into the codec's serializer, without a
//! [`Value`] in between. Decoding builds a `Value` within the connection's decoded-size budget
//! (see [`DECODED_BYTES_PER_BODY_BYTE`](super::DECODED_BYTES_PER_BODY_BYTE)), whatever the
//! codec's own deserializer claims.
//!
//! The three built-in formats implement the trait through [`Codec`]; connections that use
//! them take a static path to the same code.

use std::fmt;

use serde::de::DeserializeSeed;
use serde::{Deserializer, Serialize, Serializer};

use super::decode::{DecodeSeed, Decoding};
use super::wire::{Ctx, Flavor, Wired};
use super::{Codec, WireFormat};
use crate::{Error, Value};

/// A message format for connections, implemented by a codec of your own. Both sides of a
/// connection must use the same one.
///
/// It turns each message into the bytes of a frame body and back with a serde format of its
/// choice. Messages arrive Python-shaped: the extension objects and service references of the
/// connection's [`Serializers`](super::Serializers) are `{"__type__": [typeid, data]}` maps in
/// both directions, as Python's `Codec.serialize_obj` / `deserialize_obj` wrap them; typed
/// arguments and results are serialized straight into the codec's serializer, with no
/// [`Value`] in between. Decoding stays within the connection's decoded-size budget
/// ([`DECODED_BYTES_PER_BODY_BYTE`](super::DECODED_BYTES_PER_BODY_BYTE)), whatever the
/// format's deserializer claims. Set it with
/// [`ChannelOptions::custom_codec`](crate::channel::ChannelOptions::custom_codec) or
/// [`ContainerOptions::custom_codec`](crate::agent::ContainerOptions::custom_codec).
///
/// ```
/// use aiomas::codec::{Incoming, MessageCodec, Outgoing};
/// use aiomas::Error;
///
/// /// JSON, pretty-printed: every message is readable on the wire.
/// #[derive(Debug)]
/// struct PrettyJson;
///
/// impl MessageCodec for PrettyJson {
///     fn name(&self) -> &str {
///         "pretty-json"
///     }
///
///     fn encode(&self, message: &Outgoing<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
///         let mut serializer = serde_json::Serializer::pretty(out);
///         message
///             .serialize(&mut serializer)
///             .map_err(|err| Error::Serialization(err.to_string()))
///     }
///
///     fn decode(&self, body: &[u8], message: &mut Incoming<'_>) -> Result<(), Error> {
///         let mut deserializer = serde_json::Deserializer::from_slice(body);
///         message
///             .deserialize(&mut deserializer)
///             .map_err(|err| Error::Deserialization(err.to_string()))?;
///         deserializer
///             .end()
///             .map_err(|err| Error::Deserialization(err.to_string()))
///     }
/// }
///
/// let options = aiomas::channel::ChannelOptions::default().custom_codec(PrettyJson);
/// assert_eq!(options.get_codec_name(), "pretty-json");
/// ```
pub trait MessageCodec: Send + Sync + fmt::Debug + 'static {
    /// The codec's name, for messages about it.
    fn name(&self) -> &str;

    /// Appends the encoding of `message` to `out`: serialize it with the format's serializer
    /// ([`Outgoing::serialize`]).
    fn encode(&self, message: &Outgoing<'_>, out: &mut Vec<u8>) -> Result<(), Error>;

    /// Decodes the one message in `body`: hand the format's deserializer to
    /// [`Incoming::deserialize`] (and refuse trailing bytes).
    fn decode(&self, body: &[u8], message: &mut Incoming<'_>) -> Result<(), Error>;
}

/// One message on its way out, for [`MessageCodec::encode`].
pub struct Outgoing<'a> {
    format: &'a WireFormat,
    message: &'a dyn erased_serde::Serialize,
}

impl<'a> Outgoing<'a> {
    pub(super) fn new(format: &'a WireFormat, message: &'a dyn erased_serde::Serialize) -> Self {
        Outgoing { format, message }
    }

    /// Serializes the message with `serializer`, Python-shaped (see [`MessageCodec`]).
    pub fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ctx = Ctx {
            format: self.format,
            flavor: Flavor::Plain,
            raw: &Default::default(),
        };
        Wired {
            value: self.message,
            ctx: &ctx,
            depth: 0,
        }
        .serialize(serializer)
    }
}

impl fmt::Debug for Outgoing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Outgoing(..)")
    }
}

/// One message on its way in, for [`MessageCodec::decode`].
pub struct Incoming<'a> {
    decoding: &'a Decoding<'a>,
    value: Option<Value>,
}

impl<'a> Incoming<'a> {
    pub(super) fn new(decoding: &'a Decoding<'a>) -> Self {
        Incoming {
            decoding,
            value: None,
        }
    }

    /// Reads the message from `deserializer` (it must be self-describing: the message is
    /// read with `deserialize_any`), within the connection's decoded-size budget.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        &mut self,
        deserializer: D,
    ) -> Result<(), D::Error> {
        let seed = DecodeSeed {
            decoding: self.decoding,
            depth: 0,
        };
        let value = seed.deserialize(deserializer)?;
        self.decoding
            .budget
            .charge_scalar(&value)
            .map_err(serde::de::Error::custom)?;
        self.value = Some(value);
        Ok(())
    }

    pub(super) fn into_value(self) -> Result<Value, Error> {
        self.value.ok_or_else(|| {
            Error::Deserialization("the codec decoded no message from the frame".into())
        })
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Incoming(..)")
    }
}

/// The built-in formats, through the trait (connections that use them call them directly).
impl MessageCodec for Codec {
    fn name(&self) -> &str {
        Codec::name(*self)
    }

    fn encode(&self, message: &Outgoing<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        let format = WireFormat {
            codec: *self,
            custom: None,
            ..message.format.clone()
        };
        // Through a `Value` (the same bytes, see `wire`): written straight from the
        // `dyn erased_serde::Serialize`, it compiled erased-serde's whole serializer adapter once
        // per serializer type of the built-in formats, a tenth of this crate's machine code.
        let value = crate::to_value(message.message)?;
        format.encode_builtin(None, &value, out)
    }

    fn decode(&self, body: &[u8], message: &mut Incoming<'_>) -> Result<(), Error> {
        message.value = Some(message.decoding.format.decode_builtin(*self, body)?);
        Ok(())
    }
}
