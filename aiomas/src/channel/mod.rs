//! The channel layer: framed request/reply messages over a byte stream.
//!
//! Every frame is a 4-byte big-endian length and a codec-encoded `[msg_type, msg_id, content]`.
//! Both sides may send requests on one connection; many may be in flight; replies are matched
//! by id in any order.
//!
//! # Bounds
//!
//! A server is something strangers connect to, so every queue, task and wait of a connection
//! is bounded (each default is a documented constant, settable in [`ChannelOptions`]):
//!
//! | what | default | anchor |
//! |---|---|---|
//! | peer's requests in flight per connection (then reading stops) | [`DEFAULT_MAX_IN_FLIGHT`] = 1,000 | tarpc `max_in_flight_requests` |
//! | our requests queued for writing (then `send` waits) | [`DEFAULT_OUTGOING_QUEUE`] = 1,000 | tarpc `max_in_flight_requests` |
//! | deadline of a call | [`DEFAULT_CALL_TIMEOUT`] = 60 s | jsonrpsee `request_timeout` |
//! | a frame that stalls between two reads | [`DEFAULT_READ_TIMEOUT`] = 60 s | nginx `client_body_timeout` |
//! | connections per server (idlest displaced at the cap) | [`DEFAULT_MAX_CONNECTIONS`] = 10,000, at most the descriptor limit less [`DESCRIPTOR_RESERVE`] | jsonrpsee `max_connections` (100) |
//! | listen backlog | [`DEFAULT_LISTEN_BACKLOG`] = 1,024 | tokio `TcpSocket::listen` |
//! | TCP keepalive | [`TCP_KEEPALIVE_IDLE`] = 15 s, 9 probes | Go `net` |
//! | frame size / decoded size | [`DEFAULT_MAX_FRAME_SIZE`], [`DEFAULT_MAX_DECODED_SIZE`] | tarpc / msgpack-python |
//!
//! Calls a connection serves belong to it: they are aborted when it ends. Frames that decode to
//! more than 64 KiB, and messages estimated to encode to more than that (blosc compression
//! included), are decoded or encoded on a blocking thread, so that a few large frames cannot
//! stall the other connections.
//!
//! ```
//! use aiomas::channel::{self, Addr, ChannelOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! let server = channel::start_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default(), |channel| async move {
//!     while let Ok(request) = channel.recv().await {
//!         request.reply("cya").unwrap();
//!     }
//! })
//! .await?;
//!
//! let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
//! assert_eq!(channel.send("ohai").await?, "cya".into());
//! channel.close().await;
//! server.close().await;
//! # Ok(())
//! # }
//! ```

mod addr;
mod connection;
mod options;
mod outbox;
mod reader;
mod server;
mod stats;
mod transport;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::shutdown::CancellationToken;
use crate::shutdown::TaskTrackerToken;
use tokio::sync::OwnedSemaphorePermit;
use tracing::debug;

pub use addr::Addr;
pub use options::{
    ChannelOptions, Retry, DEFAULT_CALL_TIMEOUT, DEFAULT_LISTEN_BACKLOG, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_DECODED_SIZE, DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_OUTGOING_QUEUE, DEFAULT_READ_TIMEOUT, DEFAULT_TLS_HANDSHAKE_TIMEOUT,
    DESCRIPTOR_RESERVE, TCP_KEEPALIVE_IDLE,
};
pub use server::Server;
pub(crate) use stats::StatsGroup;
pub use stats::{Stats, CALL_TRACE_TARGET};

use crate::codec::{RawCall, Received, WireFormat};
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::{Error, Value};
pub(crate) use connection::PendingRequest;
use connection::Shared;
use stats::{Answer, CallPath, CallTrace, Counters};
pub(crate) use transport::Stream;

