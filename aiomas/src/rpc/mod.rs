//! The RPC layer: call exposed functions of remote services by path.
//!
//! A service is anything implementing [`Service`]: a type whose impl block carries
//! `#[aiomas::service]` (its `#[expose]`d methods become callable), or a [`ServiceMap`] built at
//! run time. [`start_server`] serves a root service on every connection; [`open_connection`]
//! returns an [`RpcClient`] whose [`remote`](RpcClient::remote) proxy calls the peer.
//!
//! # Concurrency
//!
//! Calls are handled concurrently, as in Python: a call that waits (an `async` method awaiting
//! I/O, a clock or another agent) goes on in a task of its own while the connection serves the
//! next request. A call that finishes without waiting runs inline, so the replies of a burst
//! of quick calls leave in one write; keep long CPU-bound work off an exposed method's
//! synchronous path (`tokio::task::spawn_blocking`), since it delays the requests behind it on
//! the same connection.
//!
//! ```
//! use aiomas::channel::{Addr, ChannelOptions};
//! use aiomas::rpc;
//!
//! struct Calculator;
//!
//! #[aiomas::service]
//! impl Calculator {
//!     /// Python callers may write `add(3, b=4)` or leave `b` out.
//!     #[expose]
//!     fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
//!         a + b
//!     }
//!
//!     /// Errors become exception replies: the caller reads `ValueError: ...`.
//!     #[expose(name = "div")]
//!     async fn divide(&self, a: f64, b: f64) -> Result<f64, rpc::Exception> {
//!         if b == 0.0 {
//!             return Err(rpc::Exception::new("ValueError", "division by zero"));
//!         }
//!         Ok(a / b)
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), Calculator, ChannelOptions::default()).await?;
//! let client = rpc::open_connection(server.addr(), ChannelOptions::default()).await?;
//! let calc: CalculatorProxy = client.remote_as();
//! assert_eq!(calc.add(3, 4).await?, 7);
//! assert_eq!(calc.divide(1.0, 4.0).await?, 0.25); // the proxy keeps the Rust name
//! let err = calc.divide(1.0, 0.0).await.unwrap_err();
//! assert!(err.to_string().ends_with("ValueError: division by zero"));
//! client.close().await;
//! server.close().await;
//! # Ok(())
//! # }
//! ```

mod args;
mod client;
mod exception;
mod local;
mod proxy;
mod reply;
mod server;
mod service;
mod service_map;

pub use args::{Args, Param};
pub(crate) use client::Root;
pub use client::RpcClient;
pub use exception::Exception;
pub(crate) use local::LocalEndpoint;
pub use local::MAX_INLINE_LOCAL_CALLS;
pub use proxy::{FromProxy, Proxy, Typed};
pub use reply::{Reply, ReplyTo};
pub use server::{
    open_connection, open_connection_serving, start_server, start_server_with, IntoService,
    RpcServer,
};
pub(crate) use server::{open_connection_with_root, start_server_with_root};
pub(crate) use service::{panic_message, CatchUnwind};
pub use service::{BoxFuture, Handler, InlineHandler, Route, Service};
pub use service_map::ServiceMap;

/// Support code for the macros. Not a public API.
#[doc(hidden)]
pub mod __private {
    use std::fmt::Display;

    use serde::de::DeserializeOwned;
    use serde::Serialize;

    use super::Exception;
    use crate::{to_value, Error, Value};

    /// Encodes an exposed method's result.
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Value, Exception> {
        to_value(value).map_err(Exception::from)
    }

    pub use super::proxy::decode_result;

    pub use super::proxy::{ArgList, KwList, RestArgs, RestKwargs, TypedCall};

    /// Encodes an exposed method's result with the call's [`ReplyTo`](super::ReplyTo).
    pub fn reply<T: Serialize + ?Sized>(
        reply_to: &super::ReplyTo,
        value: &T,
    ) -> Result<super::Reply, Exception> {
        reply_to.encode(value)
    }

    /// Catch-all positional arguments (they must encode as a list).
    pub fn rest_args<T: Serialize + ?Sized>(rest: &T) -> Result<Vec<Value>, Error> {
        match to_value(rest)? {
            Value::List(items) => Ok(items),
            other => Err(Error::Serialization(format!(
                "*args must be a list, not {}",
                other.type_name()
            ))),
        }
    }

    /// Catch-all keyword arguments (they must encode as a map with string keys).
    pub fn rest_kwargs<T: Serialize + ?Sized>(rest: &T) -> Result<Vec<(String, Value)>, Error> {
        match to_value(rest)? {
            Value::Map(entries) => entries
                .into_iter()
                .map(|(k, v)| match k {
                    Value::Str(k) => Ok((k, v)),
                    other => Err(Error::Serialization(format!(
                        "**kwargs keys must be strings, not {other}"
                    ))),
                })
                .collect(),
            other => Err(Error::Serialization(format!(
                "**kwargs must be a map, not {}",
                other.type_name()
            ))),
        }
    }

    /// The bound on the proxy's stubs for methods without `#[expose]`: never implemented, so
    /// calling one fails to compile with this message.
    #[diagnostic::on_unimplemented(
        message = "this method is not `#[expose]`d, so it cannot be called through the proxy",
        label = "not exposed",
        note = "add `#[expose]` to the method in its `#[aiomas::service]` or `#[aiomas::agent]` impl block"
    )]
    pub trait ExposedMethod {}

    /// The type the stubs' bound is on; it names a lifetime so that rustc checks the bound
    /// where a stub is called, not where it is defined.
    #[derive(Debug)]
    pub struct Unexposed<'a>(core::marker::PhantomData<&'a ()>);

    /// What a stub returns, so the call around it type-checks. It is never built at run time
    /// (the stub's bound cannot be met), but would resolve to an error.
    #[derive(Debug)]
    pub struct NotExposed<R>(core::marker::PhantomData<fn() -> R>);

    impl<R> NotExposed<R> {
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            NotExposed(core::marker::PhantomData)
        }
    }

    impl<R> core::future::Future for NotExposed<R> {
        type Output = Result<R, Error>;
        fn poll(
            self: core::pin::Pin<&mut Self>,
            _: &mut core::task::Context<'_>,
        ) -> core::task::Poll<Self::Output> {
            core::task::Poll::Ready(Err(Error::Value("the method is not exposed".into())))
        }
    }

    /// Compile-time check: an exposed method's parameter type can be decoded from the wire.
    pub fn assert_arg<T: DeserializeOwned + Send + 'static>() {}

    /// Compile-time check: an exposed method's result can be encoded for the wire.
    pub fn assert_return<T: Serialize>() {}

    /// Compile-time check: an exposed method's error can become an exception reply.
    pub fn assert_error<E: Display + Send + 'static>() {}
}
