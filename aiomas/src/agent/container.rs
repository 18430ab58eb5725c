//! The container: one server socket for many agents, the connections to other containers,
//! and the clock.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::shutdown::CancellationToken;
use crate::shutdown::TaskTracker;
use tokio::sync::OnceCell;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, warn};

use super::lifecycle::{TaskOutput, TaskScope};
use super::table::{AgentTable, ContainerService, Reservation, Slot};
use super::url::base_url;
use super::{Agent, AgentContext, AgentHandle, ContainerOptions};
use crate::boxed::boxed;
use crate::channel::{Addr, ChannelOptions, Stats, StatsGroup};
use crate::clock::{Clock, ScopedClock};
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::rpc::{self, LocalEndpoint, Root, RpcClient, RpcServer};
use crate::Error;

/// How long `shutdown` lets agent tasks finish after cancelling them.
const TASK_GRACE: Duration = Duration::from_secs(5);

/// A container of agents. Cheap to clone; all clones are the same container.
///
/// Call [`shutdown`](Self::shutdown) when done: it runs the agents' stop hooks and closes
/// every connection gracefully. A container whose last clone is dropped without it still
/// frees everything (agents only refer to it weakly): its tasks and timers are cancelled, its
/// agents dropped (without their stop hooks) and its sockets closed.
///
/// ```
/// use aiomas::agent::{Container, ContainerOptions};
/// use aiomas::channel::Addr;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let container = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
/// assert!(container.base_url().starts_with("tcp://127.0.0.1:"));
/// container.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Container {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    base_url: String,
    pub(super) clock: Arc<dyn Clock>,
    timers: Arc<ScopedClock>,
    pub(super) options: ChannelOptions,
    pub(super) validate_timeout: Duration,
    pub(super) agents: Arc<AgentTable>,
    pub(crate) root: Arc<Root>,
    /// The in-process door to `root`: proxies to our own agents call through it.
    pub(super) local: Arc<LocalEndpoint>,
    server: Mutex<Option<Arc<RpcServer>>>,
    pub(super) outgoing: Mutex<HashMap<Addr, Arc<OnceCell<RpcClient>>>>,
    /// Class names of remote agents already validated, by (connection, agent id).
    pub(super) validated: Mutex<HashMap<(u64, String), String>>,
    tasks: TaskScope,
    shut_down: AtomicBool,
    /// Every connection the container accepted or opened.
    stats: Arc<StatsGroup>,
}