/// One end of a request/reply connection. Cheap to clone; all clones share the connection.
///
/// Dropping the last clone closes the connection after flushing what was queued.
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::local("channel-docs"), ChannelOptions::default(), |channel| async move {
///     // Both ends are `Channel`s: this one answers, the other one asks.
///     while let Ok(request) = channel.recv().await {
///         let n = request.content().as_u64().unwrap_or(0);
///         request.reply(n + 1).unwrap();
///     }
/// })
/// .await?;
/// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// assert_eq!(channel.send(41u64).await?, 42u64.into());
/// assert!(!channel.is_closed());
/// channel.close().await;
/// assert!(channel.is_closed());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Channel {
    shared: Arc<Shared>,
}

impl Channel {
    fn start(stream: Stream, options: &ChannelOptions, served_root: Option<u64>) -> Channel {
        let id = connection::next_connection_id();
        let format = WireFormat::new(options.codec, options.serializers.clone())
            .with_limit(options.max_frame_size)
            .with_decoded_limit(options.get_max_decoded_size())
            .with_custom(options.custom_codec.clone())
            .bind(id, served_root);
        let stats = Counters::new(options.stats.clone());
        let shared = Shared::spawn(stream, format, id, options.limits, stats);
        shared.stats.join(&shared);
        Channel { shared }
    }

