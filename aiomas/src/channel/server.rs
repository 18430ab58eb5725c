//! A listening socket that hands every accepted connection to a callback as a channel.

use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::connection::Shared;
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
/// let Addr::Tcp { port, .. } = server.addr() else { unreachable!() };
/// assert_ne!(*port, 0); // the free port it got
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
        let (mut listener, bound) = Listener::bind(&addr).await?;
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
