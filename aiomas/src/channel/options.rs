//! Settings of a channel: codec, extra serializers, frame limit, connect retries, TLS, and the
//! bounds that keep a connection's memory, tasks and waits finite under hostile load.

use std::time::Duration;

use std::any::Any;
use std::sync::Arc;

use crate::codec::{Codec, MessageCodec, Serializers, DECODED_BYTES_PER_BODY_BYTE};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// The default frame limit: 8 MiB, as tarpc (gRPC and tonic refuse above 4 MiB).
///
/// Python aiomas checks nothing; a co-simulation that ships larger arrays raises the limit with
/// [`ChannelOptions::max_frame_size`].
pub const DEFAULT_MAX_FRAME_SIZE: usize = 8 * 1024 * 1024;

/// The default cap on what one incoming frame may decode to: 256 MiB of values, that is
/// [`DECODED_BYTES_PER_BODY_BYTE`] (32) times [`DEFAULT_MAX_FRAME_SIZE`].
///
/// Bytes bound a frame; this bounds what its values cost in memory once decoded (a 34 KB blosc
/// frame may hold 8 MiB of MsgPack). Anchor: msgpack-python (>= 1.0) limits the element
/// count of an unpacked message by its buffer size (`max_array_len` = buffer size,
/// `max_map_len` = half of it); we bound the elements the same way, at one per input byte,
/// times the 32 bytes a decoded [`Value`](crate::Value) takes. That is the worst honest case
/// (a MsgPack array of 1-byte integers), so every well-formed frame within the frame limit
/// decodes, and nothing decodes to more. Like gRPC's (and tonic's) "max decoding message
/// size", it is a per-message cap a server can lower with
/// [`ChannelOptions::max_decoded_size`]; a frame over it is a protocol error that closes its
/// connection (the server keeps serving the others). Unless set, the cap follows the frame
/// limit: [`DECODED_BYTES_PER_BODY_BYTE`] times [`ChannelOptions::max_frame_size`].
pub const DEFAULT_MAX_DECODED_SIZE: usize = DECODED_BYTES_PER_BODY_BYTE * DEFAULT_MAX_FRAME_SIZE;

/// The default bound on a TLS handshake: 10 s.
///
/// A handshake takes a few round trips (milliseconds, or a second on a slow link); without a
/// bound, a peer that connects and never speaks would hold a server task and a socket forever,
/// and a TLS client facing a plain server that waits for a frame would hang. Python's asyncio
/// allows 60 s; 10 s fails such connections sooner while leaving ample room for real ones.
pub const DEFAULT_TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The default bound on the peer's requests in flight on one connection: 1,000, as tarpc's
/// `max_in_flight_requests`.
///
/// A request is in flight from the moment its frame is read until its reply has been written to
/// the socket. At the bound the connection stops reading, so TCP pushes back on the peer; no
/// request is dropped. Replies waiting for a slow reader are bounded by it too.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1_000;

/// The default bound on our own requests queued for sending on one connection: 1,000, as
/// tarpc's `max_in_flight_requests` (and our [`DEFAULT_MAX_IN_FLIGHT`]). A
/// [`Channel::send`](super::Channel::send) beyond it waits until the writer has caught up.
///
/// A request holds its slot from the moment it is encoded until its frame is in the socket.
/// tarpc's `pending_request_buffer` (100) counts less: only requests its dispatch task has not
/// yet moved into the transport's write buffer, which holds more besides. A bound below the
/// calls a connection may have in flight makes callers queue twice: the README demo (1,000
/// agents calling over one connection) ran 1.4x faster at 1,000 than at 100, where most calls
/// waited for a slot. Memory is not what this bounds: a waiting caller holds its encoded frame
/// either way.
pub const DEFAULT_OUTGOING_QUEUE: usize = 1_000;

/// The default deadline of a call: 60 s, as jsonrpsee's client `request_timeout`.
///
/// A call without a reply by then fails with [`Error::Timeout`](crate::Error::Timeout); the
/// connection stays usable and the late reply is dropped. Python aiomas waits forever; set
/// `None` with [`ChannelOptions::call_timeout`] to do the same.
pub const DEFAULT_CALL_TIMEOUT: Option<Duration> = Some(Duration::from_secs(60));

/// The default bound on a stalled frame: 60 s, as nginx's `client_body_timeout` (the time
/// allowed between two successive reads of a request body).
///
/// Once a frame has started, each further read must bring bytes within this time, or the
/// connection is closed and its buffer freed. An idle connection (between frames) is not cut by
/// it; see [`ChannelOptions::idle_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The default cap on a server's connections: 10,000 (the classic "C10k" figure).
///
/// jsonrpsee caps a public JSON-RPC server at 100; a container is contacted by every container
/// and simulator of its system, so ours is higher. The cap in force is never above the
/// process's descriptor limit less [`DESCRIPTOR_RESERVE`]. At the cap, a new connection
/// displaces the connection that has been idle longest with no call in flight; if every
/// connection is busy, the new one is refused.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// Descriptors kept free of a server's connections for everything else of the process (files,
/// outgoing connections, the runtime's own): 64, or an eighth of the limit if that is more.
pub const DESCRIPTOR_RESERVE: usize = 64;