    /// Sends a request and waits for the peer's reply, at most the connection's
    /// [call timeout](ChannelOptions::call_timeout).
    ///
    /// Fails with [`Error::Remote`] if the peer answered with an exception, with
    /// [`Error::Connection`] if the connection went away first, with [`Error::Timeout`] if no
    /// reply came in time (the connection stays usable), and with [`Error::FrameTooLarge`] or
    /// [`Error::Serialization`] (for this call only) if the request cannot be sent. Waits while
    /// the outgoing queue is full.
    ///
    /// ```
    /// use aiomas::channel::{self, Addr, ChannelOptions};
    /// use aiomas::Error;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("send-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.fail("ValueError", "no, thanks").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// match channel.send("ohai").await {
    ///     Err(Error::Remote(err)) => assert_eq!((err.kind(), err.message()), (Some("ValueError"), "no, thanks")),
    ///     other => panic!("expected an exception reply, got {other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send(&self, content: impl Into<Value>) -> Result<Value, Error> {
        self.send_with_timeout(content, self.call_timeout()).await
    }

    /// Like [`send`](Self::send), with a deadline of its own (`None`: wait forever).
    ///
    /// ```
    /// use aiomas::channel::{self, Addr, ChannelOptions};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// // A server that never answers.
    /// let server = channel::start_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default(), |channel| async move {
    ///     let mut held = Vec::new();
    ///     while let Ok(request) = channel.recv().await {
    ///         held.push(request);
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// let err = channel.send_with_timeout("ohai", Some(Duration::from_millis(50))).await.unwrap_err();
    /// assert!(matches!(err, aiomas::Error::Timeout { .. }), "{err}");
    /// assert!(!channel.is_closed());
    /// # server.close().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_with_timeout(
        &self,
        content: impl Into<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value, Error> {
        self.shared.request(content.into(), timeout).await
    }

    /// Encodes `content` (any serializable value, typed arguments included) straight into a
    /// request frame at once; [`PendingRequest::send`] sends it and waits for the reply (see
    /// [`send_with_timeout`](Self::send_with_timeout)).
    pub(crate) fn encode_request<C: serde::Serialize + ?Sized>(
        &self,
        prefix: &str,
        method: &str,
        content: &C,
    ) -> PendingRequest<'_> {
        self.shared
            .encode_request(stats::CallPath { prefix, method }, content)
    }

    /// The default deadline of calls on this connection ([`ChannelOptions::call_timeout`]).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let options = ChannelOptions::default().call_timeout(Some(std::time::Duration::from_secs(5)));
    /// let server = channel::start_server(Addr::local("call-timeout-docs"), ChannelOptions::default(), |_| async {}).await?;
    /// let channel = channel::open_connection(server.addr(), options).await?;
    /// assert_eq!(channel.call_timeout(), Some(std::time::Duration::from_secs(5)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn call_timeout(&self) -> Option<Duration> {
        self.shared.limits.call_timeout
    }

    /// Waits for the next request from the peer.
    ///
    /// Fails with a connection error once the connection is closed; requests that arrived
    /// before are still handed out first.
    ///
    /// ```
    /// use aiomas::channel::{self, Addr, ChannelOptions};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// // The server's side of a connection receives the requests...
    /// let server = channel::start_server(Addr::local("recv-docs"), ChannelOptions::default(), |channel| async move {
    ///     let request = channel.recv().await.unwrap();
    ///     assert_eq!(request.content().as_str(), Some("ping"));
    ///     request.reply("pong").unwrap();
    /// })
    /// .await?;
    /// // ...and so does the opening side: requests may go either way.
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.send("ping").await?, "pong".into());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recv(&self) -> Result<Request, Error> {
        let mut incoming = self.shared.incoming.lock().await;
        match incoming.recv().await {
            Some(mut request) => {
                self.shared.hand_out(&mut request);
                Ok(request)
            }
            None => Err(self
                .shared
                .failure()
                .unwrap_or_else(|| ConnectionError::closed().into())),
        }
    }

    /// Takes the peer's requests out of the channel, for a layer that serves them for as long
    /// as the connection lives (not as long as some handle to it); `recv` then fails.
    pub(crate) fn take_requests(&self) -> Requests {
        let (_, closed) = tokio::sync::mpsc::unbounded_channel();
        let incoming = match self.shared.incoming.try_lock() {
            Ok(mut incoming) => std::mem::replace(&mut *incoming, closed),
            // Someone waits in `recv`: they keep the requests; the taker sees none.
            Err(_) => closed,
        };
        Requests {
            incoming,
            connection: Arc::downgrade(&self.shared),
            peer: self.shared.peer.clone(),
            ended: self.shared.ended.clone(),
        }
    }

    /// Closes the connection: flushes queued messages, then fails pending requests and `recv`.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("close-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.reply("pong").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// channel.close().await;
    /// assert!(channel.is_closed());
    /// assert!(channel.send("ping").await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn close(&self) {
        self.shared.close().await;
    }

    /// Whether the connection is gone (closed by either side or broken).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("is-closed-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.reply("pong").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert!(!channel.is_closed());
    /// server.close().await; // the peer goes away
    /// # tokio::time::timeout(std::time::Duration::from_secs(5), async {
    /// #     while !channel.is_closed() { tokio::task::yield_now().await }
    /// # }).await.unwrap();
    /// assert!(channel.is_closed());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.failure().is_some()
    }

    /// The peer's address as text (`127.0.0.1:5555`, a socket path, `LocalQueue('q')`).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default(), |_| async {}).await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.peer(), server.addr().to_string());
    /// # Ok(())
    /// # }
    /// ```
    pub fn peer(&self) -> &str {
        &self.shared.peer
    }

    /// The process-unique id of this connection.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("id-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.reply("pong").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// let other = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_ne!(channel.id(), other.id());
    /// assert_eq!(channel.clone().id(), channel.id()); // clones share the connection
    /// # Ok(())
    /// # }
    /// ```
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// A snapshot of this connection's counters: calls either way, errors, bytes, calls in
    /// flight (see [`Stats`]). Reading them costs a few relaxed loads and one lock.
    ///
    /// ```
    /// use aiomas::channel::{self, Addr, ChannelOptions};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("channel-stats-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.fail("ValueError", "odd").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert!(channel.send(1u64).await.is_err());
    /// let stats = channel.stats();
    /// assert_eq!((stats.calls_sent, stats.errors, stats.calls_in_flight), (1, 1, 0));
    /// assert_eq!(stats.bytes_out, 4 + "[0,0,1]".len() as u64);
    /// # Ok(())
    /// # }
    /// ```
    pub fn stats(&self) -> Stats {
        stats::snapshot(&self.shared)
    }

    /// The channel of connection `id`, if it is still alive.
    pub(crate) fn by_id(id: u64) -> Option<Channel> {
        connection::lookup(id).map(|shared| Channel { shared })
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.shared.id)
            .field("peer", &self.shared.peer)
            .finish()
    }
}

