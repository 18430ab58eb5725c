//! Sub-process containers: a container whose agent 0 is a [`Manager`] that spawns agents by
//! name, sets the clock and stops the process (Python's `aiomas.subproc`).

use std::sync::Arc;

use tokio::sync::Notify;
use tracing::info;

use super::registry::{spawn_by_name, AgentType};
use super::{Agent, AgentContext, Container, ContainerOptions};
use crate::channel::Addr;
use crate::rpc::{self, Args, Exception, Route, Service};
use crate::Error;

/// The manager agent: `spawn(qualname, *args, **kwargs)`, `set_time(t)`, `stop()`.
pub struct Manager {
    ctx: AgentContext,
    registry: &'static [AgentType],
    stop: Arc<Notify>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let types: Vec<&str> = self.registry.iter().map(AgentType::name).collect();
        f.debug_struct("Manager")
            .field("ctx", &self.ctx)
            .field("registry", &types)
            .finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager that spawns the types of `registry` and signals `stop` when told to stop.
    pub fn new(ctx: AgentContext, registry: &'static [AgentType], stop: Arc<Notify>) -> Self {
        Manager {
            ctx,
            registry,
            stop,
        }
    }
}

impl Service for Manager {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match name {
            "spawn" => Route::method(move |mut args: Args| async move {
                let qualname: String = args.required("qualname")?;
                let positional: Vec<crate::Value> = args.rest_args()?;
                let keywords: Vec<(String, crate::Value)> = {
                    let map: std::collections::BTreeMap<String, crate::Value> =
                        args.rest_kwargs()?;
                    map.into_iter().collect()
                };
                args.finish()?;
                let agent_args = Args::new(qualname.clone(), positional, keywords);
                let container = self.ctx.container().map_err(Exception::from)?;
                let (agent, addr) =
                    spawn_by_name(self.registry, &container, &qualname, agent_args).await?;
                info!("spawned {qualname} at {addr}");
                rpc::__private::encode(&(agent, addr))
            }),
            "set_time" => Route::method(move |mut args: Args| async move {
                let time: f64 = args.required("time")?;
                args.finish()?;
                self.ctx.clock().set_time(time).map_err(Exception::from)?;
                rpc::__private::encode(&())
            }),
            "stop" => Route::method(move |args: Args| async move {
                args.finish()?;
                self.stop.notify_one();
                rpc::__private::encode(&())
            }),
            _ => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "Manager"
    }

    fn module_path(&self) -> &'static str {
        "aiomas.subproc"
    }
}

impl Agent for Manager {}

/// Runs a container on `addr` with a [`Manager`] as agent 0 until the manager is told to stop
/// or the process gets SIGINT/SIGTERM (Ctrl-C on Windows); then shuts the container down.
///
/// `ready` is called with the manager's address once the container listens.
///
/// ```
/// use aiomas::agent::{run_manager, Container, ContainerOptions};
/// use aiomas::channel::{Addr, Retry};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let (ready, manager_addr) = tokio::sync::oneshot::channel();
/// let manager = tokio::spawn(run_manager(Addr::local("manager-docs"), ContainerOptions::default(), &[], |addr| {
///     let _ = ready.send(addr.to_owned());
/// }));
/// let addr = manager_addr.await.unwrap();
/// assert_eq!(addr, "local://manager-docs/0");
/// // Whoever started it tells it to stop, as Python's `aiomas.subproc` clients do.
/// let caller = Container::create(Addr::local("manager-docs-caller"), ContainerOptions::default()).await?;
/// let proxy = caller.connect(&addr, Retry::Never).await?;
/// proxy.call("stop", vec![]).await?;
/// tokio::time::timeout(std::time::Duration::from_secs(10), manager).await.unwrap().unwrap()?;
/// caller.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub async fn run_manager(
    addr: Addr,
    options: ContainerOptions,
    registry: &'static [AgentType],
    ready: impl FnOnce(&str),
) -> Result<(), Error> {
    let container = Container::create(addr, options).await?;
    let stop = Arc::new(Notify::new());
    let manager = container.spawn(|ctx| Manager::new(ctx, registry, stop.clone()))?;
    ready(manager.addr());
    tokio::select! {
        () = stop.notified() => info!("stop() received"),
        () = shutdown_signal() => info!("signal received"),
    }
    container.shutdown().await;
    Ok(())
}

/// Resolves on SIGINT or SIGTERM (on Unix), or on Ctrl-C (elsewhere, where there is no SIGTERM).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    unix_shutdown_signal().await;
    #[cfg(not(unix))]
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(unix)]
async fn unix_shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
