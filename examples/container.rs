//! The container CLI of the aiomas docs (the module docstring of `aiomas.subproc`), in Rust:
//! a container whose agent 0 is a manager that a master process (e.g. a Python aiomas program
//! that starts this binary as a child process) uses to spawn agents, set the time and stop it.
//! The CLI itself is the library's `aiomas::agent::cli::ContainerCli` (see there for the options and the
//! `READY <manager address>` line); this binary only supplies its registry: `echo:Echo`,
//! `echo:Counter` and `echo:Ticker` (see `shared/echo.rs`). An `Echo` agent's `stop()` stops
//! the process, too.

// Shared by `interop_peer` and `container`; each binary uses a part of them.
#[allow(dead_code)]
#[path = "shared/echo.rs"]
mod echo;

use std::process::ExitCode;

use aiomas::agent::cli::ContainerCli;
use aiomas::agent::AgentType;

/// The agent types a master can spawn, by their full name (`spawn('echo:Echo')`).
static REGISTRY: &[AgentType] = &[
    AgentType::of::<echo::Echo>("echo:Echo"),
    AgentType::of::<echo::Counter>("echo:Counter"),
    AgentType::of::<echo::Ticker>("echo:Ticker"),
];

fn main() -> ExitCode {
    ContainerCli::new("container", REGISTRY)
        .stop_on(echo::stop_requested().notified())
        .run()
}
