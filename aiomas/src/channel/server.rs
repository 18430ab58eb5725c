//! A listening socket that hands every accepted connection to a callback as a channel.

use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, warn};

use super::connection::Shared;
use super::transport::Listener;
use super::{Addr, Channel, ChannelOptions};
use crate::Error;

/// How long [`Server::close`] waits for connection handlers to finish before aborting them.
const HANDLER_GRACE: Duration = Duration::from_secs(5);

/// A running server, from [`start_server`](super::start_server).
///
/// Dropping it stops accepting connections; [`close`](Self::close) also closes the
/// connections it accepted and waits for their handlers.
pub struct Server {
    addr: Addr,
    accept_task: JoinHandle<()>,
    connections: Arc<Mutex<Vec<Weak<Shared>>>>,
    handlers: Arc<Mutex<JoinSet<()>>>,
}

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
        let (mut listener, bound) = Listener::bind(&addr).await?;
        let connections: Arc<Mutex<Vec<Weak<Shared>>>> = Arc::default();
        let handlers: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let accept_task = tokio::spawn({
            let connections = connections.clone();
            let handlers = handlers.clone();
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
            accept_task,
            connections,
            handlers,
        })
    }

    /// The address the server listens on, with the real port if it was bound to port 0.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// Stops accepting, closes every accepted connection and waits for the handlers to end
    /// (aborting those still running after a grace period).
    pub async fn close(&self) {
        self.accept_task.abort();
        let live: Vec<_> =
            std::mem::take(&mut *self.connections.lock().unwrap_or_else(|p| p.into_inner()));
        for connection in live.iter().filter_map(Weak::upgrade) {
            connection.close().await;
        }
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
        self.accept_task.abort();
    }
}
