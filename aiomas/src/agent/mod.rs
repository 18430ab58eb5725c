//! The agent layer: containers host many agents behind one server socket; agents call each
//! other through proxies (SPEC section 5).
//!
//! An agent is a service whose impl block carries `#[aiomas::agent]`. The container hands each
//! agent an [`AgentContext`] when it is spawned: its id, address, container and clock.

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
mod manager;
mod registry;

pub use manager::{run_manager, shutdown_signal, Manager};
pub use registry::{AgentType, Spawnable};

#[cfg(test)]
mod tests;
