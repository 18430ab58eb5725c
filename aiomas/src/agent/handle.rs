//! A spawned agent, as its container hands it out.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::Agent;

/// A local agent: derefs to the agent, and knows its id and address. From
/// [`Container::spawn`](super::Container::spawn) and [`Container::agent`](super::Container::agent).
///
/// Cheap to clone. It keeps the agent value alive, not its place in the container: once the
/// agent is [removed](super::Container::remove), remote calls to it fail.
pub struct AgentHandle<A> {
    agent: Arc<A>,
    id: Arc<str>,
    addr: Arc<str>,
}

impl<A: Agent> AgentHandle<A> {
    pub(crate) fn new(agent: Arc<A>, id: &str, addr: &str) -> Self {
        AgentHandle {
            agent,
            id: id.into(),
            addr: addr.into(),
        }
    }

    /// The agent's id in its container (`"0"`, `"1"`, ...).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The agent's address, e.g. `tcp://localhost:5555/0`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The shared agent itself.
    pub fn agent(&self) -> &Arc<A> {
        &self.agent
    }
}

impl<A> Deref for AgentHandle<A> {
    type Target = A;

    fn deref(&self) -> &A {
        &self.agent
    }
}

impl<A> Clone for AgentHandle<A> {
    fn clone(&self) -> Self {
        AgentHandle {
            agent: self.agent.clone(),
            id: self.id.clone(),
            addr: self.addr.clone(),
        }
    }
}

/// Shown as Python shows agents: `Caller('tcp://localhost:5555/1')`.
impl<A: Agent> fmt::Display for AgentHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}('{}')", self.agent.class_name(), self.addr)
    }
}

impl<A: Agent> fmt::Debug for AgentHandle<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
