//! The container: one server socket for many agents, the connections to other containers,
//! and the clock.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::debug;

use super::table::{AgentTable, ContainerService};
use super::url::{base_url, parse_agent_url, python_repr};
use super::{AgentContext, ContainerOptions};
use crate::channel::{Addr, Retry};
use crate::clock::Clock;
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::rpc::{self, FromProxy, Proxy, Root, RpcClient, RpcServer, Service};
use crate::{Error, Value};

/// How long `shutdown` lets agent tasks finish after cancelling them.
const TASK_GRACE: Duration = Duration::from_secs(5);

/// A container of agents. Cheap to clone; all clones are the same container.
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
    clock: Arc<dyn Clock>,
    options: crate::channel::ChannelOptions,
    agents: Arc<AgentTable>,
    pub(crate) root: Arc<Root>,
    server: Mutex<Option<Arc<RpcServer>>>,
    outgoing: Mutex<HashMap<Addr, Arc<OnceCell<RpcClient>>>>,
    /// Class names of remote agents already validated, by (connection, agent id).
    validated: Mutex<HashMap<(u64, String), String>>,
    tasks: TaskTracker,
    stop: CancellationToken,
}

impl Container {
    /// Creates a container whose server socket is bound to `addr` (port 0 picks a free port).
    pub async fn create(addr: Addr, options: ContainerOptions) -> Result<Container, Error> {
        let agents = Arc::new(AgentTable::default());
        let root = Root::new(Arc::new(ContainerService {
            agents: agents.clone(),
        }));
        let channel_options = options.channel_options();
        let server =
            rpc::start_server_with_root(addr, root.clone(), channel_options.clone(), |_| {})
                .await?;
        let container = Container {
            inner: Arc::new(Inner {
                base_url: base_url(server.addr()),
                clock: options.clock,
                options: channel_options,
                agents,
                root,
                server: Mutex::new(Some(Arc::new(server))),
                outgoing: Mutex::default(),
                validated: Mutex::default(),
                tasks: TaskTracker::new(),
                stop: CancellationToken::new(),
            }),
        };
        debug!("started {container}");
        Ok(container)
    }

    /// The prefix of the agents' addresses, e.g. `tcp://localhost:5555/`.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The address the server socket is bound to (with the real port), if still running.
    pub fn addr(&self) -> Option<Addr> {
        let server = self.inner.server.lock().unwrap_or_else(|p| p.into_inner());
        server.as_ref().map(|s| s.addr().clone())
    }

    /// The container's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The number of agents spawned so far.
    pub fn agent_count(&self) -> usize {
        self.inner.agents.len()
    }

    /// Spawns an agent: `make` receives the agent's [`AgentContext`] (id, address, container)
    /// and builds it. Returns the agent; its id is the next decimal number.
    pub fn spawn<A: Service>(&self, make: impl FnOnce(AgentContext) -> A) -> Arc<A> {
        let (slot, context) = self.reserve_slot::<A>();
        let agent = Arc::new(make(context));
        self.register_slot(slot, agent.clone());
        agent
    }

    /// Like [`spawn`](Self::spawn), for constructors that must await something.
    pub async fn spawn_async<A, F, Fut>(&self, make: F) -> Result<Arc<A>, Error>
    where
        A: Service,
        F: FnOnce(AgentContext) -> Fut,
        Fut: Future<Output = Result<A, Error>>,
    {
        let (slot, context) = self.reserve_slot::<A>();
        let agent = Arc::new(make(context).await?);
        self.register_slot(slot, agent.clone());
        Ok(agent)
    }

    pub(crate) fn reserve_slot<A: Service>(&self) -> (usize, AgentContext) {
        let slot = self.inner.agents.reserve();
        let id = slot.to_string();
        let context = AgentContext {
            addr: format!("{}{}", self.inner.base_url, id),
            id,
            class_name: short_type_name::<A>(),
            container: self.clone(),
        };
        (slot, context)
    }

    pub(crate) fn release_slot(&self, slot: usize) {
        self.inner.agents.release(slot);
    }

    pub(crate) fn register_slot<A: Service>(&self, slot: usize, agent: Arc<A>) {
        let class_name = agent.class_name();
        self.inner.agents.fill(slot, agent, class_name);
    }

    /// Runs `task` until it ends or the container shuts down. The handle yields the task's
    /// output, or `None` if the shutdown stopped it first.
    pub fn spawn_task<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let stop = self.inner.stop.clone();
        self.inner.tasks.spawn(async move {
            tokio::select! {
                output = task => Some(output),
                () = stop.cancelled() => None,
            }
        })
    }

    /// Connects to the agent at `url` and returns a dynamic proxy to it.
    ///
    /// One connection per remote container is shared by all its agents (concurrent connects
    /// share one attempt); `retry` says how long to retry a refused connection.
    pub async fn connect(&self, url: &str, retry: Retry) -> Result<Proxy, Error> {
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
        let cell = {
            let mut outgoing = self
                .inner
                .outgoing
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let cell = outgoing.entry(addr.clone()).or_default();
            // A connection that broke is replaced by a fresh attempt.
            if cell
                .get()
                .is_some_and(|client| client.channel().is_closed())
            {
                *cell = Arc::default();
            }
            cell.clone()
        };
        let options = self.inner.options.clone().retry(retry);
        let root = self.inner.root.clone();
        let client = cell
            .get_or_try_init(|| rpc::open_connection_with_root(addr, root, options))
            .await?;
        Ok(client.clone())
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
        match client
            .remote()
            .call("validate_aid", vec![Value::from(aid)])
            .await?
        {
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

    /// Shuts the container down: stops agent tasks, closes the outgoing connections, the server
    /// socket and every serving task, and waits for them.
    ///
    /// It may be called from an agent's own task: the work runs in a task of its own, so
    /// stopping the agent tasks does not cut it short.
    pub async fn shutdown(&self) {
        let this = self.clone();
        let _ = tokio::spawn(async move { this.shut_down().await }).await;
    }

    async fn shut_down(&self) {
        self.inner.stop.cancel();
        self.inner.tasks.close();
        if tokio::time::timeout(TASK_GRACE, self.inner.tasks.wait())
            .await
            .is_err()
        {
            debug!("agent tasks of {self} did not stop in time");
        }
        let outgoing: Vec<_> = self
            .inner
            .outgoing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for (_, cell) in outgoing {
            if let Some(client) = cell.get() {
                client.close().await;
            }
        }
        let server = self
            .inner
            .server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(server) = server {
            server.close().await;
        }
        self.inner.agents.clear();
        debug!("{self} is shut down");
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
