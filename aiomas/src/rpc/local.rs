//! Calls to services of this very process (a container's own agents) without a socket and
//! without encoding: the in-container fast path.
//!
//! A call keeps the semantics of a remote one. Its arguments and result are copies the callee
//! and caller own (so they share nothing by reference): [`Value`](crate::Value) trees for
//! dynamic proxies, tapes for typed ones (a `Value` tree laid out flat on reused buffers, read
//! back exactly as the tree would be, so values and errors are the same); it is resolved
//! by the same router with the same exceptions, which reach the caller as the same
//! [`Error::Remote`]; it runs inline until it first waits and then as a task of its own, owned
//! by the endpoint (as the connection server runs remote calls); service references in it stay
//! callable, since a reference to a local service turns back into a local proxy.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::Poll;
use std::time::Duration;

use crate::shutdown::CancellationToken;
use crate::shutdown::TaskTracker;
use smol_str::SmolStr;
use tokio::sync::oneshot;

use super::service::{start_call, Outcome, Started};
use super::{Args, Exception, Reply, Root};
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::{Error, RemoteError};

/// How many local calls may run inline inside one another (a calls b calls c ... before any
/// of them waits) before the next one goes to a task of its own. Inline polling nests stack
/// frames, which a remote call never does; this bound keeps a synchronous call chain between
/// agents (ping-pong recursion) from overflowing the stack. Anchor: tokio's cooperative budget
/// of 128 polls per task tick; a quarter of it keeps a chain's stack well below 1 MiB.
pub const MAX_INLINE_LOCAL_CALLS: u32 = 32;

/// How long closing an endpoint waits for the local calls it cancelled to be dropped.
/// Anchor: the 2 s grace a closing connection gives the calls it serves.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

thread_local! {
    /// Local calls being polled inline on this thread, one inside the other.
    static INLINE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// The in-process door to a root service: what proxies to that root's services call when
/// they live in the same process. Registered by root id, so a [`ServiceRef`](crate::ServiceRef)
/// to the root (e.g. an agent's `ctx.me()`) becomes a local proxy again.
pub(crate) struct LocalEndpoint {
    root_id: u64,
    /// Weak: agents keep proxies to each other, and must not keep their container alive.
    root: Weak<Root>,
    /// Shown as the origin of exceptions and in proxies' `Display`, as a peer address is.
    origin: String,
    /// The calls that waited and went on in a task of their own.
    calls: TaskTracker,
    closed: CancellationToken,
}

fn registry() -> &'static Mutex<HashMap<u64, Weak<LocalEndpoint>>> {
    static ENDPOINTS: OnceLock<Mutex<HashMap<u64, Weak<LocalEndpoint>>>> = OnceLock::new();
    ENDPOINTS.get_or_init(Mutex::default)
}

impl LocalEndpoint {
    /// Opens the in-process door to `root`; `origin` names it like a peer address.
    pub(crate) fn open(root: &Arc<Root>, origin: String) -> Arc<LocalEndpoint> {
        let endpoint = Arc::new(LocalEndpoint {
            root_id: root.id,
            root: Arc::downgrade(root),
            origin,
            calls: TaskTracker::new(),
            closed: CancellationToken::new(),
        });
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(root.id, Arc::downgrade(&endpoint));
        endpoint
    }

    /// The endpoint of root `root_id`, if that root is served in this process.
    pub(crate) fn lookup(root_id: u64) -> Option<Arc<LocalEndpoint>> {
        let endpoints = registry().lock().unwrap_or_else(|p| p.into_inner());
        endpoints.get(&root_id)?.upgrade()
    }

    /// The id of the root behind this endpoint (what service references to it carry).
    pub(crate) fn root_id(&self) -> u64 {
        self.root_id
    }

    /// The name shown as the origin of the endpoint's exceptions.
    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    /// Refuses further calls and cancels the running ones (their callers get a connection
    /// error), at once; see [`close`](Self::close) to also wait for them.
    pub(crate) fn shut(&self) {
        self.closed.cancel();
        self.calls.close();
    }

    /// [`shut`](Self::shut), then waits (briefly) until the cancelled calls are dropped.
    pub(crate) async fn close(&self) {
        self.shut();
        if tokio::time::timeout(CLOSE_GRACE, self.calls.wait())
            .await
            .is_err()
        {
            tracing::debug!(origin = %self.origin, "local calls did not stop in time");
        }
    }

    fn closed_error(&self) -> Error {
        ConnectionError::new(
            ConnectionErrorKind::Closed,
            format!("the services at {} are closed", self.origin),
        )
        .into()
    }

    /// Runs `path` with `args` on the root, as the connection server runs a remote request.
    pub(crate) async fn call(&self, path: SmolStr, args: Args) -> Result<Reply, Error> {
        let root = match self.root.upgrade() {
            Some(root) if !self.closed.is_cancelled() => root,
            _ => return Err(self.closed_error()),
        };
        let later = match start_call(root.service.clone(), path, args) {
            Started::Done(outcome) => return self.finished_inline(outcome).await,
            Started::Later(later) => later,
        };
        let mut run: Pin<Box<dyn Future<Output = Outcome> + Send>> = Box::pin(later.run());
        // Inline until it first waits (unless calls already nest deeply on this thread).
        if INLINE_DEPTH.get() < MAX_INLINE_LOCAL_CALLS {
            let first = std::future::poll_fn(|cx| {
                let _nested = InlineGuard::enter();
                Poll::Ready(run.as_mut().poll(cx))
            })
            .await;
            if let Poll::Ready(outcome) = first {
                return self.finished_inline(outcome).await;
            }
        }
        let (reply, replied) = oneshot::channel();
        let closed = self.closed.clone();
        // The call goes on even if the caller stops waiting, as a remote call does.
        self.calls.spawn(async move {
            tokio::select! {
                biased;
                () = closed.cancelled() => {}
                outcome = run => {
                    let _ = reply.send(outcome);
                }
            }
        });
        match replied.await {
            Ok(outcome) => outcome.map_err(|exc| self.exception(&exc)),
            Err(_) => Err(self.closed_error()),
        }
    }

    /// The answer to a call that finished without waiting. A remote call always lets the
    /// runtime run others; a loop of local calls that never wait must too, once the task's
    /// budget is spent.
    async fn finished_inline(&self, outcome: Outcome) -> Result<Reply, Error> {
        tokio::task::consume_budget().await;
        outcome.map_err(|exc| self.exception(&exc))
    }

    /// The error a remote caller gets for `exc`.
    pub(crate) fn exception(&self, exc: &Exception) -> Error {
        RemoteError::from_exception(&self.origin, exc.kind(), exc.message()).into()
    }
}

impl Drop for LocalEndpoint {
    fn drop(&mut self) {
        let mut endpoints = registry().lock().unwrap_or_else(|p| p.into_inner());
        // A newer endpoint of the same root may have replaced this one's entry.
        if endpoints
            .get(&self.root_id)
            .is_some_and(|entry| entry.strong_count() == 0)
        {
            endpoints.remove(&self.root_id);
        }
    }
}

/// Counts one inline poll of a local call on this thread while it lasts.
struct InlineGuard;

impl InlineGuard {
    fn enter() -> InlineGuard {
        INLINE_DEPTH.set(INLINE_DEPTH.get() + 1);
        InlineGuard
    }
}

impl Drop for InlineGuard {
    fn drop(&mut self) {
        INLINE_DEPTH.set(INLINE_DEPTH.get() - 1);
    }
}
