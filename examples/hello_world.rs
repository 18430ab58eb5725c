//! "Hello World: A single, proactive agent", from the agent guide of Python aiomas
//! (`docs/guides/agent.rst`).
//!
//! The agent's task `run()` prints its name and then "Hello, World!" three times, sleeping on
//! its container's clock in between (so a simulation clock would work just as well).
//!
//! Prints:
//!
//! ```text
//! Monty says:
//! Hello, World!
//! Hello, World!
//! Hello, World!
//! ```

use aiomas::agent::{AgentContext, Container};

/// A proactive agent that greets the world.
struct HelloWorld {
    /// The agent's id, address, container and clock.
    ctx: AgentContext,
    /// Our agent's name.
    name: String,
}

#[aiomas::agent]
impl HelloWorld {
    /// The task that our agent performs.
    async fn run(&self) -> aiomas::Result<()> {
        println!("{} says:", self.name);
        for _ in 0..3 {
            self.ctx.clock().sleep(0.1).await?;
            println!("Hello, World!");
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the guide binds localhost:5555).
    let container = Container::bind("127.0.0.1:0").await?;
    // Now we can spawn an agent and run its task:
    let name = "Monty".into();
    container
        .spawn(|ctx| HelloWorld { ctx, name })?
        .run()
        .await?;
    container.shutdown().await; // Close all connections and shut down the server
    Ok(())
}