impl PartialEq for Channel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Channel {}

/// The peer's requests of one connection; ends when the connection does.
pub(crate) struct Requests {
    incoming: tokio::sync::mpsc::UnboundedReceiver<Request>,
    connection: Weak<Shared>,
    peer: String,
    ended: CancellationToken,
}

impl Requests {
    /// The next request, or `None` once the connection is gone.
    pub(crate) async fn next(&mut self) -> Option<Request> {
        let mut request = self.incoming.recv().await?;
        if let Some(connection) = self.connection.upgrade() {
            connection.hand_out(&mut request);
        }
        Some(request)
    }

    /// Cancelled once the connection is gone (after `close` has given handlers their grace).
    pub(crate) fn ended(&self) -> CancellationToken {
        self.ended.clone()
    }

    /// Why the connection ended.
    pub(crate) fn failure(&self) -> Error {
        self.connection
            .upgrade()
            .and_then(|connection| connection.failure())
            .unwrap_or_else(|| ConnectionError::closed().into())
    }

    /// The peer's address as text.
    pub(crate) fn peer(&self) -> &str {
        &self.peer
    }
}

/// A request from the peer, received with [`Channel::recv`]. Answer it with
/// [`reply`](Self::reply) or [`fail`](Self::fail).
///
/// A request dropped without an answer is answered for you (the peer reads
/// `RuntimeError: the request was dropped without a reply`), so no caller waits forever.
/// Until its reply is written, it holds one of the connection's
/// [in-flight slots](ChannelOptions::max_in_flight).
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::local("request-docs"), ChannelOptions::default(), |channel| async move {
///     while let Ok(mut request) = channel.recv().await {
///         let content = request.take_content();
///         let answer = format!("request {}: {}", request.id(), content.as_str().unwrap_or("?"));
///         request.reply(answer).unwrap();
///     }
/// })
/// .await?;
/// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// // Each side numbers its requests from 0 on every connection.
/// assert_eq!(channel.send("a").await?, "request 0: a".into());
/// assert_eq!(channel.send("b").await?, "request 1: b".into());
/// # Ok(())
/// # }
/// ```
pub struct Request {
    connection: Weak<Shared>,
    msg_id: u64,
    /// A value, or a JSON call whose arguments are still in the frame.
    content: Received,
    /// `content` as a value, once [`content`](Self::content) asked for it.
    content_value: OnceLock<Value>,
    /// The in-flight slot; the reply takes it along until it is written.
    slot: Option<OwnedSemaphorePermit>,
    /// Held while handed out by `recv`: `close` waits (briefly) for the answer.
    pub(crate) handed_out: Option<TaskTrackerToken>,
    /// The call's span, if a subscriber wants it.
    trace: CallTrace,
}

impl Request {
    pub(crate) fn new(
        connection: &Arc<Shared>,
        msg_id: u64,
        content: Received,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        let path = match (content.as_value(), content.call_path()) {
            (Some(value), _) => CallPath::of(value),
            (None, method) => CallPath {
                prefix: "",
                method: method.unwrap_or_default(),
            },
        };
        Request {
            trace: CallTrace::served(connection, msg_id, path),
            connection: Arc::downgrade(connection),
            msg_id,
            content,
            content_value: OnceLock::new(),
            slot: Some(slot),
            handed_out: None,
        }
    }

    /// The call's span (disabled unless a subscriber wants it), to run its handler in.
    pub(crate) fn span(&self) -> tracing::Span {
        self.trace.span()
    }

    /// The request's content.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("content-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         let length = request.content().as_str().map_or(0, str::len) as u64;
    ///         request.reply(length).unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.send("four").await?, 4u64.into());
    /// # Ok(())
    /// # }
    /// ```
    pub fn content(&self) -> &Value {
        match self.content.as_value() {
            Some(value) => value,
            None => self.content_value.get_or_init(|| self.content.to_value()),
        }
    }

    /// Takes the content out, keeping the request answerable.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("take-content-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(mut request) = channel.recv().await {
    ///         let content = request.take_content(); // owned, without a copy
    ///         assert!(request.content().is_nil());
    ///         request.reply(content).unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.send("echo").await?, "echo".into());
    /// # Ok(())
    /// # }
    /// ```
    pub fn take_content(&mut self) -> Value {
        let content = std::mem::replace(&mut self.content, Received::from(Value::Nil));
        match self.content_value.take() {
            Some(value) => value,
            None => content.into_value().unwrap_or_else(|err| {
                debug!("a checked frame did not decode: {err}");
                Value::Nil
            }),
        }
    }

    /// Takes the content out if it is a call whose arguments are still in the frame (see
    /// [`Received`]); other content stays.
    pub(crate) fn take_call(&mut self) -> Option<RawCall> {
        let content = std::mem::replace(&mut self.content, Received::from(Value::Nil));
        match content.into_call() {
            Ok(call) => {
                self.content_value.take();
                Some(call)
            }
            Err(content) => {
                self.content = content;
                None
            }
        }
    }

    /// The id the peer gave this request.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("request-id-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         let id = request.id();
    ///         request.reply(id).unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.send("a").await?, 0u64.into());
    /// assert_eq!(channel.send("b").await?, 1u64.into());
    /// # Ok(())
    /// # }
    /// ```
    pub fn id(&self) -> u64 {
        self.msg_id
    }

    fn connection(&self) -> Result<Arc<Shared>, Error> {
        self.connection
            .upgrade()
            .ok_or_else(|| ConnectionError::closed().into())
    }

    /// Answers with `result`. If it cannot be encoded, the peer gets an exception reply instead
    /// and the encoding error is returned. A large result (more than about 64 KiB encoded) is
    /// encoded on a blocking thread, so that it cannot stall other connections; its encoding
    /// error, if any, is answered the same way but only logged.
    ///
    /// ```
    /// use aiomas::channel::{self, Addr, ChannelOptions};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("reply-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         let greeting = request.content().as_str().map(|name| format!("Hello, {name}!"));
    ///         match greeting {
    ///             Some(greeting) => request.reply(greeting).unwrap(),
    ///             None => request.fail("TypeError", "a name, please").unwrap(),
    ///         }
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert_eq!(channel.send("Monty").await?, "Hello, Monty!".into());
    /// assert!(channel.send(3u64).await.unwrap_err().to_string().contains("TypeError: a name, please"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn reply(mut self, result: impl Into<Value>) -> Result<(), Error> {
        let connection = self.connection()?;
        let slot = self.slot.take();
        self.trace.answer(&connection, Answer::Result, || {
            connection.reply(self.msg_id, result.into(), slot)
        })
    }

    /// Where the reply goes, for encoding a result into its frame ahead of
    /// [`reply_frame`](Self::reply_frame).
    pub(crate) fn reply_slot(&self) -> ReplySlot {
        ReplySlot {
            connection: self.connection.clone(),
            msg_id: self.msg_id,
        }
    }

    /// Answers with a reply frame that [`ReplySlot::encode`] made for this request.
    pub(crate) fn reply_frame(mut self, frame: ReplyFrame) -> Result<(), Error> {
        let connection = self.connection()?;
        let slot = self.slot.take();
        self.trace.answer(&connection, Answer::Result, || {
            connection.queue(frame.0, slot)
        })
    }

    /// Answers with an exception: the peer reads `kind: message` as the last line of the
    /// traceback (Python raises `RemoteException`).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("fail-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.fail("KeyError", "'spam'").unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// let err = channel.send("spam").await.unwrap_err();
    /// assert!(err.to_string().ends_with("KeyError: 'spam'"), "{err}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn fail(mut self, kind: &str, message: &str) -> Result<(), Error> {
        let connection = self.connection()?;
        let slot = self.slot.take();
        self.trace.answer(&connection, Answer::Exception, || {
            connection.fail(self.msg_id, kind, message, slot)
        })
    }

    /// Answers with an exception reply whose content is `failure` as it is, for peers that
    /// expect another shape than a traceback text (mosaik: `[type, message, *traceback]`).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("fail-with-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         let failure = vec![aiomas::Value::from("ValueError"), "bad step".into()];
    ///         request.fail_with(failure).unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// match channel.send("step").await {
    ///     Err(aiomas::Error::Remote(err)) => assert!(format!("{err:?}").contains("bad step"), "{err:?}"),
    ///     other => panic!("expected an exception reply, got {other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn fail_with(mut self, failure: impl Into<Value>) -> Result<(), Error> {
        let connection = self.connection()?;
        let slot = self.slot.take();
        self.trace.answer(&connection, Answer::Exception, || {
            connection.fail_with(self.msg_id, &failure.into(), slot)
        })
    }

    /// Consumes the request without any reply, for protocols where silence is the answer
    /// (mosaik's `stop`). Unlike dropping it, which answers with a `RuntimeError`, the peer
    /// gets nothing; the in-flight slot is freed.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("unanswered-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         request.leave_unanswered();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// let timeout = Some(std::time::Duration::from_millis(50));
    /// let err = channel.send_with_timeout("stop", timeout).await.unwrap_err();
    /// assert!(matches!(err, aiomas::Error::Timeout { .. }), "{err}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn leave_unanswered(mut self) {
        let slot = self.slot.take();
        if let Some(connection) = self.connection.upgrade() {
            let _ = self.trace.answer(&connection, Answer::Unanswered, || {
                drop(slot);
                Ok(())
            });
        }
    }

    /// The channel the request arrived on, if the connection is still alive.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let server = channel::start_server(Addr::local("request-channel-docs"), ChannelOptions::default(), |channel| async move {
    ///     while let Ok(request) = channel.recv().await {
    ///         let peer = request.channel().map(|c| c.peer().to_owned()).unwrap_or_default();
    ///         request.reply(peer).unwrap();
    ///     }
    /// })
    /// .await?;
    /// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
    /// assert!(channel.send("who?").await?.as_str().is_some_and(|peer| !peer.is_empty()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn channel(&self) -> Option<Channel> {
        self.connection.upgrade().map(|shared| Channel { shared })
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else { return };
        if let Some(connection) = self.connection.upgrade() {
            if connection.failure().is_none() {
                let sent = self.trace.answer(&connection, Answer::Dropped, || {
                    connection.fail(
                        self.msg_id,
                        "RuntimeError",
                        "the request was dropped without a reply",
                        Some(slot),
                    )
                });
                if let Err(err) = sent {
                    debug!("could not answer a dropped request: {err}");
                }
            }
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("id", &self.msg_id)
            .field("content", self.content())
            .finish()
    }
}

