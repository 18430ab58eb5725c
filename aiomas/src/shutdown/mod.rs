//! What shutdowns are built from: [`CancellationToken`] (tell tasks to stop) and
//! [`TaskTracker`] (wait for them, within a grace period).
//!
//! Our own instead of tokio-util's types of the same names, which we used before: tokio-util
//! is a large crate, and its `TaskTracker` needs its `rt` feature, which pulls in
//! `futures-util` and its proc-macro crate. Together they were about an eighth of the cold
//! release build of a minimal user crate (issue 11). Same semantics for what we use.

mod cancel;
mod tracker;

pub(crate) use cancel::CancellationToken;
pub(crate) use tracker::{TaskTracker, TaskTrackerToken};

/// Returns once `done()` holds, checked at first and whenever `notify` wakes its waiters.
async fn wait_until(notify: &tokio::sync::Notify, done: impl Fn() -> bool) {
    loop {
        let woken = notify.notified();
        tokio::pin!(woken);
        // Registered before the check, so a wake-up between check and await is kept.
        woken.as_mut().enable();
        if done() {
            return;
        }
        woken.await;
    }
}

/// Whether `future` completes within 50 ms (for "does not return" checks too).
#[cfg(test)]
async fn returns_soon(future: impl std::future::Future<Output = ()>) -> bool {
    tokio::time::timeout(std::time::Duration::from_millis(50), future)
        .await
        .is_ok()
}
