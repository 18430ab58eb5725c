//! Codecs: how a message becomes the bytes of a frame, byte-compatible with Python's
//! `aiomas.codecs` (the crate docs, "Wire protocol", sum up the formats).
//!
//! A [`Codec`] names the format; [`Serializers`] lists the extra types both sides registered,
//! in registration order, which gives every type its `typeid` on the wire.
//!
//! Data never bends: JSON carries Python's `NaN`, `Infinity` and `-Infinity` and integers of
//! any size ([`BigInt`](crate::BigInt)) exactly, without in-band markers; MsgPack refuses
//! integers beyond 64 bits, as Python's msgpack does. Every incoming frame decodes within a
//! budget: at most [`DECODED_BYTES_PER_BODY_BYTE`] bytes of values per byte of its
//! (decompressed) body, and at most the connection's
//! [`max_decoded_size`](crate::channel::ChannelOptions::max_decoded_size); decoding stops as
//! soon as a frame exceeds it.
//!
//! ```
//! use aiomas::codec::Codec;
//! use aiomas::{to_value, Value};
//!
//! // A request message `[msg_type, msg_id, [path, args, kwargs]]`, as a frame body.
//! let message = to_value(&(0, 1, ("add", (3, 4), Value::Map(Vec::new())))).unwrap();
//! let json = Codec::Json.encode(&message).unwrap();
//! assert_eq!(json, br#"[0,1,["add",[3,4],{}]]"#);
//! for codec in [Codec::Json, Codec::MsgPack] {
//!     assert_eq!(codec.decode(&codec.encode(&message).unwrap()).unwrap(), message);
//! }
//! ```

#[cfg(feature = "blosc")]
mod blosc;
#[cfg(not(feature = "blosc"))]
#[path = "blosc_disabled.rs"]
mod blosc;
mod custom;
mod date;
mod decode;
mod direct;
mod extension;
mod json;
mod json_direct;
mod json_parser;
mod msgpack;
mod msgpack_direct;
mod wire;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use smol_str::SmolStr;

use crate::value::{from_value, Home, ServiceRef, Tape, Value};
use crate::Error;

pub use custom::{Incoming, MessageCodec, Outgoing};
pub use date::{Date, ARROW};
pub use decode::DECODED_BYTES_PER_BODY_BYTE;
pub use extension::ExtensionType;
#[doc(hidden)] // for the derive's output, through `aiomas::__private`
pub use extension::{extension_data, serialize_extension};

/// How deeply lists and maps may nest in one message (serde_json's own limit).
///
/// ```
/// use aiomas::codec::{Codec, MAX_DEPTH};
/// use aiomas::Value;
///
/// let nested = |depth| (0..depth).fold(Value::Int(1), |inner, _| Value::List(vec![inner]));
/// assert!(Codec::Json.encode(&nested(MAX_DEPTH)).is_ok());
/// assert!(Codec::Json.encode(&nested(MAX_DEPTH + 1)).is_err());
/// ```
pub const MAX_DEPTH: usize = 128;

