//! Connecting to agents in other containers: one shared connection per container, and the
//! `validate_aid` check of the agent id (Python's `Container.connect`).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::url::{parse_agent_url, python_repr};
use super::Container;
use crate::boxed::boxed;
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
    ///
    /// A URL that names this container itself (its [`base_url`](Self::base_url), or another
    /// name of its socket: `localhost` or `127.0.0.1` for a loopback or wildcard address)
    /// gives a proxy that calls in-process ([`Proxy::is_local`]): no socket, no encoding, the
    /// same results and errors as a remote call.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # use aiomas::channel::Retry;
    /// struct Echo;
    /// #[aiomas::agent]
    /// impl Echo {
    ///     #[expose]
    ///     fn echo(&self, text: String) -> String { text }
    /// }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let echo = container.spawn(|_: AgentContext| Echo)?;
    /// let proxy: EchoProxy = container.connect_as(echo.addr(), Retry::Never).await?;
    /// assert!(aiomas::rpc::FromProxy::proxy(&proxy).is_local());
    /// assert_eq!(proxy.echo("hi".into()).await?, "hi");
    /// container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect<'a>(
        &'a self,
        url: &'a str,
        retry: Retry,
    ) -> impl Future<Output = Result<Proxy, Error>> + Send + 'a {
        boxed(async move {
            self.ensure_running()?;
            let (addr, aid) = parse_agent_url(url)?;
            let root = if self.names_itself(&addr) {
                Proxy::local(self.inner.local.clone(), "")
                    .with_timeout(self.inner.options.get_call_timeout())
            } else {
                self.connection(&addr, retry).await?.remote()
            };
            let class_name = self.validate(&root, &addr, &aid).await?;
            let label = format!("{class_name}Proxy('{url}')");
            Ok(root.child("agents").child(&aid).with_label(label))
        })
    }

    /// Like [`connect`](Self::connect), returning a typed proxy (`CalleeProxy`).
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # use aiomas::channel::Retry;
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let home = Container::bind("127.0.0.1:0").await?;
    /// let away = Container::bind("127.0.0.1:0").await?;
    /// let bot = home.spawn(|ctx| Bot { ctx })?;
    /// let proxy: BotProxy = away.connect_as(bot.addr(), Retry::Never).await?;
    /// assert_eq!(proxy.ping().await?, "pong");
    /// assert!(away.connect_as::<BotProxy>(&format!("{}7", home.base_url()), Retry::Never).await.is_err());
    /// # away.shutdown().await;
    /// # home.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
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

    /// Asks the container behind `root` for the class of agent `aid`; remote answers are
    /// remembered per connection.
    async fn validate(&self, root: &Proxy, addr: &Addr, aid: &str) -> Result<String, Error> {
        let key = root.channel().map(|channel| (channel.id(), aid.to_owned()));
        if let Some(class_name) = key.as_ref().and_then(|key| {
            self.inner
                .validated
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(key)
                .cloned()
        }) {
            return Ok(class_name);
        }
        let timeout = self.inner.validate_timeout;
        let answer =
            tokio::time::timeout(timeout, root.call("validate_aid", vec![Value::from(aid)]))
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
                if let Some(key) = key {
                    let mut validated = self
                        .inner
                        .validated
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    validated.insert(key, class_name.clone());
                }
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

impl Container {
    /// Whether `addr` names this container's own socket.
    fn names_itself(&self, addr: &Addr) -> bool {
        let Some(own) = self.addr() else {
            return false;
        };
        match (addr, &own) {
            (
                Addr::Tcp { host, port },
                Addr::Tcp {
                    host: bound,
                    port: own_port,
                },
            ) => port == own_port && self.is_own_host(host, bound),
            (Addr::Unix(path), Addr::Unix(own_path)) => path == own_path,
            (Addr::Local(queue), Addr::Local(own_queue)) => queue == own_queue,
            _ => false,
        }
    }

    /// Whether `host` reaches a socket bound to `bound`: the same name, the name in our
    /// `base_url`, or a loopback name a loopback or wildcard address accepts.
    fn is_own_host(&self, host: &str, bound: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let bound = bound.to_ascii_lowercase();
        let in_base_url = parse_agent_url(&format!("{}0", self.base_url()))
            .is_ok_and(|(addr, _)| matches!(addr, Addr::Tcp { host: named, .. } if named.eq_ignore_ascii_case(&host)));
        let loopback_v4 = ["localhost", "127.0.0.1"];
        let loopback_v6 = ["localhost", "::1"];
        let accepted: &[&str] = match bound.as_str() {
            "0.0.0.0" | "127.0.0.1" | "localhost" => &loopback_v4,
            // A dual-stack wildcard also accepts IPv4.
            "::" => &["localhost", "::1", "127.0.0.1"],
            "::1" => &loopback_v6,
            _ => &[],
        };
        host == bound || in_base_url || accepted.contains(&host.as_str())
    }
}

/// How a peer would name this address: `HOST:PORT`, the socket path, `LocalQueue('NAME')`
/// (the origin shown for exceptions of in-process calls).
pub(super) fn origin_name(addr: &Addr) -> String {
    match addr {
        Addr::Local(queue) => format!("LocalQueue('{queue}')"),
        other => other.to_string(),
    }
}
