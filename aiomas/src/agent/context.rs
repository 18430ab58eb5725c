//! What an agent knows about itself: its id, address, container and clock.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Weak};

use tokio::task::JoinHandle;

use super::container::Inner;
use super::lifecycle::{TaskOutput, TaskScope};
use super::Container;
use crate::channel::Retry;
use crate::clock::Clock;
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::rpc::{FromProxy, Proxy};
use crate::{Error, Home, ServiceRef};

/// Handed to an agent's constructor by [`Container::spawn`]; keep it to reach the container,
/// the clock and the agent's own address from methods and tasks.
///
/// It refers to its container weakly: agents do not keep their container alive, so a
/// container that is dropped (rather than shut down) still frees its socket and its agents.
///
/// ```
/// use aiomas::agent::{AgentContext, Container, ContainerOptions};
/// use aiomas::channel::Addr;
///
/// struct Named {
///     ctx: AgentContext,
/// }
///
/// #[aiomas::agent]
/// impl Named {
///     #[expose]
///     fn whoami(&self) -> String {
///         format!("agent {} at {}", self.ctx.id(), self.ctx.addr())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let container = Container::create(Addr::local("context-docs"), ContainerOptions::default()).await?;
/// let agent = container.spawn(|ctx| Named { ctx })?;
/// assert_eq!(agent.whoami(), "agent 0 at local://context-docs/0");
/// assert_eq!(agent.ctx.container()?.agent_count(), 1);
/// assert!(agent.ctx.clock().time() >= 0.0);
/// container.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AgentContext {
    pub(crate) id: String,
    pub(crate) addr: String,
    pub(crate) class_name: &'static str,
    pub(crate) container: Weak<Inner>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) root_id: u64,
    pub(crate) tasks: TaskScope,
}

impl AgentContext {
    /// The agent id within its container (`"0"`, `"1"`, ...).
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let first = container.spawn(|ctx| Bot { ctx })?;
    /// let second = container.spawn(|ctx| Bot { ctx })?;
    /// assert_eq!((first.ctx.id(), second.ctx.id()), ("0", "1"));
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agent's address, e.g. `tcp://localhost:5555/0`.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// assert_eq!(bot.ctx.addr(), format!("{}0", container.base_url()));
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The container the agent lives in; an error once the container is gone (dropped).
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// assert_eq!(bot.ctx.container()?.base_url(), container.base_url());
    /// container.shutdown().await;
    /// drop(container);
    /// assert!(bot.ctx.container().is_err()); // the agent does not keep it alive
    /// # Ok(())
    /// # }
    /// ```
    pub fn container(&self) -> Result<Container, Error> {
        self.container
            .upgrade()
            .map(|inner| Container { inner })
            .ok_or_else(|| {
                ConnectionError::new(
                    ConnectionErrorKind::Closed,
                    format!("the container of {self} is gone"),
                )
                .into()
            })
    }

    /// Connects to the agent at `url` from this agent's container (one attempt, as Python's
    /// `container.connect(url)`); see [`Container::connect`].
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let a = container.spawn(|ctx| Bot { ctx })?;
    /// let b = container.spawn(|ctx| Bot { ctx })?;
    /// let proxy = a.ctx.connect(b.addr()).await?;
    /// assert_eq!(proxy.to_string(), format!("BotProxy('{}')", b.addr()));
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(&self, url: &str) -> Result<Proxy, Error> {
        self.container()?.connect(url, Retry::Never).await
    }

    /// Like [`connect`](Self::connect), returning a typed proxy (`CalleeProxy`).
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let a = container.spawn(|ctx| Bot { ctx })?;
    /// let b = container.spawn(|ctx| Bot { ctx })?;
    /// let proxy: BotProxy = a.ctx.connect_as(b.addr()).await?;
    /// assert!(aiomas::rpc::FromProxy::proxy(&proxy).is_local()); // same container: in-process
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect_as<P: FromProxy>(&self, url: &str) -> Result<P, Error> {
        self.connect(url).await.map(P::from_proxy)
    }

    /// The container's clock.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// let before = bot.ctx.clock().time();
    /// bot.ctx.clock().sleep(0.01).await?;
    /// assert!(bot.ctx.clock().time() >= before + 0.01);
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A reference to this agent, to pass to other agents so they can call it back.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// assert_eq!(bot.ctx.me().path, "agents/0");
    /// // Passed to another agent, it arrives as a proxy that calls back.
    /// let back = aiomas::rpc::Proxy::from_ref(bot.ctx.me());
    /// assert!(back.is_local());
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn me(&self) -> ServiceRef {
        ServiceRef {
            path: format!("agents/{}", self.id),
            home: Home::Local(self.root_id),
        }
    }

    /// Runs `task` (a proactive agent's behaviour) until it ends, the agent is removed or the
    /// container shuts down. The handle yields the task's output, or `None` if it was stopped
    /// first. An `Err` output or a panic is reported with the agent's address (see
    /// [`TaskFailure`](super::TaskFailure)).
    ///
    /// The output is `()` or a `Result`. A task that never ends has no output (`!`): write it
    /// as `for _ in 0.. { ... }` rather than `loop { ... }`, or end it with `Ok::<(), E>(())`.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {}
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// let task = bot.ctx.spawn(async { Ok::<u32, aiomas::Error>(6 * 7) });
    /// assert!(matches!(task.await.unwrap(), Some(Ok(42))));
    /// let forever = bot.ctx.spawn(std::future::pending::<()>());
    /// container.shutdown().await;
    /// assert_eq!(forever.await.unwrap(), None); // stopped by the shutdown
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput + Send + 'static,
    {
        self.tasks.spawn("task", task)
    }
}

/// Shown as Python shows agents: `Caller('tcp://localhost:5555/1')`.
impl fmt::Display for AgentContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}('{}')", self.class_name, self.addr)
    }
}

impl fmt::Debug for AgentContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