/// The default listen backlog: 1,024, as tokio's `TcpSocket::listen` example (nginx and Node use
/// 511). Linux caps it at `net.core.somaxconn` (4,096 since Linux 5.4). Python's asyncio uses 100,
/// which is what made a 1,000-connection burst stall on SYN retries.
pub const DEFAULT_LISTEN_BACKLOG: u32 = 1_024;

/// TCP keepalive, as Go's `net` package does by default: the first probe after 15 s of silence,
/// then every 15 s, and the connection is dropped after 9 unanswered probes (so a half-open peer
/// is detected after about 2.5 min).
pub const TCP_KEEPALIVE_IDLE: Duration = Duration::from_secs(15);

/// How `open_connection` treats a refused connection, like Python's `timeout` argument.
///
/// Between attempts it waits 0.5 s, then 1.5 times longer each time, at most 30 s.
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions, Retry};
/// use aiomas::{ConnectionErrorKind, Error};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // Nobody serves this queue: with `Retry::Never` the one attempt fails at once.
/// let options = ChannelOptions::default().retry(Retry::Never);
/// match channel::open_connection(&Addr::local("retry-docs"), options).await {
///     Err(Error::Connection(err)) => assert_eq!(err.kind(), ConnectionErrorKind::Refused),
///     other => panic!("expected a refused connection, got {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retry {
    /// One attempt (Python's `timeout=0`, the default).
    #[default]
    Never,
    /// Keep trying for this long (Python's `timeout=seconds`).
    For(Duration),
    /// Keep trying until it works (Python's `timeout=None`).
    Forever,
}

/// Options for [`open_connection`](super::open_connection) and
/// [`start_server`](super::start_server).
///
/// ```
/// use aiomas::channel::{ChannelOptions, Retry};
/// use aiomas::codec::Codec;
/// use std::time::Duration;
///
/// let options = ChannelOptions::default()
///     .codec(Codec::MsgPack)
///     .max_frame_size(64 * 1024 * 1024)
///     .retry(Retry::For(Duration::from_secs(10)));
/// assert_eq!(options.get_codec(), Codec::MsgPack);
/// ```
#[derive(Debug, Clone)]
pub struct ChannelOptions {
    pub(crate) codec: Codec,
    /// A codec of the user's, used instead of `codec` (see [`ChannelOptions::custom_codec`]).
    pub(crate) custom_codec: Option<Arc<dyn MessageCodec>>,
    pub(crate) serializers: Serializers,
    pub(crate) max_frame_size: usize,
    pub(crate) max_decoded_size: Option<usize>,
    pub(crate) retry: Retry,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<TlsConfig>,
    #[cfg(feature = "tls")]
    pub(crate) tls_handshake_timeout: Duration,
    pub(crate) limits: Limits,
    /// The group whose sum counts the connections made with these options (a container's).
    pub(crate) stats: Option<std::sync::Arc<super::stats::StatsGroup>>,
}

/// The bounds of one connection (see the setters of [`ChannelOptions`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_in_flight: usize,
    pub(crate) outgoing_queue: usize,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) read_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) max_connections: usize,
    pub(crate) listen_backlog: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            outgoing_queue: DEFAULT_OUTGOING_QUEUE,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            idle_timeout: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            listen_backlog: DEFAULT_LISTEN_BACKLOG,
        }
    }
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions {
            codec: Codec::default(),
            custom_codec: None,
            serializers: Serializers::default(),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_decoded_size: None,
            retry: Retry::default(),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
            limits: Limits::default(),
            stats: None,
        }
    }
}