/// Where the reply to one request goes: the RPC layer encodes a typed result straight into
/// its frame with it, with no `Value` in between.
#[derive(Clone)]
pub(crate) struct ReplySlot {
    connection: Weak<Shared>,
    msg_id: u64,
}

impl ReplySlot {
    /// Encodes `result` into the reply frame (refusing one beyond the frame limit).
    pub(crate) fn encode<T: serde::Serialize + ?Sized>(
        &self,
        result: &T,
    ) -> Result<ReplyFrame, Error> {
        let connection = self
            .connection
            .upgrade()
            .ok_or_else(|| Error::from(ConnectionError::closed()))?;
        connection
            .frame(connection::RESULT, self.msg_id, result)
            .map(ReplyFrame)
    }
}

/// A reply frame from [`ReplySlot::encode`], ready to be written.
pub(crate) struct ReplyFrame(Vec<u8>);

/// Connects to `addr` and returns the channel.
///
/// A refused connection is retried as `options` say ([`Retry`]); with
/// [`ChannelOptions::tls`], the TLS handshake follows.
///
/// ```
/// # use aiomas::channel::{self, Addr, ChannelOptions};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::local("open-connection-docs"), ChannelOptions::default(), |channel| async move {
///     while let Ok(request) = channel.recv().await {
///         request.reply("pong").unwrap();
///     }
/// })
/// .await?;
/// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// assert_eq!(channel.send("ping").await?, "pong".into());
/// // Nobody listens there: refused (after the retries `ChannelOptions::retry` allows).
/// assert!(channel::open_connection(&Addr::local("nobody"), ChannelOptions::default()).await.is_err());
/// # Ok(())
/// # }
/// ```
pub async fn open_connection(addr: &Addr, options: ChannelOptions) -> Result<Channel, Error> {
    let stream = connect_stream(addr, &options).await?;
    Ok(Channel::start(stream, &options, None))
}

