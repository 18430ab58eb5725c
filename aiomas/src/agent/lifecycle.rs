//! What an agent does when it starts and stops, and what happens when one of its tasks fails.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::shutdown::CancellationToken;
use crate::shutdown::TaskTracker;

use crate::rpc::Service;
use crate::rpc::{panic_message, BoxFuture, CatchUnwind};

/// How long [`Container::remove`](super::Container::remove) and
/// [`Container::shutdown`](super::Container::shutdown) wait for an agent's stop hook before
/// they go on without it. Anchor: Kubernetes' default termination grace period is 30 s,
/// systemd's `TimeoutStopSec` 90 s; an agent's stop hook is one step of a container's
/// shutdown, so it gets a fraction of that.
pub const STOP_HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// An agent: a [`Service`] that a [`Container`](super::Container) hosts, with optional
/// lifecycle hooks.
///
/// `#[aiomas::agent]` implements it: a method marked `#[on_start]` becomes
/// [`on_start`](Self::on_start), one marked `#[on_stop]` becomes [`on_stop`](Self::on_stop).
/// A hand-written service becomes an agent with `impl Agent for MyService {}`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
///
/// use aiomas::agent::{AgentContext, Container, ContainerOptions};
/// use aiomas::channel::Addr;
///
/// struct Worker { ctx: AgentContext, started: AtomicBool }
///
/// #[aiomas::agent]
/// impl Worker {
///     #[on_start]
///     async fn start(self: Arc<Self>) {
///         self.started.store(true, Ordering::SeqCst);
///     }
///
///     #[on_stop]
///     async fn stop(&self) {
///         println!("{} stops", self.ctx);
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let container = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default()).await?;
/// let worker = container.spawn(|ctx| Worker { ctx, started: AtomicBool::new(false) })?;
/// tokio::task::yield_now().await;
/// assert!(worker.started.load(Ordering::SeqCst));
/// container.shutdown().await; // prints "Worker('tcp://127.0.0.1:.../0') stops"
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an agent",
    label = "not an agent",
    note = "add `#[aiomas::agent]` to an `impl {Self}` block (with its `#[expose]`d methods); a hand-written `Service` becomes an agent with `impl aiomas::agent::Agent for {Self} {{}}`"
)]
pub trait Agent: Service + Sized {
    /// Runs once after the agent is spawned, as a task of its container (cancelled when the
    /// agent is removed or the container shuts down). An `Err` or a panic is reported (see
    /// [`TaskFailure`]). Does nothing by default.
    fn on_start(self: Arc<Self>) -> impl Future<Output: TaskOutput + Send> + Send + 'static {
        drop(self);
        async {}
    }

    /// Awaited when the agent is removed and when its container shuts down, for at most
    /// [`STOP_HOOK_TIMEOUT`]. Does nothing by default.
    fn on_stop(&self) -> impl Future<Output = ()> + Send + '_ {
        async {}
    }
}

/// What an agent task may return: `()`, or a `Result` whose `Err` is reported as a failure.
pub trait TaskOutput {
    /// The error to report, if the task failed.
    fn failure(&self) -> Option<String>;
}

impl TaskOutput for () {
    fn failure(&self) -> Option<String> {
        None
    }
}

impl<T, E: fmt::Display> TaskOutput for Result<T, E> {
    fn failure(&self) -> Option<String> {
        self.as_ref().err().map(ToString::to_string)
    }
}

/// A task of a container that returned an `Err` or panicked: what
/// [`ContainerOptions::on_task_failure`](super::ContainerOptions::on_task_failure) receives.
/// Every failure is also logged as a `tracing` error.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskFailure {
    /// The address of the agent whose task failed (`None` for [`Container::spawn_task`]).
    ///
    /// [`Container::spawn_task`]: super::Container::spawn_task
    pub agent: Option<String>,
    /// Which task: `"start hook"`, `"stop hook"` or `"task"`.
    pub task: &'static str,
    /// The error's or the panic's message.
    pub message: String,
    /// Whether the task panicked (rather than returned an `Err`).
    pub panicked: bool,
}

impl fmt::Display for TaskFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.panicked { "panicked" } else { "failed" };
        match &self.agent {
            Some(agent) => write!(f, "{} of agent {agent} {how}: {}", self.task, self.message),
            None => write!(f, "container {} {how}: {}", self.task, self.message),
        }
    }
}

/// The user's failure hook.
pub(crate) type FailureHook = Arc<dyn Fn(&TaskFailure) + Send + Sync>;

/// Where the tasks of a container (or of one agent) run: owned by the container's tracker,
/// cancelled by `stop`, failures reported.
#[derive(Clone)]
pub(crate) struct TaskScope {
    pub(crate) tracker: TaskTracker,
    pub(crate) stop: CancellationToken,
    pub(crate) on_failure: Option<FailureHook>,
    /// The agent's address, for reports.
    pub(crate) agent: Option<Arc<str>>,
}

impl TaskScope {
    /// A scope for one agent: its tasks also stop when the agent is removed.
    pub(crate) fn for_agent(&self, addr: &str) -> TaskScope {
        TaskScope {
            tracker: self.tracker.clone(),
            stop: self.stop.child_token(),
            on_failure: self.on_failure.clone(),
            agent: Some(addr.into()),
        }
    }

    /// Runs `task` until it ends or the scope stops; reports an `Err` or a panic (and then
    /// resumes the panic, so the handle sees it).
    pub(crate) fn spawn<F>(
        &self,
        what: &'static str,
        task: F,
    ) -> tokio::task::JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput + Send + 'static,
    {
        let scope = self.clone();
        self.tracker.spawn(async move {
            let guarded = CatchUnwind(Box::pin(task));
            let output = tokio::select! {
                output = guarded => output,
                () = scope.stop.cancelled() => return None,
            };
            match output {
                Ok(output) => {
                    if let Some(message) = output.failure() {
                        scope.report(what, message, false);
                    }
                    Some(output)
                }
                Err(panic) => {
                    scope.report(what, panic_message(&*panic), true);
                    std::panic::resume_unwind(panic)
                }
            }
        })
    }

    /// Awaits an agent's stop hook for at most [`STOP_HOOK_TIMEOUT`]; a panic is reported.
    pub(crate) async fn run_stop_hook(&self, hook: BoxFuture<'static, ()>) {
        match tokio::time::timeout(STOP_HOOK_TIMEOUT, CatchUnwind(hook)).await {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => self.report("stop hook", panic_message(&*panic), true),
            Err(_) => tracing::warn!(
                agent = self.agent.as_deref().unwrap_or(""),
                "the stop hook did not finish within {STOP_HOOK_TIMEOUT:?}"
            ),
        }
    }

    fn report(&self, task: &'static str, message: String, panicked: bool) {
        let failure = TaskFailure {
            agent: self.agent.as_deref().map(str::to_owned),
            task,
            message,
            panicked,
        };
        tracing::error!(agent = failure.agent.as_deref().unwrap_or(""), "{failure}");
        if let Some(hook) = &self.on_failure {
            hook(&failure);
        }
    }
}
