//! The agent layer: containers host many agents behind one server socket; agents call each
//! other through proxies.
//!
//! An agent is a service whose impl block carries `#[aiomas::agent]`. The container hands each
//! agent an [`AgentContext`] when it is spawned: its id, address, container and clock.
//!
//! - Lifecycle ([`Agent`]): an optional start hook runs once after the spawn as a task of the
//!   container; an optional stop hook is awaited at [`Container::remove`] and at
//!   [`Container::shutdown`] (bounded by [`STOP_HOOK_TIMEOUT`]). An agent task that fails or
//!   panics is logged with the agent's address and handed to
//!   [`ContainerOptions::on_task_failure`] ([`TaskFailure`]).
//! - Handles: [`Container::spawn`] returns an [`AgentHandle`] (id, address, derefs to the
//!   agent); [`Container::agent`] looks one up by id, typed.
//! - Spawning by name: a `#[spawn]` constructor makes a type [`Spawnable`]; a registry of
//!   [`AgentType`]s (full `module:Class` names) lets a [`Manager`] (agent 0 of a sub-process
//!   container, see [`cli`] for the docs' container CLI) spawn it for a remote master.
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use aiomas::agent::{AgentContext, Container, ContainerOptions};
//! use aiomas::channel::{Addr, Retry};
//!
//! struct Counter {
//!     ctx: AgentContext,
//!     total: AtomicU64,
//! }
//!
//! #[aiomas::agent]
//! impl Counter {
//!     /// Agents are called concurrently, so state uses interior mutability.
//!     #[expose]
//!     fn add(&self, n: u64) -> u64 {
//!         self.total.fetch_add(n, Ordering::Relaxed) + n
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! // `local://` is the in-process transport; TCP and Unix sockets work the same way.
//! let container = Container::create(Addr::local("agent-docs"), ContainerOptions::default()).await?;
//! let counter = container.spawn(|ctx| Counter { ctx, total: AtomicU64::new(0) })?;
//! assert_eq!(counter.addr(), "local://agent-docs/0");
//!
//! let proxy: CounterProxy = container.connect_as(counter.addr(), Retry::Never).await?;
//! assert_eq!(proxy.add(2).await?, 2);
//! assert_eq!(proxy.add(3).await?, 5);
//! assert_eq!(proxy.to_string(), "CounterProxy('local://agent-docs/0')");
//! container.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod connect;
mod container;
mod context;
mod handle;
mod lifecycle;
mod options;
mod table;
mod url;

pub use container::Container;
pub use context::AgentContext;
pub use handle::AgentHandle;
pub use lifecycle::{Agent, TaskFailure, TaskOutput, STOP_HOOK_TIMEOUT};
pub use options::{ContainerOptions, DEFAULT_VALIDATE_TIMEOUT};
#[cfg(feature = "cli")]
pub mod cli;
mod manager;
#[cfg(feature = "signal")]
mod process;
mod registry;

pub use manager::Manager;
#[cfg(feature = "signal")]
pub use process::{run_manager, shutdown_signal};
pub use registry::{AgentType, Spawnable};

#[cfg(test)]
mod tests;
