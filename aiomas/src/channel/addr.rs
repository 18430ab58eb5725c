//! Where a channel connects to or listens on: TCP, a Unix domain socket, or a local queue.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::Error;

/// A transport address.
///
/// Parsed from `HOST:PORT` (IPv6 hosts in brackets, `[::1]:5555`), `tcp://HOST:PORT`,
/// a path containing `/` or `ipc://PATH` (a Unix domain socket), or `local://QUEUE`
/// (the in-process local queue).
///
/// ```
/// use aiomas::channel::Addr;
///
/// let addr: Addr = "[::1]:5555".parse().unwrap();
/// assert_eq!(addr, Addr::tcp("::1", 5555));
/// assert_eq!(addr.to_string(), "[::1]:5555");
/// assert_eq!("/tmp/agents.sock".parse::<Addr>().unwrap(), Addr::unix("/tmp/agents.sock"));
/// assert_eq!("local://tests".parse::<Addr>().unwrap(), Addr::local("tests"));
/// assert!("no-port".parse::<Addr>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Addr {
    /// A TCP socket. Port 0 binds a free port.
    Tcp {
        /// Host name or IP address (without brackets).
        host: String,
        /// Port number.
        port: u16,
    },
    /// A Unix domain socket at this path.
    Unix(PathBuf),
    /// The in-process local queue with this id (no `/` allowed).
    Local(String),
}

impl Addr {
    /// A TCP address.
    ///
    /// ```
    /// # use aiomas::channel::Addr;
    /// let addr = Addr::tcp("127.0.0.1", 5555);
    /// assert_eq!(addr.to_string(), "127.0.0.1:5555");
    /// assert_eq!(Addr::tcp("::1", 0).to_string(), "[::1]:0"); // port 0: any free port
    /// ```
    pub fn tcp(host: impl Into<String>, port: u16) -> Self {
        Addr::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A Unix domain socket address.
    ///
    /// ```
    /// # use aiomas::channel::Addr;
    /// let addr = Addr::unix("/tmp/agents.sock");
    /// assert_eq!(addr.to_string(), "/tmp/agents.sock");
    /// assert_eq!(addr.port(), None);
    /// ```
    pub fn unix(path: impl Into<PathBuf>) -> Self {
        Addr::Unix(path.into())
    }

    /// A local queue address.
    ///
    /// ```
    /// # use aiomas::channel::Addr;
    /// let addr = Addr::local("tests");
    /// assert_eq!("local://tests".parse::<Addr>().unwrap(), addr);
    /// ```
    pub fn local(queue_id: impl Into<String>) -> Self {
        Addr::Local(queue_id.into())
    }

    /// The TCP port, if this is a TCP address.
    ///
    /// ```
    /// # use aiomas::channel::Addr;
    /// assert_eq!(Addr::tcp("localhost", 5555).port(), Some(5555));
    /// assert_eq!(Addr::local("tests").port(), None);
    /// ```
    pub fn port(&self) -> Option<u16> {
        match self {
            Addr::Tcp { port, .. } => Some(*port),
            _ => None,
        }
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(path) => write!(f, "{}", path.display()),
            Addr::Local(queue) => write!(f, "local://{queue}"),
        }
    }
}

impl FromStr for Addr {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::Address(format!("cannot parse address {s:?}: {why}"));
        if let Some(queue) = s.strip_prefix("local://") {
            if queue.is_empty() || queue.contains('/') {
                return Err(bad("a local queue id must be non-empty and contain no '/'"));
            }
            return Ok(Addr::local(queue));
        }
        if let Some(path) = s.strip_prefix("ipc://") {
            return Ok(Addr::unix(path));
        }
        let s_tcp = s.strip_prefix("tcp://").unwrap_or(s);
        if s_tcp.len() == s.len() && s.contains('/') {
            return Ok(Addr::unix(s));
        }
        let (host, port) = s_tcp
            .rsplit_once(':')
            .ok_or_else(|| bad("expected HOST:PORT"))?;
        let port = port
            .parse()
            .map_err(|_| bad("the port must be a number from 0 to 65535"))?;
        let host = match host.strip_prefix('[') {
            Some(rest) => rest.strip_suffix(']').ok_or_else(|| bad("unclosed '['"))?,
            None if host.contains(':') => {
                return Err(bad("IPv6 hosts must be written in brackets"))
            }
            None => host,
        };
        Ok(Addr::tcp(host, port))
    }
}