/// Refuses a list or map at `depth` (the number of containers around it) beyond [`MAX_DEPTH`];
/// encoders and decoders share it, so whatever encodes also decodes.
fn check_depth(depth: usize) -> Result<(), Error> {
    if depth >= MAX_DEPTH {
        return Err(Error::Serialization(format!(
            "nesting deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Blosc's `typesize` as python-blosc uses it on 64-bit machines (`sys.maxsize > 2**32`).
const BLOSC_TYPESIZE: usize = 8;

/// The three message formats of Python aiomas.
///
/// ```
/// use aiomas::codec::Codec;
/// use aiomas::Value;
///
/// let codec: Codec = "msgpack".parse().unwrap();
/// let bytes = codec.encode(&Value::from("ohai")).unwrap();
/// assert_eq!(codec.decode(&bytes).unwrap(), Value::from("ohai"));
/// assert_eq!(Codec::default(), Codec::Json);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Codec {
    /// UTF-8 JSON (Python's default).
    #[default]
    Json,
    /// MsgPack with the `bin` type for bytes.
    MsgPack,
    /// MsgPack compressed with c-blosc 1.x.
    ///
    /// Needs the `blosc` cargo feature (on by default). Without it the variant still exists (so
    /// code matching on `Codec` builds either way), but parsing `"msgpack-blosc"`, opening or
    /// serving a connection with it, and encoding or decoding with it fail with
    /// [`Error::Value`] naming the feature.
    MsgPackBlosc,
}

impl Codec {
    /// The name used on command lines: `json`, `msgpack` or `msgpack-blosc`.
    ///
    /// ```
    /// use aiomas::codec::Codec;
    /// assert_eq!(Codec::MsgPack.name(), "msgpack");
    /// assert_eq!(Codec::MsgPack.name().parse::<Codec>().unwrap(), Codec::MsgPack);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Codec::Json => "json",
            Codec::MsgPack => "msgpack",
            Codec::MsgPackBlosc => "msgpack-blosc",
        }
    }

    /// `Ok(self)` if this build can use the codec, else the error that says which cargo feature
    /// it needs ([`Codec::MsgPackBlosc`] without the `blosc` feature).
    ///
    /// ```
    /// use aiomas::codec::Codec;
    /// assert_eq!(Codec::Json.available().unwrap(), Codec::Json);
    /// assert_eq!(Codec::MsgPackBlosc.available().is_ok(), cfg!(feature = "blosc"));
    /// ```
    pub fn available(self) -> Result<Codec, Error> {
        match self {
            #[cfg(not(feature = "blosc"))]
            Codec::MsgPackBlosc => Err(blosc::unavailable()),
            _ => Ok(self),
        }
    }

    /// Encodes one value without extra serializers.
    ///
    /// ```
    /// use aiomas::codec::Codec;
    /// use aiomas::Value;
    ///
    /// let value = Value::List(vec![1.into(), "two".into(), Value::Float(f64::NAN)]);
    /// assert_eq!(Codec::Json.encode(&value).unwrap(), br#"[1,"two",NaN]"#);
    /// assert_eq!(Codec::MsgPack.encode(&Value::Int(7)).unwrap(), [0x07]);
    /// ```
    pub fn encode(self, value: &Value) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        WireFormat::new(self, Serializers::default()).encode_into(value, &mut out)?;
        Ok(out)
    }

    /// Decodes one value without extra serializers.
    /// Bad input is an error, never a panic.
    ///
    /// ```
    /// use aiomas::codec::Codec;
    /// use aiomas::Value;
    ///
    /// let value = Codec::Json.decode(br#"{"a": [1, 2.5, null]}"#).unwrap();
    /// assert_eq!(value.get("a").and_then(Value::as_list).map(<[Value]>::len), Some(3));
    /// assert!(Codec::Json.decode(b"[1,").is_err());
    /// assert!(Codec::MsgPack.decode(&[0xc1]).is_err());
    /// ```
    pub fn decode(self, bytes: &[u8]) -> Result<Value, Error> {
        WireFormat::new(self, Serializers::default()).decode(bytes)
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "json" => Ok(Codec::Json),
            "msgpack" => Ok(Codec::MsgPack),
            "msgpack-blosc" | "msgpackblosc" => Codec::MsgPackBlosc.available(),
            _ => Err(Error::Value(format!(
                "unknown codec {s:?} (expected json, msgpack or msgpack-blosc)"
            ))),
        }
    }
}

/// The content of a message as it arrived: a [`Value`], or, for a JSON or MsgPack result
/// without extension objects and service references, the frame itself, checked (grammar,
/// nesting, decoded-size budget) and decoded only once its target type is known, with exactly
/// the semantics (and error texts) of decoding it into a `Value` and the `Value` into the type.
#[doc(hidden)] // what typed proxies hand to `rpc::__private::decode_result`
#[derive(Debug)]
pub struct Received(Content);

