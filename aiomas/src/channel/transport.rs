//! Byte streams under a channel: connecting, listening, and the in-process local queue.

use std::collections::HashMap;
use std::io;
use std::sync::{Mutex, OnceLock};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, Interest, Ready};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

use super::addr::Addr;
use super::options::TCP_KEEPALIVE_IDLE;

/// Unanswered keepalive probes after which a TCP peer counts as gone (Go's default).
const TCP_KEEPALIVE_PROBES: u32 = 9;

/// The read half of a connection.
pub(crate) type ReadHalf = Box<dyn ReadStream>;

/// A read half that can tell, without reading, whether the peer has hung up: a connection that
/// stopped reading at its in-flight bound must still notice it and end the peer's calls.
pub(crate) trait ReadStream: AsyncRead + Send + Unpin {
    /// Whether the peer closed or reset the connection (`false` if the transport cannot tell).
    fn peer_gone(&self) -> bool {
        false
    }
}

impl ReadStream for tokio::net::tcp::OwnedReadHalf {
    fn peer_gone(&self) -> bool {
        read_closed(self.ready(Interest::READABLE))
    }
}

#[cfg(unix)]
impl ReadStream for tokio::net::unix::OwnedReadHalf {
    fn peer_gone(&self) -> bool {
        read_closed(self.ready(Interest::READABLE))
    }
}

/// Local queues and TLS streams cannot tell.
impl<T: AsyncRead + Send> ReadStream for tokio::io::ReadHalf<T> {}

/// Polls a readiness future once: has the socket seen the peer's FIN or a reset? Readiness is
/// only looked at, never cleared, so the reader that owns the socket loses nothing.
fn read_closed(ready: impl std::future::Future<Output = io::Result<Ready>>) -> bool {
    let mut ready = std::pin::pin!(ready);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match ready.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Ok(ready)) => ready.is_read_closed(),
        std::task::Poll::Ready(Err(_)) => true,
        std::task::Poll::Pending => false,
    }
}
/// The write half of a connection.
pub(crate) type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// An established byte stream, split, with a printable name of the peer.
pub(crate) struct Stream {
    pub(crate) reader: ReadHalf,
    pub(crate) writer: WriteHalf,
    pub(crate) peer: String,
}

impl Stream {
    fn tcp(stream: TcpStream) -> io::Result<Stream> {
        // Requests are small and latency-bound; Nagle's algorithm would add up to 40 ms each.
        stream.set_nodelay(true)?;
        // Detects half-open peers (a crashed host, a dropped NAT entry), which never send a FIN.
        let keepalive = socket2::TcpKeepalive::new()
            .with_time(TCP_KEEPALIVE_IDLE)
            .with_interval(TCP_KEEPALIVE_IDLE)
            .with_retries(TCP_KEEPALIVE_PROBES);
        socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
        let peer = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let (reader, writer) = stream.into_split();
        Ok(Stream {
            reader: Box::new(reader),
            writer: Box::new(writer),
            peer,
        })
    }

    #[cfg(unix)]
    fn unix(stream: UnixStream, peer: String) -> Stream {
        let (reader, writer) = stream.into_split();
        Stream {
            reader: Box::new(reader),
            writer: Box::new(writer),
            peer,
        }
    }

    fn local(stream: DuplexStream, queue: &str) -> Stream {
        let (reader, writer) = tokio::io::split(stream);
        Stream {
            reader: Box::new(reader),
            writer: Box::new(writer),
            peer: format!("LocalQueue('{queue}')"),
        }
    }
}

/// Makes one connection attempt to `addr`.
///
/// A missing server is `ConnectionRefused` for every transport (Python raises
/// `FileNotFoundError` for Unix sockets; both mean "nobody listens").
pub(crate) async fn connect(addr: &Addr) -> io::Result<Stream> {
    match addr {
        Addr::Tcp { host, port } => Stream::tcp(TcpStream::connect((host.as_str(), *port)).await?),
        #[cfg(not(unix))]
        Addr::Unix(path) => Err(no_unix_sockets(path)),
        #[cfg(unix)]
        Addr::Unix(path) => match UnixStream::connect(path).await {
            Ok(stream) => Ok(Stream::unix(stream, path.display().to_string())),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("no Unix socket at {}", path.display()),
            )),
            Err(err) => Err(err),
        },
        Addr::Local(queue) => {
            let server = local_queues()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(queue)
                .cloned();
            let refused = || {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    format!("No server started for the local queue {queue:?}"),
                )
            };
            let server = server.ok_or_else(refused)?;
            let (client, served) = tokio::io::duplex(LOCAL_BUFFER);
            server.send(served).map_err(|_| refused())?;
            Ok(Stream::local(client, queue))
        }
    }
}

