//! Settings of a channel: codec, extra serializers, frame limit, connect retries, TLS.

use std::time::Duration;

use crate::codec::{Codec, Serializers, DECODED_BYTES_PER_BODY_BYTE};
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
    pub(crate) serializers: Serializers,
    pub(crate) max_frame_size: usize,
    pub(crate) max_decoded_size: Option<usize>,
    pub(crate) retry: Retry,
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<TlsConfig>,
    #[cfg(feature = "tls")]
    pub(crate) tls_handshake_timeout: Duration,
}

impl Default for ChannelOptions {
    fn default() -> Self {
        ChannelOptions {
            codec: Codec::default(),
            serializers: Serializers::default(),
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_decoded_size: None,
            retry: Retry::default(),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: DEFAULT_TLS_HANDSHAKE_TIMEOUT,
        }
    }
}

impl ChannelOptions {
    /// Sets the codec (JSON by default).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
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

    /// The codec in use.
    pub fn get_codec(&self) -> Codec {
        self.codec
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