#[derive(Debug)]
enum Content {
    Value(Value),
    /// `body[content]` is a JSON value that passed [`json_direct::plain_message`].
    Json {
        body: Bytes,
        content: Range<usize>,
    },
    /// `body[content]` is a MsgPack value that passed [`msgpack_direct::plain_message`]
    /// (`body` decompressed, for blosc).
    MsgPack {
        body: Bytes,
        content: Range<usize>,
    },
    /// A JSON or MsgPack request's content `[path, args, kwargs]` that passed its scan.
    Call(RawCall),
    /// An in-process call's argument or result, copied into a tape.
    Tape(Tape),
}

/// The formats whose content can stay in the frame (see [`Received`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFrame {
    Json,
    MsgPack,
}

impl InFrame {
    /// `body[content]`, kept as the content of a message.
    fn received(self, body: Bytes, content: Range<usize>) -> Received {
        Received(match self {
            InFrame::Json => Content::Json { body, content },
            InFrame::MsgPack => Content::MsgPack { body, content },
        })
    }

    /// `body[content]` as a [`Value`].
    fn to_value(self, body: &[u8], content: Range<usize>) -> Result<Value, Error> {
        match self {
            InFrame::Json => json_direct::to_value(body, content),
            InFrame::MsgPack => msgpack_direct::to_value(body, content),
        }
    }

    /// The message a scan found in `body`, its content kept in `body`.
    fn message(self, body: Bytes, plain: direct::Plain) -> (u8, u64, Received) {
        let content = match plain.content {
            direct::PlainContent::Result(content) => self.received(body, content),
            direct::PlainContent::Call { path, args, kwargs } => Received(Content::Call(RawCall {
                format: self,
                body,
                path,
                args,
                kwargs,
            })),
        };
        (plain.msg_type, plain.msg_id, content)
    }
}

/// A request's content `[path, args, kwargs]` whose arguments are still in the frame.
#[derive(Debug)]
pub(crate) struct RawCall {
    format: InFrame,
    body: Bytes,
    /// The called path.
    pub(crate) path: SmolStr,
    /// Where each positional argument is in `body`.
    args: direct::ArgRanges,
    /// Each keyword argument, and where its value is in `body`.
    kwargs: Vec<(String, Range<usize>)>,
}

impl RawCall {
    /// The parts: the path, the positional arguments (the frame and where each is) and the
    /// keyword arguments.
    #[allow(clippy::type_complexity)]
    pub(crate) fn into_parts(self) -> (SmolStr, RawArgs, Vec<(String, Received)>) {
        let RawCall {
            format,
            body,
            path,
            args,
            kwargs,
        } = self;
        let kwargs = kwargs
            .into_iter()
            .map(|(key, content)| (key, format.received(body.clone(), content)))
            .collect();
        let args = RawArgs {
            format,
            body,
            args: args.into_iter(),
        };
        (path, args, kwargs)
    }

    /// The content `[path, args, kwargs]` as a [`Value`], as the full decode builds it.
    fn into_value(self) -> Result<Value, Error> {
        let (path, args, kwargs) = self.into_parts();
        let args = args.map(Received::into_value).collect::<Result<_, _>>()?;
        let kwargs = kwargs
            .into_iter()
            .map(|(key, value)| Ok((Value::Str(key), value.into_value()?)))
            .collect::<Result<_, Error>>()?;
        Ok(Value::List(vec![
            Value::Str(path.into()),
            Value::List(args),
            Value::Map(kwargs),
        ]))
    }

    /// [`into_value`](Self::into_value), keeping the call.
    fn to_value(&self) -> Result<Value, Error> {
        let arg = |range: &Range<usize>| self.format.to_value(&self.body, range.clone());
        let args = self
            .args
            .iter()
            .map(|range| arg(&direct::in_body(range)))
            .collect::<Result<_, _>>()?;
        let kwargs = self
            .kwargs
            .iter()
            .map(|(key, range)| Ok((Value::Str(key.clone()), arg(range)?)))
            .collect::<Result<_, Error>>()?;
        Ok(Value::List(vec![
            Value::Str(self.path.to_string()),
            Value::List(args),
            Value::Map(kwargs),
        ]))
    }
}

