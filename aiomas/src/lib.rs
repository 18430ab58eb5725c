//! aiomas: remote procedure calls and multi-agent systems, wire-compatible with Python's
//! [aiomas](https://aiomas.readthedocs.io) 2.0.1, so Rust and Python agents live in one system.
//!
//! ```
//! use aiomas::agent::{AgentContext, Container, ContainerOptions};
//! use aiomas::channel::{Addr, Retry};
//! use aiomas::rpc::Exception;
//!
//! /// An agent; `#[aiomas::agent]` makes its `#[expose]`d methods callable and generates
//! /// `GreeterProxy` for callers.
//! struct Greeter {
//!     ctx: AgentContext,
//! }
//!
//! #[aiomas::agent]
//! impl Greeter {
//!     #[expose]
//!     async fn greet(&self, name: String) -> Result<String, Exception> {
//!         self.ctx.clock().sleep(0.01).await?; // the container's clock: real or simulated time
//!         Ok(format!("Hello, {name}!"))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! let home = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
//! let away = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
//! let greeter = home.spawn(|ctx| Greeter { ctx })?;
//!
//! let proxy: GreeterProxy = away.connect_as(greeter.addr(), Retry::Never).await?;
//! assert_eq!(proxy.greet("Monty".to_string()).await?, "Hello, Monty!");
//! away.shutdown().await;
//! home.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! One module per layer; each builds on the ones below it and works on its own.
//!
//! ```text
//!  agent    Container, AgentContext, #[aiomas::agent]   ──uses──▶  clock   RealtimeClock,
//!    │      (many agents behind one server socket)                         ExternalClock
//!    ▼
//!  rpc      Service, #[aiomas::service], ServiceMap, RpcClient, Proxy, #[aiomas::proxy]
//!    │      (call exposed methods by path, Python's arguments and errors)
//!    ▼
//!  channel  Channel, Request, start_server, open_connection   ──optional──▶  tls (mutual TLS)
//!    │      (framed request/reply over TCP, Unix sockets, an in-process queue)
//!    ▼
//!  codec    Codec (JSON, MsgPack, MsgPackBlosc), Serializers, Value, Date
//! ```
//!
//! - [`agent`](mod@agent): [`Container`](agent::Container)s host agents, hand each an
//!   [`AgentContext`](agent::AgentContext) (id, address, container, clock) and connect to other
//!   containers by agent URL; [`run_manager`](agent::run_manager) is Python's `aiomas.subproc`.
//! - [`clock`]: every container has a [`Clock`]; agents sleep and schedule on it, so the same
//!   agents run in real time ([`RealtimeClock`]) or in simulated time ([`ExternalClock`]).
//! - [`rpc`]: services, routing, argument binding and proxies, without containers.
//! - [`channel`]: the request/reply connection under everything (and usable alone).
//! - [`codec`] and [`Value`]: how messages become bytes; [`to_value`] / [`from_value`] convert
//!   any serde type.
//! - `tls`: mutual TLS against one private CA (feature `tls`).
//! - `mosaik`: simulators and agent systems that the mosaik 3 co-simulation framework drives
//!   (feature `mosaik`).
//! - `mosaik`: simulators and agent systems driven by the mosaik 3 co-simulation framework
//!   (feature `mosaik`).
//! - The macros [`agent`](macro@agent), [`service`](macro@service), [`proxy`](macro@proxy) and
//!   the `#[expose]` marker turn impl blocks and traits into dispatch tables and typed proxies.
//!
//! # Wire protocol
//!
//! What crosses a connection, as Python aiomas 2.0.1 writes it (a Python peer cannot tell that
//! it talks to Rust):
//!
//! - **Framing** ([`channel`]): every message is a frame, a 4-byte big-endian unsigned length
//!   followed by that many bytes of codec output. The decoded message is a 3-element list
//!   `[msg_type, msg_id, content]` with `msg_type` 0 (request), 1 (result) or 2 (exception).
//!   Each side numbers its own requests from 0 per connection; a reply carries the id of its
//!   request, so the two directions never clash. Both sides may send requests on one
//!   connection, many may be in flight, and replies come in any order. An exception's content
//!   is a string whose last line reads `Kind: message` (Python sends its traceback). A reply
//!   to an unknown id or an unknown message type breaks the connection (a protocol error);
//!   when a connection closes, every request waiting on it fails. Frames above a limit
//!   ([`channel::DEFAULT_MAX_FRAME_SIZE`], configurable) are refused before their bytes are
//!   buffered.
//! - **Codecs** ([`codec`]): JSON (UTF-8, the default), MsgPack (bytes as `bin`, strings as
//!   `str`) and MsgPackBlosc (the MsgPack bytes compressed with c-blosc 1.x, typesize 8, the
//!   whole frame body one blosc buffer). Structs travel as maps with their field names.
//! - **Extra serializers**: a value the codec has no type for travels as
//!   `{"__type__": [typeid, data]}`, `typeid` being the index of its type in the list of
//!   serializers both sides registered, in the same order ([`codec::Serializers`]). A map with
//!   the key `__type__` is always such a wrapper. Containers register Arrow dates first
//!   (typeid 0, `data` an ISO 8601 string with offset, [`Date`]), then their extra types; every
//!   RPC connection registers the service-reference fallback last: a service or agent sent as
//!   an argument travels as its router path (`"agents/3"`) and arrives as a proxy bound to the
//!   connection it came on, so the receiver can call back.
//! - **RPC paths** ([`rpc`]): a request's content is `[path, args, kwargs]`, the path
//!   `/`-separated (`"add"`, `"calculator/add"`, `"agents/0/spam"`), `args` a list and
//!   `kwargs` a map of names to values. The server resolves the path through nested services
//!   to an exposed function; failures are exception replies with Python's messages
//!   (`LookupError: Name "x" not found in "a/b"`, `LookupError: "mod.Class.x" is not exposed`,
//!   a `TypeError` naming the function for wrong arguments).
//! - **Agent URLs** ([`agent`](mod@agent)): a container's root service exposes `validate_aid(aid)` and the
//!   sub-service `agents` (agent id -> agent); agents get the ids `"0"`, `"1"`, ... in spawn
//!   order. An agent's URL is `tcp://HOST:PORT/ID`, `ipc://[PATH]/ID` (Unix socket) or
//!   `local://QUEUE/ID` (in-process queue). Connecting to an agent reuses one connection per
//!   remote container, and that connection also serves the caller's container, so agents can
//!   call back.
//!
//! # Cargo features
//!
//! On by default:
//!
//! - `tls`: the `tls` module, [`ChannelOptions::tls`](channel::ChannelOptions) and
//!   `ContainerOptions::tls` (rustls on the ring provider). Without it these items are absent.
//! - `blosc`: the c-blosc codec. Without it [`Codec::MsgPackBlosc`](codec::Codec::MsgPackBlosc)
//!   still exists (so code that matches on codecs builds either way), but using it fails with an
//!   [`Error::Value`] that names the feature ([`Codec::available`](codec::Codec::available)).
//! - `cli`: [`agent::cli`], the docs' container command line for any binary (clap,
//!   tracing-subscriber, tokio's multi-threaded runtime).
//! - `mosaik`: the `mosaik` module, simulators and agent systems for mosaik 3, with
//!   mosaik-api-v3's command line (clap, tracing-subscriber).
//! - `signal`: `agent::shutdown_signal` and `agent::run_manager` (which stops on SIGINT and
//!   SIGTERM), on tokio's signal driver; `cli` turns it on. Without it both are absent.
//!
//! With `default-features = false` a small crate builds without rustls, ring, clap and a C
//! compiler run, in about two thirds of the time it took before these features existed. The library
//! asks tokio for `rt`, `net`, `io-util`, `sync`, `time` and `macros` (and `signal` with the
//! `signal` feature, `rt-multi-thread` with `multi-thread`); a binary adds the runtime it wants (e.g. `rt-multi-thread`).
//!
//! # Portability
//!
//! Unix domain sockets ([`channel::Addr::Unix`], `ipc://` agent URLs) exist on Unix only;
//! elsewhere connecting or listening on one fails with an I/O error that says so. The manager's
//! [`shutdown_signal`](agent::shutdown_signal) waits for SIGINT or SIGTERM on Unix and for
//! Ctrl-C elsewhere. Everything else is plain tokio. The test suite runs on Linux.
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod agent;
mod boxed;
pub mod channel;
pub mod clock;
pub mod codec;
mod error;
#[cfg(feature = "mosaik")]
pub mod mosaik;
pub mod rpc;
mod shutdown;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls/disabled.rs"]
mod tls;
mod value;

pub use clock::{Clock, ExternalClock, RealtimeClock};
pub use codec::{Date, ExtensionType};
pub use error::{ConnectionError, ConnectionErrorKind, Error, RemoteError, Result};
pub use value::{from_value, to_value, BigInt, Bytes, Extension, Home, ServiceRef, Value};

pub use aiomas_macros::{agent, expose, proxy, service, ExtensionType};

// Lets the crate use its own macros, whose output names `::aiomas`.
#[allow(unused_extern_crates)]
extern crate self as aiomas;

/// Support code for the macros. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::{extension_data, serialize_extension};
    pub use serde;
}

/// Compiles the README's examples, so they stay true. They use the container CLI and TLS, so
/// they are checked with the default features.
#[cfg(all(doctest, feature = "cli", feature = "tls"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
