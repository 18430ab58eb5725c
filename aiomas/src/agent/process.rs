//! A container run as a process (Python's `aiomas.subproc`): its [`Manager`] serves until it
//! is told to stop or the process gets a signal. Needs the `signal` feature (tokio's signal
//! driver).

use std::sync::Arc;

use tokio::sync::Notify;
use tracing::info;

use super::registry::AgentType;
use super::{Container, ContainerOptions, Manager};
use crate::channel::Addr;
use crate::Error;

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
