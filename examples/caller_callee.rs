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

use aiomas::agent::{AgentContext, Container};

/// A reactive agent: it only exposes a method.
struct Callee;

#[aiomas::agent]
impl Callee {
    /// Returns a lot of spam.
    #[expose]
    fn spam(&self, times: usize) -> String {
        "spam".repeat(times)
    }
}

/// A proactive agent: it exposes nothing but runs a task that calls the callee.
struct Caller(AgentContext);

#[aiomas::agent]
impl Caller {
    /// Connects to the agent at `callee_addr` and calls its `spam()` method.
    async fn run(&self, callee_addr: &str) -> aiomas::Result<()> {
        println!("{} connecting to {callee_addr}", self.0);
        // Ask the container to make a connection to the other agent:
        let callee: CalleeProxy = self.0.connect_as(callee_addr).await?;
        println!("{} connected to {callee}", self.0);
        // "callee" is a proxy to the other agent. It lets us call the exposed methods:
        println!("{} got {}", self.0, callee.spam(3).await?);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the guide binds localhost:5555).
    let container = Container::bind("127.0.0.1:0").await?;
    let callee = container.spawn(|_| Callee)?;
    let caller = container.spawn(Caller)?;
    caller.run(callee.addr()).await?;
    container.shutdown().await;
    Ok(())
}
