//! Connecting to agents in other containers: one shared connection per container, and the
//! `validate_aid` check of the agent id (Python's `Container.connect`).

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::url::{parse_agent_url, python_repr};
use super::Container;
use crate::channel::{Addr, Retry};
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::rpc::{self, FromProxy, Proxy, RpcClient};
use crate::{Error, Value};

impl Container {
    /// Connects to the agent at `url` and returns a dynamic proxy to it.
    ///
    /// One connection per remote container is shared by all its agents (concurrent connects
    /// share one attempt; a failed attempt leaves nothing behind); `retry` says how long to
    /// retry a refused connection. The remote container's `validate_aid` answer is awaited
    /// for at most [`ContainerOptions::validate_timeout`](super::ContainerOptions::validate_timeout).
    /// An error after [`shutdown`](Self::shutdown).
    pub async fn connect(&self, url: &str, retry: Retry) -> Result<Proxy, Error> {
        self.ensure_running()?;
        let (addr, aid) = parse_agent_url(url)?;
        let client = self.connection(&addr, retry).await?;
        let class_name = self.validate(&client, &addr, &aid).await?;
        let label = format!("{class_name}Proxy('{url}')");
        Ok(client
            .remote()
            .child("agents")
            .child(&aid)
            .with_label(label))
    }

    /// Like [`connect`](Self::connect), returning a typed proxy (`CalleeProxy`).
    pub async fn connect_as<P: FromProxy>(&self, url: &str, retry: Retry) -> Result<P, Error> {
        self.connect(url, retry).await.map(P::from_proxy)
    }

    async fn connection(&self, addr: &Addr, retry: Retry) -> Result<RpcClient, Error> {
        let (cell, broken) = {
            let mut outgoing = self
                .inner
                .outgoing
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let cell = outgoing.entry(addr.clone()).or_default();
            // A connection that broke is replaced by a fresh attempt.
            let broken = cell
                .get()
                .filter(|client| client.channel().is_closed())
                .map(|client| client.channel().id());
            if broken.is_some() {
                *cell = Arc::default();
            }
            (cell.clone(), broken)
        };
        if let Some(broken) = broken {
            // Its agents are validated again on the new connection.
            self.inner
                .validated
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(connection, _), _| *connection != broken);
        }
        let options = self.inner.options.clone().retry(retry);
        let root = self.inner.root.clone();
        match cell
            .get_or_try_init(|| rpc::open_connection_with_root(addr, root, options))
            .await
        {
            Ok(client) => Ok(client.clone()),
            Err(err) => {
                self.forget_attempt(addr, &cell);
                Err(err)
            }
        }
    }

    /// Drops the entry of a failed connection attempt (unless a newer attempt replaced it).
    fn forget_attempt(&self, addr: &Addr, cell: &Arc<OnceCell<RpcClient>>) {
        let mut outgoing = self
            .inner
            .outgoing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if outgoing
            .get(addr)
            .is_some_and(|current| Arc::ptr_eq(current, cell) && current.get().is_none())
        {
            outgoing.remove(addr);
        }
    }

    async fn validate(&self, client: &RpcClient, addr: &Addr, aid: &str) -> Result<String, Error> {
        let key = (client.channel().id(), aid.to_owned());
        if let Some(class_name) = self
            .inner
            .validated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return Ok(class_name.clone());
        }
        let timeout = self.inner.validate_timeout;
        let answer = tokio::time::timeout(
            timeout,
            client.remote().call("validate_aid", vec![Value::from(aid)]),
        )
        .await
        .map_err(|_| {
            ConnectionError::new(
                ConnectionErrorKind::TimedOut,
                format!(
                    "Container({}) did not answer validate_aid({aid:?}) within {timeout:?}",
                    python_repr(addr)
                ),
            )
        })??;
        match answer {
            Value::Str(class_name) => {
                let mut validated = self
                    .inner
                    .validated
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                validated.insert(key, class_name.clone());
                Ok(class_name)
            }
            _ => Err(ConnectionError::new(
                ConnectionErrorKind::NoSuchAgent,
                format!(
                    "Agent \"{aid}\" does not exist in Container({})",
                    python_repr(addr)
                ),
            )
            .into()),
        }
    }
}
