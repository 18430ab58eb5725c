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
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agent's address, e.g. `tcp://localhost:5555/0`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The container the agent lives in; an error once the container is gone (dropped).
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
    pub async fn connect(&self, url: &str) -> Result<Proxy, Error> {
        self.container()?.connect(url, Retry::Never).await
    }

    /// Like [`connect`](Self::connect), returning a typed proxy (`CalleeProxy`).
    pub async fn connect_as<P: FromProxy>(&self, url: &str) -> Result<P, Error> {
        self.connect(url).await.map(P::from_proxy)
    }

    /// The container's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// A reference to this agent, to pass to other agents so they can call it back.
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
