//! The one error type of the crate.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Everything that can go wrong in aiomas: on the wire, in a codec, or on the remote side.
///
/// `Error` is `Clone` so one connection failure can be handed to every request that was
/// waiting on that connection.
///
/// ```
/// use aiomas::Error;
/// let err = Error::Remote(aiomas::RemoteError::new("127.0.0.1:5555", "ValueError: boom\n"));
/// assert!(err.to_string().contains("ValueError: boom"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer handled the request and answered with an exception.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The connection could not be made, or it was closed or reset.
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    /// The peer broke the protocol (bad frame, unknown message type, unknown reply id, ...).
    /// The connection is closed after such an error.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// A value could not be encoded for the wire.
    #[error("serialization error: {0}")]
    Serialization(String),
    /// Data from the wire could not be decoded into the requested type.
    #[error("deserialization error: {0}")]
    Deserialization(String),
    /// An encoded message is larger than the frame limit of the connection.
    #[error("message of {size} bytes exceeds the frame limit of {limit} bytes")]
    FrameTooLarge {
        /// Size of the offending message in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// An address or agent URL could not be parsed.
    #[error("invalid address: {0}")]
    Address(String),
    /// A value was outside of what an operation accepts (Python raises `ValueError` here).
    #[error("{0}")]
    Value(String),
    /// An I/O error outside of an established connection (binding a socket, reading a file).
    #[error("I/O error: {0}")]
    Io(#[source] Arc<io::Error>),
    /// A call got no reply within its deadline. The connection stays usable; a reply that comes
    /// later is dropped.
    #[error("no reply from {peer} within {after:?}")]
    Timeout {
        /// The peer that did not answer.
        peer: String,
        /// The deadline that ran out.
        after: std::time::Duration,
    },
}

impl From<io::Error> for Error {
    fn from(err: io::Error) -> Self {
        Error::Io(Arc::new(err))
    }
}

impl Error {
    /// The message without the category prefix of `Display`, for `Kind: message` lines.
    ///
    /// ```
    /// let err = aiomas::Error::Serialization("No serializer found for type \"bytes\"".into());
    /// assert_eq!(err.message(), "No serializer found for type \"bytes\"");
    /// ```
    pub fn message(&self) -> String {
        match self {
            Error::Protocol(m)
            | Error::Serialization(m)
            | Error::Deserialization(m)
            | Error::Address(m)
            | Error::Value(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// The `Kind` part of the `Kind: message` line used for exception replies.
    ///
    /// Kinds follow Python's exception names so Python peers read them naturally.
    pub fn python_kind(&self) -> &str {
        match self {
            Error::Remote(remote) => remote.kind().unwrap_or("RemoteException"),
            Error::Connection(_) => "ConnectionError",
            Error::Protocol(_) => "RuntimeError",
            Error::Serialization(_) => "SerializationError",
            Error::Deserialization(_) => "TypeError",
            Error::FrameTooLarge { .. } | Error::Value(_) | Error::Address(_) => "ValueError",
            Error::Io(_) => "OSError",
            Error::Timeout { .. } => "TimeoutError",
        }
    }
}

/// An exception raised on the other side of a channel.
///
/// Python sends the formatted traceback; its last line reads `ExceptionType: message`.
/// [`kind`](Self::kind) and [`message`](Self::message) pick that line apart.
///
/// ```
/// let err = aiomas::RemoteError::new("peer", "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n");
/// assert_eq!(err.kind(), Some("KeyError"));
/// assert_eq!(err.message(), "'x'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteError {
    origin: String,
    traceback: String,
}

impl RemoteError {
    /// Wraps the `traceback` text received from `origin` (the peer's address).
    pub fn new(origin: impl Into<String>, traceback: impl Into<String>) -> Self {
        RemoteError {
            origin: origin.into(),
            traceback: traceback.into(),
        }
    }

    /// Wraps the content of an exception reply: a traceback text (Python aiomas), or a list
    /// `[type, message, *traceback lines]` (mosaik), read as the lines followed by
    /// `type: message`. Any other content is kept as its text.
    ///
    /// ```
    /// use aiomas::{RemoteError, Value};
    /// let content = Value::from(vec!["KeyError".into(), "'x'".into(), Value::from("Traceback ...\n")]);
    /// let err = RemoteError::from_failure("mosaik", content);
    /// assert_eq!((err.kind(), err.message()), (Some("KeyError"), "'x'"));
    /// ```
    pub fn from_failure(origin: impl Into<String>, content: crate::Value) -> Self {
        use crate::Value;
        let text = match content {
            Value::Str(text) => text,
            Value::List(items)
                if items.len() >= 2 && items.iter().all(|i| i.as_str().is_some()) =>
            {
                let lines: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                let mut text: String = lines[2..].concat();
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&format!("{}: {}\n", lines[0], lines[1]));
                text
            }
            other => other.to_string(),
        };
        RemoteError::new(origin, text)
    }

    /// The error a caller gets when `origin` answers with an exception of `kind` (the same
    /// text an exception reply of ours carries on the wire).
    pub(crate) fn from_exception(origin: &str, kind: &str, message: &str) -> Self {
        RemoteError::new(origin, exception_report(kind, message))
    }

    /// The peer that raised the exception.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The full text the peer sent (a Python traceback, or our `Kind: message` report).
    pub fn traceback(&self) -> &str {
        &self.traceback
    }

    fn last_line(&self) -> &str {
        self.traceback
            .trim_end()
            .rsplit('\n')
            .next()
            .unwrap_or_default()
    }

    /// The exception type named on the last line, if the line has the `Kind: message` shape.
    pub fn kind(&self) -> Option<&str> {
        let line = self.last_line();
        let (kind, _) = line.split_once(':').unwrap_or((line, ""));
        let looks_like_type = !kind.is_empty()
            && kind
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        looks_like_type.then_some(kind)
    }

    /// The message on the last line (everything after `Kind: `).
    pub fn message(&self) -> &str {
        let line = self.last_line();
        match self.kind() {
            Some(kind) => line[kind.len()..].trim_start_matches(':').trim_start(),
            None => line,
        }
    }
}

/// The traceback text of an exception reply of ours: its last line is `kind: message`, as
/// Python tracebacks end.
pub(crate) fn exception_report(kind: &str, message: &str) -> String {
    format!("Traceback (most recent call last):\n  (remote Rust code)\n{kind}: {message}\n")
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin: {}\n{}", self.origin, self.traceback.trim_end())
    }
}

impl std::error::Error for RemoteError {}

/// What went wrong with a connection.
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions};
/// use aiomas::{ConnectionErrorKind, Error};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::local("kind-docs"), ChannelOptions::default(), |channel| async move {
///     // Takes one request, then hangs up without answering it.
///     if let Ok(request) = channel.recv().await {
///         request.leave_unanswered();
///     }
///     channel.close().await;
/// })
/// .await?;
/// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// match channel.send("hello?").await {
///     Err(Error::Connection(err)) => assert_eq!(err.kind(), ConnectionErrorKind::Closed),
///     other => panic!("expected a closed connection, got {other:?}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionErrorKind {
    /// Nobody listens at the address (TCP refused, no Unix socket file, no local queue server).
    Refused,
    /// The connection attempt ran out of time.
    TimedOut,
    /// The connection was closed, by us or by the peer.
    Closed,
    /// The connection broke (reset, I/O error, or a protocol error on it).
    Reset,
    /// The TLS handshake failed or the peer's certificate was refused.
    Tls,
    /// The peer exists but the requested agent does not.
    NoSuchAgent,
}

