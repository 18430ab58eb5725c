//! The handle of a scheduled call.

use std::fmt;
use std::sync::{Mutex, PoisonError};

/// Lets you cancel a call scheduled with [`call_in`](super::ClockExt::call_in) or
/// [`call_at`](super::ClockExt::call_at).
///
/// As with asyncio's `TimerHandle`, dropping the handle does *not* cancel the call: scheduling
/// is fire-and-forget unless you keep the handle.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// use aiomas::clock::{ClockExt, ExternalClock};
///
/// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
/// let called = Arc::new(AtomicBool::new(false));
/// let flag = called.clone();
/// let handle = clock.call_in(1.0, move || flag.store(true, Ordering::SeqCst))?;
/// handle.cancel();
/// clock.set_time(2.0)?;
/// assert!(!called.load(Ordering::SeqCst));
/// # Ok::<(), aiomas::Error>(())
/// ```
pub struct TimerHandle {
    // `FnOnce` behind a `Mutex` rather than `Fn`: the cancel action may own values that are
    // `Send` but not `Sync` (e.g. a channel sender), and it must run at most once anyway.
    on_cancel: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl TimerHandle {
    /// A handle whose first [`cancel`](Self::cancel) runs `on_cancel`; for implementations of
    /// [`Clock`](super::Clock).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let cancels = Arc::new(AtomicUsize::new(0));
    /// let counter = cancels.clone();
    /// let handle = aiomas::clock::TimerHandle::new(move || {
    ///     counter.fetch_add(1, Ordering::SeqCst);
    /// });
    /// handle.cancel();
    /// handle.cancel();
    /// assert_eq!(cancels.load(Ordering::SeqCst), 1);
    /// ```
    pub fn new(on_cancel: impl FnOnce() + Send + 'static) -> Self {
        TimerHandle {
            on_cancel: Mutex::new(Some(Box::new(on_cancel))),
        }
    }

    /// Cancels the scheduled call; it will not run unless it has already started.
    ///
    /// Cancelling again, or after the call ran, does nothing.
    ///
    /// ```
    /// let handle = aiomas::clock::TimerHandle::new(|| ());
    /// handle.cancel();
    /// assert!(handle.cancelled());
    /// ```
    pub fn cancel(&self) {
        let on_cancel = self.lock().take();
        // Run outside of the lock: the action may drop the callback, whose captures may
        // do anything in their `Drop`, including looking at this handle.
        if let Some(on_cancel) = on_cancel {
            on_cancel();
        }
    }

    /// Whether [`cancel`](Self::cancel) has been called (asyncio's `TimerHandle.cancelled()`).
    ///
    /// ```
    /// let handle = aiomas::clock::TimerHandle::new(|| ());
    /// assert!(!handle.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.lock().is_none()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<dyn FnOnce() + Send>>> {
        // Nothing runs under this lock that could leave the `Option` half-updated.
        self.on_cancel
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Shows whether the call has been cancelled.
///
/// ```
/// let handle = aiomas::clock::TimerHandle::new(|| ());
/// assert_eq!(format!("{handle:?}"), "TimerHandle { cancelled: false }");
/// ```
impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    fn counting() -> (TimerHandle, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counter = count.clone();
        let handle = TimerHandle::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        (handle, count)
    }

    #[test]
    fn cancel_runs_the_action_once() {
        let (handle, count) = counting();
        assert!(!handle.cancelled());
        handle.cancel();
        handle.cancel();
        assert!(handle.cancelled());
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn dropping_does_not_cancel() {
        let (handle, count) = counting();
        drop(handle);
        assert_eq!(count.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn handles_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TimerHandle>();
    }
}