/// Bytes buffered per direction of a local-queue connection.
const LOCAL_BUFFER: usize = 256 * 1024;

type LocalAcceptor = mpsc::UnboundedSender<DuplexStream>;

fn local_queues() -> &'static Mutex<HashMap<String, LocalAcceptor>> {
    static QUEUES: OnceLock<Mutex<HashMap<String, LocalAcceptor>>> = OnceLock::new();
    QUEUES.get_or_init(Default::default)
}

/// A bound server socket.
pub(crate) enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, std::path::PathBuf),
    Local(mpsc::UnboundedReceiver<DuplexStream>, String),
}

impl Listener {
    /// Binds `addr` (a TCP socket with a listen queue of `backlog`); returns the listener and
    /// the address it really got (port 0 resolved).
    pub(crate) async fn bind(addr: &Addr, backlog: u32) -> io::Result<(Listener, Addr)> {
        match addr {
            Addr::Tcp { host, port } => {
                let listener = bind_tcp(host, *port, backlog).await?;
                let bound = Addr::tcp(host.clone(), listener.local_addr()?.port());
                Ok((Listener::Tcp(listener), bound))
            }
            #[cfg(not(unix))]
            Addr::Unix(path) => Err(no_unix_sockets(path)),
            #[cfg(unix)]
            Addr::Unix(path) => {
                remove_stale_socket(path)?;
                let listener = UnixListener::bind(path)?;
                Ok((Listener::Unix(listener, path.clone()), addr.clone()))
            }
            Addr::Local(queue) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let mut queues = local_queues().lock().unwrap_or_else(|p| p.into_inner());
                if queues.get(queue).is_some_and(|live| !live.is_closed()) {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!("a server is already bound to the local queue {queue:?}"),
                    ));
                }
                queues.insert(queue.clone(), tx);
                Ok((Listener::Local(rx, queue.clone()), addr.clone()))
            }
        }
    }

    /// Waits for the next connection; `None` once a local queue is gone.
    pub(crate) async fn accept(&mut self) -> Option<io::Result<Stream>> {
        match self {
            Listener::Tcp(listener) => {
                Some(listener.accept().await.and_then(|(s, _)| Stream::tcp(s)))
            }
            #[cfg(unix)]
            Listener::Unix(listener, path) => Some(
                listener
                    .accept()
                    .await
                    .map(|(s, _)| Stream::unix(s, path.display().to_string())),
            ),
            Listener::Local(rx, queue) => rx.recv().await.map(|s| Ok(Stream::local(s, queue))),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        match self {
            Listener::Tcp(_) => {}
            #[cfg(unix)]
            Listener::Unix(_, path) => {
                let _ = std::fs::remove_file(path);
            }
            Listener::Local(rx, queue) => {
                rx.close();
                let mut queues = local_queues().lock().unwrap_or_else(|p| p.into_inner());
                if queues.get(queue).is_some_and(|tx| tx.is_closed()) {
                    queues.remove(queue);
                }
            }
        }
    }
}

/// Binds the first address `host` resolves to that accepts a listener, as `TcpListener::bind`
/// does, with a listen queue of `backlog` instead of the standard library's fixed one.
async fn bind_tcp(host: &str, port: u16, backlog: u32) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host((host, port)).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        // As the standard library does: a restarted server can rebind at once.
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{host:?} resolves to no address"),
        )
    }))
}

/// A socket file left behind by a dead server would make `bind` fail; replace it, as asyncio does.
#[cfg(unix)]
fn remove_stale_socket(path: &std::path::Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path),
        _ => Ok(()),
    }
}

/// Unix domain sockets (`Addr::Unix`, `ipc://` agent URLs) exist on Unix only, as in Python's
/// asyncio; elsewhere connecting or binding one fails with this error.
#[cfg(not(unix))]
fn no_unix_sockets(path: &std::path::Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "Unix domain sockets are not available on this platform (address {}); use a TCP \
             or local:// address",
            path.display()
        ),
    )
}