/// The positional arguments of a [`RawCall`], each a [`Received`] sharing the frame.
#[derive(Debug)]
pub(crate) struct RawArgs {
    format: InFrame,
    body: Bytes,
    args: <direct::ArgRanges as IntoIterator>::IntoIter,
}

impl Iterator for RawArgs {
    type Item = Received;

    fn next(&mut self) -> Option<Received> {
        let content = direct::in_body(&self.args.next()?);
        Some(self.format.received(self.body.clone(), content))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.args.size_hint()
    }
}

impl ExactSizeIterator for RawArgs {}

impl Received {
    /// The content as a [`Value`].
    pub(crate) fn into_value(self) -> Result<Value, Error> {
        match self.0 {
            Content::Value(value) => Ok(value),
            Content::Json { body, content } => json_direct::to_value(&body, content),
            Content::MsgPack { body, content } => msgpack_direct::to_value(&body, content),
            Content::Call(call) => call.into_value(),
            Content::Tape(tape) => Ok(tape.into_value()),
        }
    }

    /// A copy of the content as a [`Value`]. The frame was checked when it arrived, so
    /// it decodes (a failure, which cannot happen, gives `None`, and is logged).
    pub(crate) fn to_value(&self) -> Value {
        let value = match &self.0 {
            Content::Value(value) => Ok(value.clone()),
            Content::Json { body, content } => json_direct::to_value(body, content.clone()),
            Content::MsgPack { body, content } => msgpack_direct::to_value(body, content.clone()),
            Content::Call(call) => call.to_value(),
            Content::Tape(tape) => Ok(tape.to_value()),
        };
        value.unwrap_or_else(|err| {
            tracing::debug!("a checked frame did not decode: {err}");
            Value::Nil
        })
    }

    /// The content decoded into `T`, as `from_value(self.into_value()?)` would decode it.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        match self.0 {
            Content::Value(value) => from_value(value),
            Content::Json { body, content } => json_direct::decode(&body, content),
            Content::MsgPack { body, content } => msgpack_direct::decode(&body, content),
            Content::Call(call) => from_value(call.into_value()?),
            Content::Tape(tape) => tape.decode(),
        }
    }

    /// A request's content `[path, args, kwargs]` with its arguments in the frame, if it
    /// arrived so; else the content as it is.
    pub(crate) fn into_call(self) -> Result<RawCall, Received> {
        match self.0 {
            Content::Call(call) => Ok(call),
            other => Err(Received(other)),
        }
    }

    /// The path of a request's content kept as a [`RawCall`].
    pub(crate) fn call_path(&self) -> Option<&str> {
        match &self.0 {
            Content::Call(call) => Some(call.path.as_str()),
            _ => None,
        }
    }

    /// Whether the content is a [`Value`] already.
    pub(crate) fn as_value(&self) -> Option<&Value> {
        match &self.0 {
            Content::Value(value) => Some(value),
            _ => None,
        }
    }
}

impl From<Value> for Received {
    fn from(value: Value) -> Self {
        Received(Content::Value(value))
    }
}

impl From<Tape> for Received {
    fn from(tape: Tape) -> Self {
        Received(Content::Tape(tape))
    }
}

/// One registered extra type.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    /// An [`Extension`](crate::Extension) type, by its name.
    Named(Arc<str>),
    /// The RPC fallback: service references travel as their router path.
    ServiceRef,
}

/// The extra serializers of a connection, in registration order: the n-th one has `typeid` n.
///
/// Both sides must register the same types in the same order, as in Python.
///
/// ```
/// use aiomas::codec::Serializers;
/// let s = Serializers::new().with_type("arrow").with_type("Point");
/// assert_eq!(s.typeid("Point"), Some(1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serializers {
    slots: Vec<Slot>,
}

