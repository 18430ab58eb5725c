//! The multi-agent system of the introduction of Python aiomas' documentation (`index.rst`):
//! two `TestAgent`s, the first calls the `service()` of the second.
//!
//! Prints (with the port the container got instead of 5555):
//!
//! ```text
//! Ohai, I am TestAgent('tcp://127.0.0.1:5555/0')
//! Ohai, I am TestAgent('tcp://127.0.0.1:5555/1')
//! TestAgent('tcp://127.0.0.1:5555/0') got 42 from TestAgentProxy('tcp://127.0.0.1:5555/1')
//! ```

use std::fmt;

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};

/// An agent that is both proactive (`run()`) and reactive (`service()`).
struct TestAgent {
    ctx: AgentContext,
}

impl TestAgent {
    /// Builds the agent (the container passes its context) and says hello.
    fn new(ctx: AgentContext) -> Self {
        let agent = TestAgent { ctx };
        println!("Ohai, I am {agent}");
        agent
    }
}

#[aiomas::agent]
impl TestAgent {
    /// Calls `service(42)` of the agent at `addr`.
    async fn run(&self, addr: &str) -> aiomas::Result<()> {
        let remote_agent: TestAgentProxy =
            self.ctx.container().connect_as(addr, Retry::Never).await?;
        let ret = remote_agent.service(42).await?;
        println!("{self} got {ret} from {remote_agent}");
        Ok(())
    }

    /// Returns `value`.
    #[expose]
    fn service(&self, value: i64) -> i64 {
        value
    }
}

/// Shown as Python shows agents: `TestAgent('tcp://127.0.0.1:5555/0')`.
impl fmt::Display for TestAgent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ctx.fmt(f)
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the docs bind localhost:5555).
    let c = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
    let agents: Vec<_> = (0..2).map(|_| c.spawn(TestAgent::new)).collect();
    agents[0].run(agents[1].ctx.addr()).await?;
    c.shutdown().await;
    Ok(())
}
