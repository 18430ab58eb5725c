//! What an agent knows about itself: its id, address, container and clock.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::Container;
use crate::clock::Clock;
use crate::ServiceRef;

/// Handed to an agent's constructor by [`Container::spawn`]; keep it to reach the container,
/// the clock and the agent's own address from methods and tasks.
#[derive(Clone)]
pub struct AgentContext {
    pub(crate) id: String,
    pub(crate) addr: String,
    pub(crate) class_name: &'static str,
    pub(crate) container: Container,
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

    /// The container the agent lives in.
    pub fn container(&self) -> &Container {
        &self.container
    }

    /// The container's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        self.container.clock()
    }

    /// A reference to this agent, to pass to other agents so they can call it back.
    pub fn me(&self) -> ServiceRef {
        self.container
            .inner
            .root
            .reference(&format!("agents/{}", self.id))
    }

    /// Runs `task` (a proactive agent's behaviour) until it ends or the container shuts down;
    /// see [`Container::spawn_task`].
    pub fn spawn<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.container.spawn_task(task)
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
