//! aiomas: remote procedure calls and multi-agent systems, wire-compatible with Python's aiomas.
//!
//! The crate has one module per layer: [`channel`] (framed request/reply over a byte stream),
//! [`codec`] (JSON, MsgPack, MsgPackBlosc), and the codec-neutral [`Value`].

pub mod channel;
pub mod codec;
mod error;
mod value;

pub use error::{ConnectionError, ConnectionErrorKind, Error, RemoteError, Result};
pub use value::{from_value, to_value, Extension, Home, ServiceRef, Value};