impl Container {
    /// Creates a container whose server socket is bound to `addr` (port 0 picks a free port).
    ///
    /// As in Python, the host `""` (like `"0.0.0.0"` and `"::"`) binds all interfaces, and the
    /// agents' addresses then carry the machine's name.
    ///
    /// ```
    /// use aiomas::agent::{Container, ContainerOptions};
    /// use aiomas::channel::Addr;
    /// use aiomas::codec::Codec;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let options = ContainerOptions::default().codec(Codec::MsgPack);
    /// let container = Container::create(Addr::tcp("127.0.0.1", 0), options).await?;
    /// assert!(container.base_url().starts_with("tcp://127.0.0.1:")); // with the port it got
    /// assert_eq!(container.agent_count(), 0);
    /// container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn create(
        addr: Addr,
        options: ContainerOptions,
    ) -> impl Future<Output = Result<Container, Error>> + Send {
        boxed(async move {
            let addr = match addr {
                Addr::Tcp { host, port } if host.is_empty() => Addr::tcp("0.0.0.0", port),
                other => other,
            };
            let agents = Arc::new(AgentTable::default());
            let root = Root::new(Arc::new(ContainerService {
                agents: agents.clone(),
            }));
            let stats = Arc::new(StatsGroup::default());
            let mut channel_options = options.channel_options();
            channel_options.stats = Some(stats.clone());
            let server =
                rpc::start_server_with_root(addr, root.clone(), channel_options.clone(), |_| {})
                    .await?;
            let local = LocalEndpoint::open(&root, super::connect::origin_name(server.addr()));
            let timers = Arc::new(ScopedClock::new(options.clock));
            let container = Container {
                inner: Arc::new(Inner {
                    base_url: base_url(server.addr()),
                    clock: timers.clone(),
                    timers,
                    options: channel_options,
                    validate_timeout: options.validate_timeout,
                    agents,
                    root,
                    local,
                    server: Mutex::new(Some(Arc::new(server))),
                    outgoing: Mutex::default(),
                    validated: Mutex::default(),
                    tasks: TaskScope {
                        tracker: TaskTracker::new(),
                        stop: CancellationToken::new(),
                        on_failure: options.on_task_failure,
                        agent: None,
                    },
                    shut_down: AtomicBool::new(false),
                    stats,
                }),
            };
            debug!("started {container}");
            Ok(container)
        })
    }

    /// Creates a container with default options on `addr` (`"HOST:PORT"`, port 0 picks a free
    /// port; a path with a `/` is a Unix socket), like Python's
    /// `Container.create(('localhost', 5555))`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = aiomas::agent::Container::bind("127.0.0.1:0").await?;
    /// container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bind(addr: &str) -> Result<Container, Error> {
        Container::create(addr.parse()?, ContainerOptions::default()).await
    }

    /// The prefix of the agents' addresses, e.g. `tcp://localhost:5555/`.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let port = container.addr().and_then(|addr| addr.port()).unwrap();
    /// assert_eq!(container.base_url(), format!("tcp://127.0.0.1:{port}/"));
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The address the server socket is bound to (with the real port), if still running.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// assert_ne!(container.addr().and_then(|addr| addr.port()), Some(0)); // the port it got
    /// container.shutdown().await;
    /// assert_eq!(container.addr(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn addr(&self) -> Option<Addr> {
        let server = self.inner.server.lock().unwrap_or_else(|p| p.into_inner());
        server.as_ref().map(|s| s.addr().clone())
    }

    /// The container's clock. Calls scheduled on it (`call_in`, `call_at`) are cancelled when
    /// the container shuts down.
    ///
    /// ```
    /// # use aiomas::agent::Container;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let clock = container.clock();
    /// let before = clock.time();
    /// clock.sleep(0.01).await?;
    /// assert!(clock.time() >= before + 0.01);
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The number of agents in the container.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// container.spawn(|ctx| Bot { ctx })?;
    /// assert_eq!(container.agent_count(), 1);
    /// container.remove("0").await;
    /// assert_eq!(container.agent_count(), 0);
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn agent_count(&self) -> usize {
        self.inner.agents.len()
    }

    /// The counters of the container's connections, summed: those its server accepted and
    /// those it opened to other containers, closed ones included (see [`Stats`]). Calls
    /// between its own agents go in-process and are not counted.
    ///
    /// ```
    /// use aiomas::agent::{AgentContext, Container};
    /// use aiomas::channel::Retry;
    ///
    /// struct Echo;
    /// #[aiomas::agent]
    /// impl Echo {
    ///     #[expose]
    ///     fn echo(&self, text: String) -> String { text }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let home = Container::bind("127.0.0.1:0").await?;
    /// let away = Container::bind("127.0.0.1:0").await?;
    /// let echo = home.spawn(|_: AgentContext| Echo)?;
    /// let proxy: EchoProxy = away.connect_as(echo.addr(), Retry::Never).await?;
    /// proxy.echo("hi".into()).await?;
    /// // `connect` asked `validate_aid` first: two calls each way.
    /// let (home_stats, away_stats) = (home.stats(), away.stats());
    /// assert_eq!((away_stats.calls_sent, home_stats.calls_served), (2, 2));
    /// assert_eq!(away_stats.bytes_out, home_stats.bytes_in);
    /// assert_eq!((away_stats.connections_open, home_stats.connections_open), (1, 1));
    /// away.shutdown().await;
    /// home.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn stats(&self) -> Stats {
        self.inner.stats.snapshot()
    }

    /// Spawns an agent: `make` receives the agent's [`AgentContext`] (id, address, container)
    /// and builds it; then its start hook runs (see [`Agent`]). Its id is the next decimal
    /// number. An error after [`shutdown`](Self::shutdown).
    ///
    /// ```
    /// use aiomas::agent::{AgentContext, Container, ContainerOptions};
    /// use aiomas::channel::Addr;
    ///
    /// struct Worker {
    ///     ctx: AgentContext,
    /// }
    ///
    /// #[aiomas::agent]
    /// impl Worker {
    ///     #[expose]
    ///     fn greet(&self) -> String {
    ///         format!("worker {}", self.ctx.id())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::create(Addr::local("spawn-docs"), ContainerOptions::default()).await?;
    /// let first = container.spawn(|ctx| Worker { ctx })?;
    /// let second = container.spawn(|ctx| Worker { ctx })?;
    /// assert_eq!((first.id(), second.id()), ("0", "1"));
    /// assert_eq!(second.addr(), "local://spawn-docs/1");
    /// assert_eq!(second.greet(), "worker 1"); // the handle derefs to the agent
    /// container.shutdown().await;
    /// assert!(container.spawn(|ctx| Worker { ctx }).is_err()); // no agents after shutdown
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn<A: Agent>(
        &self,
        make: impl FnOnce(AgentContext) -> A,
    ) -> Result<AgentHandle<A>, Error> {
        let (reservation, context) = self.reserve::<A>()?;
        let agent = Arc::new(make(context.clone()));
        self.register(reservation, &context, agent)
    }

    /// Like [`spawn`](Self::spawn), for constructors that must await something. A constructor
    /// that fails uses no id.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container
    ///     .spawn_async(|ctx| async move {
    ///         ctx.clock().sleep(0.001).await?; // e.g. read a config first
    ///         Ok(Bot { ctx })
    ///     })
    ///     .await?;
    /// assert_eq!(bot.id(), "0");
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn spawn_async<A, F, Fut>(&self, make: F) -> Result<AgentHandle<A>, Error>
    where
        A: Agent,
        F: FnOnce(AgentContext) -> Fut,
        Fut: Future<Output = Result<A, Error>>,
    {
        let (reservation, context) = self.reserve::<A>()?;
        let agent = Arc::new(make(context.clone()).await?);
        self.register(reservation, &context, agent)
    }

    /// The local agent `id`, if there is one of type `A`.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// container.spawn(|ctx| Bot { ctx })?;
    /// let bot = container.agent::<Bot>("0").expect("agent 0 is a Bot");
    /// assert_eq!(bot.ping(), "pong");
    /// assert!(container.agent::<Bot>("1").is_none());
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn agent<A: Agent>(&self, id: &str) -> Option<AgentHandle<A>> {
        let agent = self.inner.agents.get_as::<A>(id)?;
        Some(AgentHandle::new(
            agent,
            id,
            &format!("{}{id}", self.inner.base_url),
        ))
    }

    /// Removes agent `id`: it stops being reachable (calls to it fail as calls to an unknown
    /// agent), its tasks are cancelled and its stop hook is awaited (for at most
    /// [`STOP_HOOK_TIMEOUT`](super::STOP_HOOK_TIMEOUT)). Returns whether there was such an
    /// agent. Its id is not reused.
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
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let bot = container.spawn(|ctx| Bot { ctx })?;
    /// let proxy: BotProxy = container.connect_as(bot.addr(), Retry::Never).await?;
    /// assert!(container.remove("0").await);
    /// assert!(!container.remove("0").await); // gone already
    /// assert!(proxy.ping().await.is_err());
    /// # container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn remove(&self, id: &str) -> bool {
        match self.inner.agents.remove(id) {
            Some(slot) => {
                stop_agent(slot).await;
                true
            }
            None => false,
        }
    }

    pub(crate) fn reserve<A: Agent>(&self) -> Result<(Reservation, AgentContext), Error> {
        self.ensure_running()?;
        let reservation = self.inner.agents.reserve();
        let id = reservation.id.to_string();
        let addr = format!("{}{}", self.inner.base_url, id);
        let context = AgentContext {
            tasks: self.inner.tasks.for_agent(&addr),
            addr,
            id,
            class_name: short_type_name::<A>(),
            container: Arc::downgrade(&self.inner),
            clock: self.inner.clock.clone(),
            root_id: self.inner.root.id,
        };
        Ok((reservation, context))
    }

    pub(crate) fn register<A: Agent>(
        &self,
        reservation: Reservation,
        context: &AgentContext,
        agent: Arc<A>,
    ) -> Result<AgentHandle<A>, Error> {
        if !reservation.fill(Slot::new(agent.clone(), context.tasks.clone())) {
            return Err(self.closed_error());
        }
        context
            .tasks
            .spawn("start hook", A::on_start(agent.clone()));
        Ok(AgentHandle::new(agent, &context.id, &context.addr))
    }

    /// Runs `task` until it ends or the container shuts down. The handle yields the task's
    /// output, or `None` if the shutdown stopped it first. An `Err` output or a panic is
    /// reported (see [`TaskFailure`](super::TaskFailure)).
    ///
    /// ```
    /// # use aiomas::agent::Container;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let sum = container.spawn_task(async { Ok::<u32, aiomas::Error>(1 + 2) });
    /// assert!(matches!(sum.await.unwrap(), Some(Ok(3))));
    /// let forever = container.spawn_task(std::future::pending::<()>());
    /// container.shutdown().await;
    /// assert_eq!(forever.await.unwrap(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub fn spawn_task<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput + Send + 'static,
    {
        self.inner.tasks.spawn("task", task)
    }

    pub(super) fn ensure_running(&self) -> Result<(), Error> {
        if self.inner.shut_down.load(Ordering::SeqCst) {
            return Err(self.closed_error());
        }
        Ok(())
    }

    fn closed_error(&self) -> Error {
        ConnectionError::new(ConnectionErrorKind::Closed, format!("{self} is shut down")).into()
    }

    /// Shuts the container down: refuses new agents and connections, runs the agents' stop
    /// hooks, stops agent tasks and clock timers, closes the outgoing connections, the server
    /// socket and every serving task, and waits for them.
    ///
    /// It may be called from an agent's own task: the work runs in a task of its own, so
    /// stopping the agent tasks does not cut it short.
    ///
    /// ```
    /// # use aiomas::agent::{AgentContext, Container};
    /// # struct Bot { ctx: AgentContext }
    /// # #[aiomas::agent]
    /// # impl Bot {
    /// #     #[expose]
    /// #     fn ping(&self) -> String { "pong".into() }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let container = Container::bind("127.0.0.1:0").await?;
    /// let addr = container.addr().unwrap();
    /// container.spawn(|ctx| Bot { ctx })?;
    /// container.shutdown().await;
    /// assert_eq!(container.agent_count(), 0);
    /// assert!(container.spawn(|ctx| Bot { ctx }).is_err());
    /// // The socket is closed: nobody answers there any more.
    /// let options = aiomas::channel::ChannelOptions::default();
    /// assert!(aiomas::channel::open_connection(&addr, options).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn shutdown(&self) -> impl Future<Output = ()> + Send + 'static {
        let this = self.clone();
        boxed(async move {
            let _ = tokio::spawn(async move { this.shut_down().await }).await;
        })
    }

    async fn shut_down(&self) {
        if self.inner.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        let inner = &self.inner;
        let mut stopping = JoinSet::new();
        for slot in inner.agents.clear() {
            stopping.spawn(stop_agent(slot));
        }
        while stopping.join_next().await.is_some() {}
        inner.tasks.stop.cancel();
        inner.tasks.tracker.close();
        if tokio::time::timeout(TASK_GRACE, inner.tasks.tracker.wait())
            .await
            .is_err()
        {
            debug!("agent tasks of {self} did not stop in time");
        }
        inner.timers.close();
        inner.local.close().await;
        let (outgoing, server) = inner.take_connections();
        close_connections(outgoing, server).await;
        debug!("{self} is shut down");
    }
}

