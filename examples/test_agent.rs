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

use aiomas::agent::{AgentContext, Container};

/// An agent that is both proactive (`run()`) and reactive (`service()`).
struct TestAgent(AgentContext);

#[aiomas::agent]
impl TestAgent {
    /// Builds the agent (the container passes its context) and says hello.
    fn new(ctx: AgentContext) -> Self {
        println!("Ohai, I am {ctx}");
        TestAgent(ctx)
    }

    /// Calls `service(42)` of the agent at `addr`.
    async fn run(&self, addr: &str) -> aiomas::Result<()> {
        let remote_agent: TestAgentProxy = self.0.connect_as(addr).await?;
        let ret = remote_agent.service(42).await?;
        println!("{} got {ret} from {remote_agent}", self.0);
        Ok(())
    }

    /// Returns `value`.
    #[expose]
    fn service(&self, value: i64) -> i64 {
        value
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the docs bind localhost:5555).
    let c = Container::bind("127.0.0.1:0").await?;
    // Agent 0 is spawned first, then agent 1, whose address agent 0's `run()` gets.
    c.spawn(TestAgent::new)?
        .run(c.spawn(TestAgent::new)?.addr())
        .await?;
    c.shutdown().await;
    Ok(())
}
