//! aiomas: remote procedure calls and multi-agent systems, wire-compatible with Python's aiomas.
//!
//! The crate has one module per layer: [`channel`] (framed request/reply over a byte stream),
//! [`codec`] (JSON, MsgPack, MsgPackBlosc), [`rpc`] (services, routers, proxies), and the
//! codec-neutral [`Value`]; [`tls`] secures TCP connections with mutual TLS.

pub mod agent;
pub mod channel;
pub mod clock;
pub mod codec;
mod error;
pub mod rpc;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls/disabled.rs"]
mod tls;
mod value;

pub use clock::{Clock, ExternalClock, RealtimeClock};
pub use codec::Date;
pub use error::{ConnectionError, ConnectionErrorKind, Error, RemoteError, Result};
pub use value::{from_value, to_value, BigInt, Bytes, Extension, Home, ServiceRef, Value};

pub use aiomas_macros::{agent, expose, proxy, service};

// Lets the crate use its own macros, whose output names `::aiomas`.
#[allow(unused_extern_crates)]
extern crate self as aiomas;

/// Support code for the macros. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde;
}

/// Compiles the README's example, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
