//! "Calling other agent's methods", from the agent guide of Python aiomas
//! (`docs/guides/agent.rst`).
//!
//! `Callee` exposes `spam()`; `Caller` asks its container to connect to the callee and calls
//! `spam(3)` through the typed `CalleeProxy` that `#[aiomas::agent]` generates.
//!
//! Prints (with the port the container got instead of 5555):
//!
//! ```text
//! Caller('tcp://127.0.0.1:5555/1') connecting to tcp://127.0.0.1:5555/0
//! Caller('tcp://127.0.0.1:5555/1') connected to CalleeProxy('tcp://127.0.0.1:5555/0')
//! Caller('tcp://127.0.0.1:5555/1') got spamspamspam
//! ```

use std::fmt;

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};

/// A reactive agent: it only exposes a method.
struct Callee {
    ctx: AgentContext,
}

#[aiomas::agent]
impl Callee {
    /// Returns a lot of spam.
    #[expose]
    fn spam(&self, times: usize) -> String {
        "spam".repeat(times)
    }
}

/// A proactive agent: it exposes nothing but runs a task that calls the callee.
struct Caller {
    ctx: AgentContext,
}

#[aiomas::agent]
impl Caller {
    /// Connects to the agent at `callee_addr` and calls its `spam()` method.
    async fn run(&self, callee_addr: &str) -> aiomas::Result<()> {
        println!("{self} connecting to {callee_addr}");
        // Ask the container to make a connection to the other agent:
        let callee: CalleeProxy = self
            .ctx
            .container()
            .connect_as(callee_addr, Retry::Never)
            .await?;
        println!("{self} connected to {callee}");
        // "callee" is a proxy to the other agent. It lets us call the exposed methods:
        let result = callee.spam(3).await?;
        println!("{self} got {result}");
        Ok(())
    }
}

/// Shown as Python shows agents: `Caller('tcp://127.0.0.1:5555/1')`.
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ctx.fmt(f)
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the guide binds localhost:5555).
    let container =
        Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
    let callee = container.spawn(|ctx| Callee { ctx });
    let caller = container.spawn(|ctx| Caller { ctx });
    caller.run(callee.ctx.addr()).await?;
    container.shutdown().await;
    Ok(())
}
