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
///
/// ```
/// use aiomas::agent::{AgentContext, Container, ContainerOptions};
/// use aiomas::channel::Addr;
///
/// struct Clerk {
///     ctx: AgentContext,
/// }
///
/// #[aiomas::agent]
/// impl Clerk {
///     fn desk(&self) -> String {
///         format!("desk {}", self.ctx.id())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let container = Container::create(Addr::local("handle-docs"), ContainerOptions::default()).await?;
/// let clerk = container.spawn(|ctx| Clerk { ctx })?;
/// assert_eq!((clerk.id(), clerk.addr()), ("0", "local://handle-docs/0"));
/// assert_eq!(clerk.desk(), "desk 0"); // derefs to the agent
/// let again = container.agent::<Clerk>("0").expect("agent 0 is a Clerk");
/// assert!(std::sync::Arc::ptr_eq(again.agent(), clerk.agent()));
/// container.shutdown().await;
/// # Ok(())
/// # }
/// ```
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