impl Serializers {
    /// An empty registry.
    ///
    /// ```
    /// use aiomas::codec::Serializers;
    /// assert_eq!(Serializers::new(), Serializers::default());
    /// assert_eq!(Serializers::new().typeid("arrow"), None);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers the extension type `name` under the next typeid.
    ///
    /// ```
    /// use aiomas::codec::Serializers;
    /// let s = Serializers::new().with_type("arrow");
    /// assert_eq!(s.typeid("arrow"), Some(0));
    /// ```
    pub fn with_type(mut self, name: impl Into<Arc<str>>) -> Self {
        self.slots.push(Slot::Named(name.into()));
        self
    }

    /// Registers the RPC fallback (service references) under the next typeid, as Python's
    /// `RpcClient` does last on every RPC connection.
    /// Registering it twice keeps the first place.
    ///
    /// ```
    /// use aiomas::codec::Serializers;
    /// let s = Serializers::new().with_service_refs().with_type("Point").with_service_refs();
    /// // The service references took typeid 0, so the extension type got 1.
    /// assert_eq!(s.typeid("Point"), Some(1));
    /// ```
    pub fn with_service_refs(mut self) -> Self {
        if !self.slots.contains(&Slot::ServiceRef) {
            self.slots.push(Slot::ServiceRef);
        }
        self
    }

    /// The typeid of the extension type `name`, if registered.
    ///
    /// ```
    /// use aiomas::codec::Serializers;
    /// let s = Serializers::new().with_type("arrow").with_type("Point");
    /// assert_eq!((s.typeid("arrow"), s.typeid("Point"), s.typeid("Line")), (Some(0), Some(1), None));
    /// ```
    pub fn typeid(&self, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| matches!(s, Slot::Named(n) if &**n == name))
    }

    fn service_typeid(&self) -> Option<usize> {
        self.slots.iter().position(|s| *s == Slot::ServiceRef)
    }

    fn slot(&self, typeid: u64) -> Option<&Slot> {
        usize::try_from(typeid).ok().and_then(|i| self.slots.get(i))
    }
}

/// Everything a connection needs to turn values into frame bodies and back.
#[derive(Debug, Clone)]
pub(crate) struct WireFormat {
    codec: Codec,
    /// A codec of the user's, used instead of `codec`.
    custom: Option<Arc<dyn MessageCodec>>,
    serializers: Serializers,
    /// Frame bodies (and decompressed blosc bodies) larger than this are refused.
    pub(crate) max_frame_size: usize,
    /// The most bytes of values one frame may decode to (see [`DECODED_BYTES_PER_BODY_BYTE`]).
    pub(crate) max_decoded_size: usize,
    /// The connection whose peer sends us service references (they become proxies on it).
    connection_id: u64,
    /// The local root service this connection serves; only its services may be sent.
    served_root: Option<u64>,
}

impl WireFormat {
    pub(crate) fn new(codec: Codec, serializers: Serializers) -> Self {
        WireFormat {
            codec,
            custom: None,
            serializers,
            max_frame_size: usize::MAX,
            max_decoded_size: usize::MAX,
            connection_id: 0,
            served_root: None,
        }
    }

    /// The codec of the frames.
    pub(crate) fn codec(&self) -> Codec {
        self.codec
    }

    /// The built-in codec of the frames; `None` for a custom codec.
    pub(crate) fn builtin(&self) -> Option<Codec> {
        self.custom.is_none().then_some(self.codec)
    }

    /// The codec's name, for messages.
    fn name(&self) -> &str {
        match &self.custom {
            Some(custom) => custom.name(),
            None => self.codec.name(),
        }
    }

    /// Frames are written and read with `custom` (if any) instead of the built-in codec.
    pub(crate) fn with_custom(mut self, custom: Option<Arc<dyn MessageCodec>>) -> Self {
        self.custom = custom;
        self
    }

    pub(crate) fn with_limit(mut self, max_frame_size: usize) -> Self {
        self.max_frame_size = max_frame_size;
        self
    }

    pub(crate) fn with_decoded_limit(mut self, max_decoded_size: usize) -> Self {
        self.max_decoded_size = max_decoded_size;
        self
    }

    pub(crate) fn bind(mut self, connection_id: u64, served_root: Option<u64>) -> Self {
        self.connection_id = connection_id;
        self.served_root = served_root;
        self
    }