/// Runs a removed agent's stop hook, then stops its tasks.
async fn stop_agent(slot: Slot) {
    slot.tasks.run_stop_hook(slot.agent.clone().stop()).await;
    slot.tasks.stop.cancel();
}

impl Inner {
    fn take_connections(&self) -> (Vec<Arc<OnceCell<RpcClient>>>, Option<Arc<RpcServer>>) {
        let outgoing = self
            .outgoing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .map(|(_, cell)| cell)
            .collect();
        let server = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        (outgoing, server)
    }
}

async fn close_connections(
    outgoing: Vec<Arc<OnceCell<RpcClient>>>,
    server: Option<Arc<RpcServer>>,
) {
    for cell in outgoing {
        if let Some(client) = cell.get() {
            client.close().await;
        }
    }
    if let Some(server) = server {
        server.close().await;
    }
}

/// A container dropped without `shutdown`: nothing may outlive it.
impl Drop for Inner {
    fn drop(&mut self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        debug!(
            "Container('{}') dropped without shutdown(): stopping its tasks and closing its \
             sockets (agents' stop hooks do not run)",
            self.base_url
        );
        self.tasks.stop.cancel();
        self.tasks.tracker.close();
        self.timers.close();
        self.local.shut();
        drop(self.agents.clear());
        let (outgoing, server) = self.take_connections();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(close_connections(outgoing, server));
            }
            // Without a runtime the sockets close as they are dropped.
            Err(_) => warn!(
                "Container('{}') dropped outside a tokio runtime: connections are dropped, not \
                 closed",
                self.base_url
            ),
        }
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Container('{}')", self.inner.base_url)
    }
}

impl fmt::Debug for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