/// A connection that could not be made or that went away.
///
/// The message says what happened (the peer closed the connection while calls were pending, it
/// was reset, the peer speaks TLS, ...); the I/O error behind it, if any, is its
/// [`source`](std::error::Error::source).
///
/// ```
/// use aiomas::{ConnectionError, ConnectionErrorKind};
/// let err = ConnectionError::new(ConnectionErrorKind::Closed, "Connection closed");
/// assert_eq!(err.kind(), ConnectionErrorKind::Closed);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ConnectionError {
    kind: ConnectionErrorKind,
    message: String,
    #[source]
    source: Option<Arc<io::Error>>,
}

impl PartialEq for ConnectionError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl Eq for ConnectionError {}

impl ConnectionError {
    /// Creates an error of `kind` with a human-readable `message`.
    pub fn new(kind: ConnectionErrorKind, message: impl Into<String>) -> Self {
        ConnectionError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error with `message` in front of its own, keeping kind and source.
    pub(crate) fn context(self, message: impl fmt::Display) -> Self {
        ConnectionError {
            message: format!("{message}: {}", self.message),
            ..self
        }
    }

    /// The category of the failure.
    pub fn kind(&self) -> ConnectionErrorKind {
        self.kind
    }

    pub(crate) fn closed() -> Self {
        ConnectionError::new(ConnectionErrorKind::Closed, "Connection closed")
    }

    pub(crate) fn closed_by_peer() -> Self {
        ConnectionError::new(ConnectionErrorKind::Closed, "connection closed by the peer")
    }

    /// The same error with `note` appended in parentheses, keeping kind and source.
    pub(crate) fn note(self, note: impl fmt::Display) -> Self {
        ConnectionError {
            message: format!("{} ({note})", self.message),
            ..self
        }
    }

    /// The same error, saying that `calls` of ours were still waiting for replies.
    pub(crate) fn while_pending(self, calls: usize) -> Self {
        let calls = match calls {
            1 => "1 call was".to_owned(),
            n => format!("{n} calls were"),
        };
        ConnectionError {
            message: format!("{} while {calls} pending", self.message),
            ..self
        }
    }

    /// Says what happened to a connection, keeping `err` as the source.
    pub(crate) fn from_io(err: io::Error) -> Self {
        use io::ErrorKind as K;
        if let Some(tls) = crate::tls::connection_error(&err) {
            return ConnectionError {
                source: Some(Arc::new(err)),
                ..tls
            };
        }
        let (kind, what) = match err.kind() {
            K::ConnectionRefused | K::NotFound => (ConnectionErrorKind::Refused, "refused"),
            K::TimedOut => (ConnectionErrorKind::TimedOut, "timed out"),
            K::UnexpectedEof => (ConnectionErrorKind::Closed, "closed by the peer"),
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
                (ConnectionErrorKind::Reset, "reset by the peer")
            }
            _ => (ConnectionErrorKind::Reset, "broken"),
        };
        ConnectionError {
            kind,
            message: format!("connection {what} ({err})"),
            source: Some(Arc::new(err)),
        }
    }
}

/// Shorthand for results in this crate.
///
/// ```
/// fn port(text: &str) -> aiomas::Result<u16> {
///     text.parse().map_err(|_| aiomas::Error::Value(format!("not a port: {text:?}")))
/// }
/// assert_eq!(port("5555").unwrap(), 5555);
/// assert_eq!(port("x").unwrap_err().to_string(), "not a port: \"x\"");
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