    /// Appends the encoding of `[msg_type, msg_id, content]` to `out`; `content` is any
    /// serializable value (a [`Value`], or the typed arguments or result of a call), written
    /// straight into the frame.
    pub(crate) fn encode_message<C: serde::Serialize + ?Sized>(
        &self,
        msg_type: u8,
        msg_id: u64,
        content: &C,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.encode(Some((msg_type, msg_id)), content, out)
    }

    /// Appends `[msg_type, msg_id, content]` (with an `envelope`), or `content` alone.
    fn encode<C: serde::Serialize + ?Sized>(
        &self,
        envelope: Option<(u8, u64)>,
        content: &C,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        if let Some(custom) = &self.custom {
            return match envelope {
                Some((msg_type, msg_id)) => {
                    let message = (msg_type, msg_id, content);
                    custom.encode(&Outgoing::new(self, &message), out)
                }
                None => custom.encode(&Outgoing::new(self, &content), out),
            };
        }
        self.encode_builtin(envelope, content, out)
    }

    /// [`encode`](Self::encode) with the built-in codec.
    fn encode_builtin<C: serde::Serialize + ?Sized>(
        &self,
        envelope: Option<(u8, u64)>,
        content: &C,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        match self.codec {
            Codec::Json => wire::encode(json::Sink(out), self, envelope, content),
            Codec::MsgPack => wire::encode(msgpack::Sink(out), self, envelope, content),
            Codec::MsgPackBlosc => {
                let mut packed = Vec::with_capacity(64);
                wire::encode(msgpack::Sink(&mut packed), self, envelope, content)?;
                out.extend_from_slice(&blosc::compress(&packed, BLOSC_TYPESIZE)?);
                Ok(())
            }
        }
    }

    /// Decodes a frame body into `(msg_type, msg_id, content)`.
    pub(crate) fn decode_message(&self, body: &[u8]) -> Result<(u8, u64, Value), Error> {
        message_parts(self.decode(body)?)
    }

    /// Decodes a frame body into `(msg_type, msg_id, content)`, keeping the content of a
    /// JSON or MsgPack result, or the arguments of such a request, in the frame, to be decoded
    /// straight into their types (see [`Received`]).
    ///
    /// Only RPC connections (those that carry service references, as Python's `RpcClient`
    /// registers them) keep content in the frame: their calls and results go to typed code;
    /// a plain channel's content is wanted as a [`Value`] anyway. And only if `in_frame`:
    /// a large frame is decoded in full where its decode cannot stall other tasks, rather
    /// than later, into its types, on the task that handles it.
    pub(crate) fn decode_frame(
        &self,
        body: Bytes,
        in_frame: bool,
    ) -> Result<(u8, u64, Received), Error> {
        let rpc = self.serializers.service_typeid().is_some();
        if in_frame && rpc {
            match self.builtin() {
                Some(Codec::Json) => {
                    let decoding = decode::Decoding::new(self, body.len());
                    if let Some(plain) = json_direct::plain_message(&decoding, &body) {
                        return Ok(InFrame::Json.message(body, plain));
                    }
                }
                Some(Codec::MsgPack) => return self.decode_msgpack_frame(body),
                Some(Codec::MsgPackBlosc) => {
                    let raw = blosc::decompress(&body, self.max_frame_size)
                        .map_err(|err| self.undecodable(err))?;
                    return self.decode_msgpack_frame(Bytes::from(raw));
                }
                None => {}
            }
        }
        let (msg_type, msg_id, content) = self.decode_message(&body)?;
        Ok((msg_type, msg_id, Received::from(content)))
    }

    /// [`decode_frame`](Self::decode_frame) for a MsgPack `body` (decompressed, for blosc).
    fn decode_msgpack_frame(&self, body: Bytes) -> Result<(u8, u64, Received), Error> {
        let decoding = decode::Decoding::new(self, body.len());
        if let Some(plain) = msgpack_direct::plain_message(&decoding, &body) {
            return Ok(InFrame::MsgPack.message(body, plain));
        }
        let message = msgpack::decode(self, &body).map_err(|err| self.undecodable(err))?;
        let (msg_type, msg_id, content) = message_parts(message)?;
        Ok((msg_type, msg_id, Received::from(content)))
    }