/// Like [`open_connection`], for layers that serve a root service on the connection.
pub(crate) async fn open_serving(
    addr: &Addr,
    options: &ChannelOptions,
    served_root: Option<u64>,
) -> Result<Channel, Error> {
    let stream = connect_stream(addr, options).await?;
    Ok(Channel::start(stream, options, served_root))
}

/// Starts a server on `addr` and calls `on_client` with a [`Channel`] for every connection,
/// each in its own task.
///
/// ```
/// # use aiomas::channel::{self, Addr, ChannelOptions};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // Every connection gets its own task running the callback with its channel.
/// let server = channel::start_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default(), |channel| async move {
///     while let Ok(request) = channel.recv().await {
///         let n = request.content().as_u64().unwrap_or(0);
///         request.reply(n * 2).unwrap();
///     }
/// })
/// .await?;
/// let a = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// let b = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// assert_eq!((a.send(2u64).await?, b.send(3u64).await?), (4u64.into(), 6u64.into()));
/// server.close().await;
/// # Ok(())
/// # }
/// ```
pub async fn start_server<F, Fut>(
    addr: Addr,
    options: ChannelOptions,
    on_client: F,
) -> Result<Server, Error>
where
    F: Fn(Channel) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Server::start(addr, options, None, on_client).await
}

