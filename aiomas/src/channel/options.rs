//! Settings of a channel: codec, extra serializers, frame limit, connect retries, TLS.

use std::time::Duration;

use crate::codec::{Codec, Serializers};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// The default frame limit: 8 MiB, as tarpc (gRPC and tonic refuse above 4 MiB).
///
/// Python aiomas checks nothing; a co-simulation that ships larger arrays raises the limit with
/// [`ChannelOptions::max_frame_size`].
pub const DEFAULT_MAX_FRAME_SIZE: usize = 8 * 1024 * 1024;

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