    fn encode_into(&self, value: &Value, out: &mut Vec<u8>) -> Result<(), Error> {
        self.encode(None, value, out)
    }

    fn decode(&self, body: &[u8]) -> Result<Value, Error> {
        let result = match (&self.custom, self.codec) {
            (Some(custom), _) => {
                let decoding = decode::Decoding::new(self, body.len());
                let mut message = Incoming::new(&decoding);
                custom
                    .decode(body, &mut message)
                    .and_then(|()| message.into_value())
            }
            (None, codec) => self.decode_builtin(codec, body),
        };
        result.map_err(|err| self.undecodable(err))
    }

    /// Whatever goes wrong decoding an incoming frame breaks the connection: a protocol error.
    fn undecodable(&self, err: Error) -> Error {
        match err {
            Error::Deserialization(msg) => {
                Error::Protocol(format!("undecodable {} message: {msg}", self.name()))
            }
            Error::FrameTooLarge { size, limit } => Error::Protocol(format!(
                "incoming blosc frame decompresses to {size} bytes, over the frame limit of {limit} bytes"
            )),
            other => other,
        }
    }

    fn decode_builtin(&self, codec: Codec, body: &[u8]) -> Result<Value, Error> {
        match codec {
            Codec::Json => json::decode(self, body),
            Codec::MsgPack => msgpack::decode(self, body),
            Codec::MsgPackBlosc => blosc::decompress(body, self.max_frame_size)
                .and_then(|raw| msgpack::decode(self, &raw)),
        }
    }

    /// The typeid under which an extension of type `name` travels
    /// (`{"__type__": [typeid, data]}`).
    fn typeid_of(&self, name: &str) -> Result<usize, Error> {
        self.serializers
            .typeid(name)
            .ok_or_else(|| Error::Serialization(format!("No serializer found for type \"{name}\"")))
    }

    /// The typeid and router path under which a service reference travels.
    ///
    /// As in Python, only services served on this very connection can be sent.
    fn service_wrapper<'v>(&self, service: &'v ServiceRef) -> Result<(usize, &'v str), Error> {
        let typeid = self.serializers.service_typeid().ok_or_else(|| {
            Error::Serialization("service references need an RPC connection".into())
        })?;
        match (service.home, self.served_root) {
            (Home::Local(root), Some(served)) if root == served => Ok((typeid, &service.path)),
            (Home::Local(_), None) => Err(Error::Serialization(
                "No RPC service running for this side of the connection. Cannot send service proxy."
                    .into(),
            )),
            (Home::Local(_), Some(_)) => Err(Error::Serialization(format!(
                "RPC service \"{}\" is not exposed for this connection",
                service.path
            ))),
            (Home::Connection(_), _) => Err(Error::Serialization(format!(
                "cannot send a proxy to the remote service \"{}\"; only local services can be passed",
                service.path
            ))),
        }
    }
}

/// `(msg_type, msg_id, content)` of a decoded message `[msg_type, msg_id, content]`.
fn message_parts(message: Value) -> Result<(u8, u64, Value), Error> {
    let parts = match message {
        Value::List(parts) => <[Value; 3]>::try_from(parts).ok(),
        _ => None,
    };
    let Some([msg_type, msg_id, content]) = parts else {
        return Err(Error::Protocol(
            "a message must be a list [msg_type, msg_id, content]".into(),
        ));
    };
    let msg_type = msg_type
        .as_u64()
        .and_then(|t| u8::try_from(t).ok())
        .ok_or_else(|| Error::Protocol(format!("invalid message type {msg_type}")))?;
    let msg_id = msg_id
        .as_u64()
        .ok_or_else(|| Error::Protocol(format!("invalid message id {msg_id}")))?;
    Ok((msg_type, msg_id, content))
}

#[cfg(test)]
mod tests;
