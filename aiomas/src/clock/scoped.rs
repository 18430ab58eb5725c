//! A container's view of its clock: the calls it schedules end with the container.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use chrono::{DateTime, Utc};

use super::{Clock, Deadline, Sleep, TimerHandle};
use crate::{Error, Result};

/// The scheduled calls not yet run, by number; `None` once closed.
#[derive(Default)]
struct Timers {
    pending: Mutex<Option<Pending>>,
}

#[derive(Default)]
struct Pending {
    next: u64,
    /// `None` while the call is being scheduled.
    handles: HashMap<u64, Option<TimerHandle>>,
}

impl Timers {
    fn lock(&self) -> MutexGuard<'_, Option<Pending>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn forget(&self, id: u64) -> Option<TimerHandle> {
        self.lock().as_mut()?.handles.remove(&id).flatten()
    }
}

/// Wraps a shared clock for one container: [`close`](Self::close) cancels every call that the
/// container's agents scheduled with `call_in`/`call_at` and not yet run, and refuses new ones,
/// so no timer (nor what its callback holds) outlives the container.
pub(crate) struct ScopedClock {
    clock: Arc<dyn Clock>,
    timers: Arc<Timers>,
}

impl ScopedClock {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        let timers = Timers::default();
        *timers.lock() = Some(Pending::default());
        ScopedClock {
            clock,
            timers: Arc::new(timers),
        }
    }

    /// Cancels the pending calls; later ones are refused.
    pub(crate) fn close(&self) {
        let pending = self.timers.lock().take();
        for handle in pending
            .into_iter()
            .flat_map(|p| p.handles.into_values())
            .flatten()
        {
            handle.cancel();
        }
    }

    /// The number of scheduled calls not yet run or cancelled.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.timers.lock().as_ref().map_or(0, |p| p.handles.len())
    }

    fn schedule(
        &self,
        f: Box<dyn FnOnce() + Send>,
        schedule: impl FnOnce(Box<dyn FnOnce() + Send>) -> Result<TimerHandle>,
    ) -> Result<TimerHandle> {
        let id = {
            let mut pending = self.timers.lock();
            let pending = pending
                .as_mut()
                .ok_or_else(|| Error::Value("the container is shut down".into()))?;
            pending.next += 1;
            pending.handles.insert(pending.next, None);
            pending.next
        };
        let timers: Weak<Timers> = Arc::downgrade(&self.timers);
        let run = Box::new(move || {
            if let Some(timers) = timers.upgrade() {
                timers.forget(id);
            }
            f();
        });
        let handle = match schedule(run) {
            Ok(handle) => handle,
            Err(err) => {
                self.timers.forget(id);
                return Err(err);
            }
        };
        let mut pending = self.timers.lock();
        match pending.as_mut().and_then(|p| p.handles.get_mut(&id)) {
            // Still pending: keep the clock's handle to cancel at close.
            Some(slot) => *slot = Some(handle),
            // Already run, or closed meanwhile.
            None => {
                let closed = pending.is_none();
                drop(pending);
                if closed {
                    handle.cancel();
                }
            }
        }
        let timers = Arc::downgrade(&self.timers);
        Ok(TimerHandle::new(move || {
            if let Some(handle) = timers.upgrade().and_then(|t| t.forget(id)) {
                handle.cancel();
            }
        }))
    }
}

impl Clock for ScopedClock {
    fn time(&self) -> f64 {
        self.clock.time()
    }

    fn utcnow(&self) -> DateTime<Utc> {
        self.clock.utcnow()
    }

    fn sleep(&self, dt: f64) -> Sleep {
        self.clock.sleep(dt)
    }

    fn sleep_until(&self, when: Deadline) -> Sleep {
        self.clock.sleep_until(when)
    }

    fn set_time(&self, t: f64) -> Result<()> {
        self.clock.set_time(t)
    }

    fn call_in_boxed(&self, dt: f64, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        self.schedule(f, |run| self.clock.call_in_boxed(dt, run))
    }

    fn call_at_boxed(&self, when: Deadline, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        self.schedule(f, |run| self.clock.call_at_boxed(when, run))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::{ClockExt, ExternalClock, RealtimeClock};

    #[tokio::test(start_paused = true)]
    async fn close_cancels_realtime_calls_and_drops_their_captures() {
        let clock = ScopedClock::new(Arc::new(RealtimeClock::new()));
        let held = Arc::new(());
        let captured = held.clone();
        clock.call_in(60.0, move || drop(captured)).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        clock.call_in(0.5, move || tx.send(()).unwrap()).unwrap();
        rx.await.unwrap();
        assert_eq!(clock.pending(), 1, "the call that ran is forgotten");
        clock.close();
        tokio::task::yield_now().await;
        assert_eq!(Arc::strong_count(&held), 1, "the callback is dropped");
        tokio::time::advance(Duration::from_secs(120)).await;
        assert!(clock.call_in(1.0, || ()).is_err(), "closed");
    }

    #[test]
    fn handles_still_cancel_and_errors_pass_through() {
        let external = ExternalClock::new(Utc::now(), 0.0);
        let clock = ScopedClock::new(Arc::new(external.clone()));
        let handle = clock.call_in(1.0, || panic!("cancelled")).unwrap();
        handle.cancel();
        assert_eq!(clock.pending(), 0);
        assert!(clock.call_in(-1.0, || ()).is_err());
        assert_eq!(clock.pending(), 0, "a refused call leaves nothing behind");
        external.set_time(2.0).unwrap();
    }
}