/// Connects with retries, then runs the TLS handshake if `options` ask for TLS.
async fn connect_stream(addr: &Addr, options: &ChannelOptions) -> Result<Stream, Error> {
    options.codec.available()?;
    let tls = crate::tls::Connector::new(addr, options)?;
    let stream = connect_with_retry(addr, options.retry).await?;
    match tls {
        Some(tls) => tls.connect(stream, addr).await,
        None => Ok(stream),
    }
}

/// The first wait between connection attempts, then 1.5 times longer each time.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(500);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

pub(crate) async fn connect_with_retry(addr: &Addr, retry: Retry) -> Result<Stream, Error> {
    let started = Instant::now();
    let mut delay = FIRST_RETRY_DELAY;
    loop {
        let err = match transport::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(err) => ConnectionError::from_io(err),
        };
        let may_retry = err.kind() == ConnectionErrorKind::Refused;
        let out_of_time = match retry {
            Retry::Never => true,
            Retry::For(limit) => started.elapsed() >= limit,
            Retry::Forever => false,
        };
        if !may_retry || out_of_time {
            return Err(err.context(format!("cannot connect to {addr}")).into());
        }
        debug!("could not connect to {addr}, retrying in {delay:?}");
        let delay_now = match retry {
            Retry::For(limit) => delay.min(limit.saturating_sub(started.elapsed())),
            _ => delay,
        };
        tokio::time::sleep(delay_now).await;
        delay = delay.mul_f64(1.5).min(MAX_RETRY_DELAY);
    }
}