impl ChannelOptions {
    /// Sets the codec (JSON by default).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self.custom_codec = None;
        self
    }

    /// Sets a codec of your own (see [`MessageCodec`]); both sides must use the same. A
    /// built-in [`Codec`] given here is the same as [`codec`](Self::codec).
    ///
    /// ```
    /// use aiomas::channel::ChannelOptions;
    /// use aiomas::codec::Codec;
    ///
    /// let options = ChannelOptions::default().custom_codec(Codec::MsgPack);
    /// assert_eq!((options.get_codec(), options.get_codec_name()), (Codec::MsgPack, "msgpack"));
    /// ```
    pub fn custom_codec(self, codec: impl MessageCodec) -> Self {
        if let Some(builtin) = (&codec as &dyn Any).downcast_ref::<Codec>() {
            return self.codec(*builtin);
        }
        self.custom_codec_shared(Arc::new(codec))
    }

    /// [`custom_codec`](Self::custom_codec), shared.
    pub fn custom_codec_shared(mut self, codec: Arc<dyn MessageCodec>) -> Self {
        self.custom_codec = Some(codec);
        self
    }

    /// Sets the extra serializers (both sides must register the same, in the same order).
    pub fn serializers(mut self, serializers: Serializers) -> Self {
        self.serializers = serializers;
        self
    }

    /// Sets the largest frame body accepted or sent, in bytes.
    pub fn max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// Sets the most bytes of values one incoming frame may decode to (by default
    /// [`DECODED_BYTES_PER_BODY_BYTE`] times the frame limit, see
    /// [`DEFAULT_MAX_DECODED_SIZE`]).
    ///
    /// Each frame may also decode to at most [`DECODED_BYTES_PER_BODY_BYTE`] times its own
    /// (decompressed) size. Decoding stops as soon as a frame exceeds its budget; the frame is a
    /// protocol error and its connection is closed.
    ///
    /// ```
    /// use aiomas::channel::{ChannelOptions, DEFAULT_MAX_DECODED_SIZE};
    /// assert_eq!(ChannelOptions::default().get_max_decoded_size(), DEFAULT_MAX_DECODED_SIZE);
    /// let small = ChannelOptions::default().max_decoded_size(16 << 20);
    /// assert_eq!(small.get_max_decoded_size(), 16 << 20);
    /// ```
    pub fn max_decoded_size(mut self, bytes: usize) -> Self {
        self.max_decoded_size = Some(bytes);
        self
    }

    /// The decoded-size cap in use (see [`ChannelOptions::max_decoded_size`]).
    pub fn get_max_decoded_size(&self) -> usize {
        self.max_decoded_size.unwrap_or_else(|| {
            self.max_frame_size
                .saturating_mul(DECODED_BYTES_PER_BODY_BYTE)
        })
    }

    /// Sets how a refused connection is retried.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// Secures TCP connections with TLS (see [`crate::tls`]): a server uses the config's server
    /// side, a connecting side its client side. Python's `ssl=` argument.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets how long a TLS handshake may take, on either side
    /// ([`DEFAULT_TLS_HANDSHAKE_TIMEOUT`] by default). A server drops a client that has not
    /// completed its handshake by then; a client fails with a TLS connection error.
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.tls_handshake_timeout = timeout;
        self
    }

    /// Sets how many of the peer's requests may be in flight on one connection
    /// ([`DEFAULT_MAX_IN_FLIGHT`] by default, at least 1). At the bound the connection stops
    /// reading until a reply has been written.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.limits.max_in_flight = requests.max(1);
        self
    }

    /// Sets how many of our requests may wait to be written on one connection
    /// ([`DEFAULT_OUTGOING_QUEUE`] by default, at least 1); `send` waits beyond it.
    pub fn outgoing_queue(mut self, frames: usize) -> Self {
        self.limits.outgoing_queue = frames.max(1);
        self
    }

    /// Sets the default deadline of every call on the connection ([`DEFAULT_CALL_TIMEOUT`] by
    /// default; `None`: wait forever, as Python aiomas). Proxies may override it per call with
    /// [`Proxy::with_timeout`](crate::rpc::Proxy::with_timeout).
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.limits.call_timeout = timeout;
        self
    }

    /// Sets how long a started frame may stall between two reads ([`DEFAULT_READ_TIMEOUT`] by
    /// default) before the connection is closed.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.read_timeout = timeout;
        self
    }

    /// Closes a connection that has had no call in flight and no frame for `timeout`
    /// (`None`, the default: idle connections stay open, as in Python aiomas).
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// Sets the most connections a server keeps ([`DEFAULT_MAX_CONNECTIONS`] by default, at
    /// least 1); the process's descriptor limit less a reserve caps it further.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.limits.max_connections = connections.max(1);
        self
    }

    /// Sets the listen backlog of a TCP server ([`DEFAULT_LISTEN_BACKLOG`] by default).
    pub fn listen_backlog(mut self, backlog: u32) -> Self {
        self.limits.listen_backlog = backlog.max(1);
        self
    }

    /// The default deadline of calls (see [`call_timeout`](Self::call_timeout)).
    pub fn get_call_timeout(&self) -> Option<Duration> {
        self.limits.call_timeout
    }

    /// The built-in codec in use (what a [custom codec](Self::custom_codec) replaces).
    pub fn get_codec(&self) -> Codec {
        self.codec
    }

    /// The name of the codec in use, custom or built in.
    pub fn get_codec_name(&self) -> &str {
        match &self.custom_codec {
            Some(custom) => custom.name(),
            None => self.codec.name(),
        }
    }

    /// The extra serializers in use.
    pub fn get_serializers(&self) -> &Serializers {
        &self.serializers
    }

    /// The TLS config in use, if any.
    #[cfg(feature = "tls")]
    pub fn get_tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }
}
