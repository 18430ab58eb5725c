//! A listening socket that hands every accepted connection to a callback as a channel.

use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::shutdown::CancellationToken;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, warn};

use super::connection::Shared;
use super::options::DESCRIPTOR_RESERVE;
use super::transport::{Listener, Stream};
use super::{Addr, Channel, ChannelOptions};
use crate::tls::Acceptor;
use crate::Error;

/// How long [`Server::close`] waits for connection handlers to finish before aborting them.
const HANDLER_GRACE: Duration = Duration::from_secs(5);

/// A running server, from [`start_server`](super::start_server).
///
/// Dropping it stops accepting connections; [`close`](Self::close) also closes the
/// connections it accepted and waits for their handlers.
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default(), |_channel| async {}).await?;
/// let port = server.addr().port().expect("a TCP server");
/// assert_ne!(port, 0); // the free port it got
/// assert!(channel::open_connection(server.addr(), ChannelOptions::default()).await.is_ok());
/// server.close().await;
/// assert!(channel::open_connection(server.addr(), ChannelOptions::default()).await.is_err());
/// # Ok(())
/// # }
/// ```
pub struct Server {
    addr: Addr,
    /// Owns the listener: the socket is released once this task has ended.
    accept_task: Mutex<Option<JoinHandle<()>>>,
    connections: Arc<Mutex<Vec<Weak<Shared>>>>,
    handlers: Arc<Mutex<JoinSet<()>>>,
    /// Cancelled by `close`: TLS handshakes in progress are dropped.
    closed: CancellationToken,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("closed", &self.closed.is_cancelled())
            .finish_non_exhaustive()
    }
}

type Connections = Arc<Mutex<Vec<Weak<Shared>>>>;

