//! Lifecycle hooks and a `#[spawn]` constructor: the agent can go into a registry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aiomas::agent::{Agent, AgentContext, AgentType, Spawnable};

pub struct Counter {
    ctx: AgentContext,
    next: AtomicU64,
}

#[derive(Debug)]
pub struct BadStart;

impl std::fmt::Display for BadStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("bad start")
    }
}

#[aiomas::agent]
impl Counter {
    /// Async, fallible, with Python-style parameters.
    #[spawn]
    async fn new(ctx: AgentContext, start: u64, #[default(1)] _step: u64) -> Result<Self, BadStart> {
        if start > 1_000 {
            return Err(BadStart);
        }
        Ok(Counter {
            ctx,
            next: AtomicU64::new(start),
        })
    }

    #[on_start]
    async fn start(self: Arc<Self>) -> aiomas::Result<()> {
        self.ctx.clock().sleep(0.0).await?;
        Ok(())
    }

    #[on_stop]
    fn stop(&self) {
        self.next.store(0, Ordering::SeqCst);
    }

    #[expose]
    fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }
}

/// Without hooks, an agent still is an `Agent`; a plain `fn` constructor is `Spawnable`.
pub struct Quiet;

#[aiomas::agent]
impl Quiet {
    #[spawn]
    fn create(_ctx: AgentContext, #[args] _rest: Vec<aiomas::Value>) -> Quiet {
        Quiet
    }
}

pub static REGISTRY: &[AgentType] = &[
    AgentType::of::<Counter>("counters:Counter"),
    AgentType::of::<Quiet>("quiet:Quiet"),
];

fn assert_agent<A: Agent + Spawnable>() {}

fn main() {
    assert_agent::<Counter>();
    assert_agent::<Quiet>();
}
