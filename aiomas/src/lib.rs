//! aiomas: remote procedure calls and multi-agent systems, wire-compatible with Python's aiomas.
//!
//! The crate has one module per layer: [`channel`] (framed request/reply over a byte stream),
//! [`codec`] (JSON, MsgPack, MsgPackBlosc), [`rpc`] (services, routers, proxies), and the
//! codec-neutral [`Value`].

pub mod channel;
pub mod codec;
mod error;
pub mod rpc;
mod value;

pub use codec::Date;
pub use error::{ConnectionError, ConnectionErrorKind, Error, RemoteError, Result};
pub use value::{from_value, to_value, Extension, Home, ServiceRef, Value};

/// Support code for the macros. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}
