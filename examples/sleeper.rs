//! "How to use the ExternalClock", from the clocks guide of Python aiomas
//! (`docs/guides/clocks.rst`).
//!
//! The `Sleeper` agent sleeps for one second on its container's clock. The container uses an
//! `ExternalClock`, which a background task steps forward by one second every half second of
//! real time, so the agent's "second" passes in about 0.5 s. Swap in
//! `ContainerOptions::default()` (a `RealtimeClock`) and the agent sleeps a real second,
//! without any change to the agent.
//!
//! Prints:
//!
//! ```text
//! Gonna sleep for 1s ...
//! Agent process finished after 0.5s
//! ```

use std::time::{Duration, Instant};

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::Addr;
use aiomas::clock::{Clock, ExternalClock};
use aiomas::Date;

/// An agent that sleeps on its container's clock.
struct Sleeper {
    ctx: AgentContext,
}

#[aiomas::agent]
impl Sleeper {
    /// Sleeps for one second of the container's clock.
    async fn run(&self) -> aiomas::Result<()> {
        println!("Gonna sleep for 1s ...");
        // Not `tokio::time::sleep()`: depending on the clock used, this sleeps for a "real"
        // second or whatever the ExternalClock tells you.
        self.ctx.clock().sleep(1.0).await
    }
}

/// Lets the time of `clock` pass `1 / factor` times as fast as real time.
async fn clock_setter(clock: ExternalClock, factor: f64) -> aiomas::Result<()> {
    loop {
        tokio::time::sleep(Duration::from_secs_f64(factor)).await;
        clock.set_time(clock.time() + 1.0)?;
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let utc_start: Date = "2016-01-01T00:00:00+00:00".parse()?;
    let clock = ExternalClock::new(utc_start.into(), 0.0);

    // Port 0 picks a free port (the guide binds 127.0.0.1:5555).
    let options = ContainerOptions::default().clock(clock.clone());
    let container = Container::create(Addr::tcp("127.0.0.1", 0), options).await?;

    // Start the process that sets the clock:
    let t_clock_setter = tokio::spawn(clock_setter(clock, 0.5));

    // Start the agent and measure how long it runs in real time:
    let agent = container.spawn(|ctx| Sleeper { ctx })?;
    let start = Instant::now();
    agent.run().await?;
    println!(
        "Agent process finished after {:.1}s",
        start.elapsed().as_secs_f64()
    );

    t_clock_setter.abort();
    container.shutdown().await;
    Ok(())
}
