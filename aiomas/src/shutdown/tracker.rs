//! [`TaskTracker`]: counts tasks (and other work) so a shutdown can wait for them.
//!
//! `spawn` and `token` count work, `close` marks that no more is expected, and `wait` returns
//! once the tracker is closed and the count is 0 (tasks that are aborted or panic count off
//! too): tokio-util's semantics.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// The state's lowest bit: closed. The rest: twice the number of tracked pieces of work.
const CLOSED: usize = 1;
/// One piece of work in the state.
const ONE: usize = 2;

/// A shared counter of running tasks and other work (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskTracker {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    state: AtomicUsize,
    /// Woken (all waiters) when the tracker becomes closed and empty.
    idle: Notify,
}

impl Inner {
    /// Wakes the waiters if `state` (a value just stored) is closed and empty.
    fn notify_if_idle(&self, state: usize) {
        if state == CLOSED {
            self.idle.notify_waiters();
        }
    }
}

/// One tracked piece of work: counted until dropped.
#[derive(Debug)]
pub(crate) struct TaskTrackerToken {
    inner: Arc<Inner>,
}

impl Drop for TaskTrackerToken {
    fn drop(&mut self) {
        let state = self.inner.state.fetch_sub(ONE, Ordering::AcqRel) - ONE;
        self.inner.notify_if_idle(state);
    }
}

impl TaskTracker {
    /// An open tracker with nothing tracked.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Counts one piece of work until the token is dropped (also after `close`).
    pub(crate) fn token(&self) -> TaskTrackerToken {
        self.inner.state.fetch_add(ONE, Ordering::AcqRel);
        TaskTrackerToken {
            inner: self.inner.clone(),
        }
    }

    /// Spawns `future` on the runtime, counted until it ends or is dropped (aborted).
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(self.track_future(future))
    }

    /// `future`, counted from now until it ends or is dropped.
    pub(crate) fn track_future<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        let token = self.token();
        async move {
            let _token = token;
            future.await
        }
    }

    /// No more work is expected: [`wait`](Self::wait) can return once the count is 0.
    pub(crate) fn close(&self) {
        let state = self.inner.state.fetch_or(CLOSED, Ordering::AcqRel) | CLOSED;
        self.inner.notify_if_idle(state);
    }

    /// Returns once the tracker is closed and no work is counted. Callers bound it with a
    /// timeout (a shutdown grace period).
    pub(crate) async fn wait(&self) {
        let inner = &self.inner;
        super::wait_until(&inner.idle, || {
            inner.state.load(Ordering::Acquire) == CLOSED
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn returns(tracker: &TaskTracker) -> bool {
        super::super::returns_soon(tracker.wait()).await
    }

    #[tokio::test]
    async fn wait_returns_once_closed_and_every_piece_of_work_is_done() {
        let tracker = TaskTracker::new();
        assert!(!returns(&tracker).await, "open");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tracker.spawn(async move { rx.await.is_ok() });
        let token = tracker.token();
        tracker.close();
        assert!(!returns(&tracker).await, "a task and a token");
        tx.send(()).unwrap();
        assert!(task.await.unwrap());
        assert!(!returns(&tracker).await, "a token");
        // A waiter that is already waiting is woken by the last drop.
        let waiter = tokio::spawn({
            let tracker = tracker.clone();
            async move { tracker.wait().await }
        });
        tokio::task::yield_now().await;
        drop(token);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .unwrap();
        assert!(returns(&tracker).await);
    }

    #[tokio::test]
    async fn a_tracked_future_counts_from_its_creation_until_dropped() {
        let tracker = TaskTracker::new();
        let future = tracker.track_future(async {});
        tracker.close();
        assert!(!returns(&tracker).await, "not yet polled");
        drop(future);
        assert!(returns(&tracker).await);
    }

    #[tokio::test]
    async fn aborted_tasks_count_off() {
        let tracker = TaskTracker::new();
        let task = tracker.spawn(std::future::pending::<()>());
        tracker.close();
        task.abort();
        let _ = task.await;
        assert!(returns(&tracker).await);
    }
}