impl Server {
    pub(crate) async fn start<F, Fut>(
        addr: Addr,
        options: ChannelOptions,
        served_root: Option<u64>,
        on_client: F,
    ) -> Result<Server, Error>
    where
        F: Fn(Channel) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        options.codec.available()?;
        let acceptor = Acceptor::new(&addr, &options)?;
        let (mut listener, bound) = Listener::bind(&addr, options.limits.listen_backlog).await?;
        let cap = connection_cap(options.limits.max_connections, open_file_limit());
        let connections: Arc<Mutex<Vec<Weak<Shared>>>> = Arc::default();
        let handlers: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let closed = CancellationToken::new();
        let on_client = Arc::new(on_client);
        let accept_task = tokio::spawn({
            let connections = connections.clone();
            let handlers = handlers.clone();
            let closed = closed.clone();
            async move {
                while let Some(accepted) = listener.accept().await {
                    let stream = match accepted {
                        Ok(stream) => stream,
                        Err(err) => {
                            // Running out of file descriptors must not kill the server.
                            warn!("accept failed: {err}");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    debug!(peer = %stream.peer, "accepted connection");
                    if !make_room(&connections, cap) {
                        warn!(peer = %stream.peer, "refusing a connection: all {cap} connections are busy");
                        continue;
                    }
                    if let Some(acceptor) = &acceptor {
                        // The handshake runs in the connection's own task: a client that
                        // never speaks must not hold up accepting the others.
                        let task = serve_tls(
                            acceptor.clone(),
                            stream,
                            (options.clone(), served_root),
                            (connections.clone(), closed.clone()),
                            on_client.clone(),
                        );
                        let mut handlers = handlers.lock().unwrap_or_else(|p| p.into_inner());
                        while handlers.try_join_next().is_some() {}
                        handlers.spawn(task);
                        continue;
                    }
                    let channel = Channel::start(stream, &options, served_root);
                    {
                        let mut live = connections.lock().unwrap_or_else(|p| p.into_inner());
                        live.retain(|c| c.strong_count() > 0);
                        live.push(Arc::downgrade(&channel.shared));
                    }
                    let mut handlers = handlers.lock().unwrap_or_else(|p| p.into_inner());
                    while handlers.try_join_next().is_some() {}
                    handlers.spawn(on_client(channel));
                }
            }
        });
        Ok(Server {
            addr: bound,
            accept_task: Mutex::new(Some(accept_task)),
            connections,
            handlers,
            closed,
        })
    }

    /// The address the server listens on, with the real port if it was bound to port 0.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// Stops accepting, closes every accepted connection and waits for the handlers to end
    /// (aborting those still running after a grace period).
    pub async fn close(&self) {
        let accept_task = self
            .accept_task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(task) = accept_task {
            task.abort();
            // Wait until the listener is dropped, so the port or socket file is free on return.
            let _ = task.await;
        }
        self.closed.cancel();
        let live: Vec<_> =
            std::mem::take(&mut *self.connections.lock().unwrap_or_else(|p| p.into_inner()));
        // Concurrently: one peer that stopped reading must not delay closing the others.
        let mut closing = JoinSet::new();
        for connection in live.iter().filter_map(Weak::upgrade) {
            closing.spawn(async move { connection.close().await });
        }
        while closing.join_next().await.is_some() {}
        let mut handlers =
            std::mem::take(&mut *self.handlers.lock().unwrap_or_else(|p| p.into_inner()));
        let drained = tokio::time::timeout(HANDLER_GRACE, async {
            while handlers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            warn!(
                "aborting {} connection handlers that did not finish",
                handlers.len()
            );
            handlers.shutdown().await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self
            .accept_task
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
        {
            task.abort();
        }
        // Dropping a JoinSet aborts its tasks; accepted connections live on until they close.
        self.handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .detach_all();
    }
}

/// The most connections a server keeps: `configured`, but never more than the descriptor limit
/// allows with [`DESCRIPTOR_RESERVE`] (or an eighth of the limit, if more) kept free.
fn connection_cap(configured: usize, open_file_limit: Option<usize>) -> usize {
    match open_file_limit {
        Some(limit) => {
            let reserve = DESCRIPTOR_RESERVE.max(limit / 8);
            configured.min(limit.saturating_sub(reserve)).max(1)
        }
        None => configured,
    }
}

/// The process's soft limit on open file descriptors (Linux: from `/proc/self/limits`).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Makes room for one more connection under `cap`: at the cap, the connection that has been
/// idle longest with no call in flight is displaced. `false` if every connection is busy.
fn make_room(connections: &Connections, cap: usize) -> bool {
    let mut live = connections.lock().unwrap_or_else(|p| p.into_inner());
    live.retain(|c| c.upgrade().is_some_and(|c| c.failure().is_none()));
    if live.len() < cap {
        return true;
    }
    let idlest = live
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.upgrade().map(|c| (i, c)))
        .filter(|(_, c)| c.is_idle())
        .min_by_key(|(_, c)| c.last_active());
    let Some((index, connection)) = idlest else {
        return false;
    };
    debug!(peer = %connection.peer, "displacing the longest-idle connection to make room");
    connection.displace(&format!(
        "connection closed by the server: it is at its cap of {cap} connections and this one was idle longest"
    ));
    live.swap_remove(index);
    true
}

/// Runs the TLS handshake of an accepted connection (bounded by the handshake timeout), then
/// serves it like a plain one. A failed handshake is logged and the connection dropped.
async fn serve_tls<F, Fut>(
    acceptor: Acceptor,
    stream: Stream,
    (options, served_root): (ChannelOptions, Option<u64>),
    (connections, closed): (Connections, CancellationToken),
    on_client: Arc<F>,
) where
    F: Fn(Channel) -> Fut,
    Fut: Future<Output = ()>,
{
    let peer = stream.peer.clone();
    let accepted = tokio::select! {
        accepted = acceptor.accept(stream) => accepted,
        () = closed.cancelled() => return,
    };
    let stream = match accepted {
        Ok(stream) => stream,
        Err(why) => {
            warn!(%peer, "TLS handshake failed, dropping the connection: {why}");
            return;
        }
    };
    let channel = {
        let mut live = connections.lock().unwrap_or_else(|p| p.into_inner());
        if closed.is_cancelled() {
            return;
        }
        let channel = Channel::start(stream, &options, served_root);
        live.retain(|c| c.strong_count() > 0);
        live.push(Arc::downgrade(&channel.shared));
        channel
    };
    on_client(channel).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_keeps_descriptors_in_reserve() {
        assert_eq!(connection_cap(10_000, Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(10_000, Some(256)), 256 - 64);
        assert_eq!(connection_cap(100, Some(20_000)), 100);
        assert_eq!(connection_cap(100, Some(10)), 1);
        assert_eq!(connection_cap(100, None), 100);
    }

    #[test]
    fn the_descriptor_limit_is_read() {
        let limit = open_file_limit().expect("/proc/self/limits names the descriptor limit");
        assert!(limit >= 16, "{limit}");
    }
}
