//! The clock that only moves when told to (Python's `ExternalClock`).

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};

use super::date::add_seconds;
use super::pyfmt::py_float;
use super::queue::{Entry, Key, TimerQueue};
use super::{Clock, Deadline, Sleep, TimerHandle};
use crate::{Error, Result};

/// A clock set from outside, to couple agents with a simulator or another system's clock.
///
/// Its [`time`](Clock::time) starts at `init_time` and moves only when someone calls
/// [`set_time`](Self::set_time); its [`utcnow`](Clock::utcnow) is `utc_start` plus `time()`
/// seconds. Sleeps and calls come due when `set_time` reaches their deadline, in deadline
/// order, equal deadlines in the order they were registered. No tokio timer is involved, so it
/// works on any runtime and with none.
///
/// Clones share one clock: hand one to the container and keep one to step it.
///
/// ```
/// use aiomas::clock::{Clock, ExternalClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let clock = ExternalClock::new("2016-01-01T00:00:00Z".parse().unwrap(), 0.0);
///
/// // The guide's clock_setter(): lets time pass much faster than real time.
/// let setter_clock = clock.clone();
/// let setter = tokio::spawn(async move {
///     loop {
///         tokio::time::sleep(std::time::Duration::from_millis(5)).await;
///         setter_clock.set_time(setter_clock.time() + 1.0).unwrap();
///     }
/// });
///
/// // The guide's Sleeper agent, sleeping for one second of the external clock:
/// clock.sleep(1.0).await?;
/// assert!(clock.time() >= 1.0);
/// setter.abort();
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct ExternalClock {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    utc_start: DateTime<Utc>,
    state: Mutex<State>,
}

struct State {
    time: f64,
    queue: TimerQueue,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // User code (callbacks, wakers, drops) never runs under this lock, so a poisoned lock
        // can only come from an allocation failure, and the state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ExternalClock {
    /// A clock that reads `init_time` and the date `utc_start`.
    ///
    /// Python parses `utc_start` from a string; in Rust, parse it with chrono (a string without
    /// an offset is UTC, as in Python's `arrow.get`):
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    /// use chrono::NaiveDateTime;
    ///
    /// let start = "2016-01-01T00:00:00".parse::<NaiveDateTime>().unwrap().and_utc();
    /// let clock = ExternalClock::new(start, -1.0);
    /// assert_eq!(clock.time(), -1.0);
    /// assert_eq!(clock.utcnow().to_rfc3339(), "2015-12-31T23:59:59+00:00");
    /// ```
    ///
    /// # Panics
    ///
    /// If `init_time` is NaN: no time could ever be set after it.
    pub fn new(utc_start: DateTime<Utc>, init_time: f64) -> Self {
        assert!(!init_time.is_nan(), "init_time must be a number, not NaN");
        ExternalClock {
            shared: Arc::new(Shared {
                utc_start,
                state: Mutex::new(State {
                    time: init_time,
                    queue: TimerQueue::default(),
                }),
            }),
        }
    }

    /// Moves the clock to `t`, which must be greater than `time()` (else `Error::Value`:
    /// `Time must be > NOW but is T`), and runs what came due.
    ///
    /// Entries whose deadline is `t` or earlier are taken in deadline order: a sleeper is
    /// woken (its task resumes when the runtime next polls it) and a scheduled call runs right
    /// here, on the caller's thread, so calls should be quick (spawn a task for more). A call
    /// that panics is logged and does not stop the others. A call may use the clock,
    /// including cancelling calls that are due later in the same step.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    ///
    /// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
    /// clock.set_time(0.5)?;
    /// assert_eq!(clock.time(), 0.5);
    /// let err = clock.set_time(0.5).unwrap_err();
    /// assert_eq!(err.to_string(), "Time must be > 0.5 but is 0.5");
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    pub fn set_time(&self, t: f64) -> Result<()> {
        {
            let mut state = self.shared.lock();
            // Python would accept NaN (every comparison with it is false) and break the clock.
            if t.is_nan() || t <= state.time {
                return Err(Error::Value(format!(
                    "Time must be > {} but is {}",
                    py_float(state.time),
                    py_float(t)
                )));
            }
            state.time = t;
        }
        // One entry per lock, and user code only outside of it: callbacks and wakers may call
        // back into the clock, and a cancel or drop done by an earlier callback still removes
        // an entry that is due in this same step.
        loop {
            let entry = self.shared.lock().queue.pop_due(t);
            match entry {
                None => return Ok(()),
                Some(Entry::Sleeper(waker)) => waker.into_iter().for_each(|w| w.wake()),
                Some(Entry::Call(f)) => run_call(f),
            }
        }
    }

    /// The earliest deadline of a pending sleep or call, if any.
    ///
    /// An event-driven driver can jump straight to it with `set_time` instead of stepping in
    /// fixed increments.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ClockExt, ExternalClock};
    ///
    /// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
    /// assert_eq!(clock.next_deadline(), None);
    /// let sleep = clock.sleep(3.0);
    /// clock.call_in(2.0, || ())?;
    /// assert_eq!(clock.next_deadline(), Some(2.0));
    /// # drop(sleep);
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    pub fn next_deadline(&self) -> Option<f64> {
        self.shared.lock().queue.next_deadline()
    }

    /// Checks `when` and queues `entry` for it, in one critical section so that a concurrent
    /// `set_time` cannot pass the deadline between the check and the insertion.
    fn schedule(&self, when: When, entry: Entry) -> Result<Key> {
        let mut state = self.shared.lock();
        let deadline = match when {
            // NaN is refused too: Python would queue a deadline that never comes due.
            When::In(dt) if dt.is_nan() || dt <= 0.0 => {
                return Err(Error::Value(format!(
                    "dt must be > 0 but is {}",
                    py_float(dt)
                )))
            }
            When::In(dt) => Deadline::Time(state.time + dt),
            When::At(deadline) => deadline,
        };
        let utcnow = add_seconds(self.shared.utc_start, state.time);
        let t = deadline.resolve(state.time, utcnow)?;
        Ok(state.queue.push(t, entry))
    }

    fn sleep_entry(&self, when: When) -> Sleep {
        match self.schedule(when, Entry::Sleeper(None)) {
            Ok(key) => Sleep::external(Waiter {
                shared: self.shared.clone(),
                key,
                done: false,
            }),
            Err(err) => Sleep::failed(err),
        }
    }

    fn call_entry(&self, when: When, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        let key = self.schedule(when, Entry::Call(f))?;
        // Weak: a callback may own its own handle, and must not keep the clock alive by it.
        let shared = Arc::downgrade(&self.shared);
        Ok(TimerHandle::new(move || {
            if let Some(shared) = shared.upgrade() {
                // The guard is gone at the end of this statement; the callback is dropped after.
                let removed = shared.lock().queue.remove(&key);
                drop(removed);
            }
        }))
    }
}

/// A relative (`sleep`, `call_in`) or absolute (`sleep_until`, `call_at`) deadline.
enum When {
    In(f64),
    At(Deadline),
}

/// Runs a due call; a panic is logged and swallowed, as asyncio's loop logs an exception in a
/// callback, so that one bad call does not keep the others (or the sleepers) waiting forever.
fn run_call(f: Box<dyn FnOnce() + Send>) {
    // Unwind safety: nothing of ours is observed after the panic; `f` is gone either way.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        tracing::error!(
            "a call scheduled on an ExternalClock panicked: {}",
            panic_message(&*payload)
        );
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}

/// `sleep` and `call_in` need `dt > 0` (else `Error::Value`: `dt must be > 0 but is DT`) and
/// then behave like `sleep_until(time() + dt)` and `call_at(time() + dt)`, which need a
/// deadline after `time()` (else `Date "…" is in the past`).
///
/// ```
/// use aiomas::clock::{Clock, ClockExt, ExternalClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
/// let err = clock.sleep(0.0).await.unwrap_err();
/// assert_eq!(err.to_string(), "dt must be > 0 but is 0.0");
/// let err = clock.call_at(-1.0, || ()).unwrap_err();
/// assert_eq!(err.to_string(), r#"Date "-1.0" is in the past"#);
/// # }
/// ```
impl Clock for ExternalClock {
    fn time(&self) -> f64 {
        self.shared.lock().time
    }

    fn utcnow(&self) -> DateTime<Utc> {
        add_seconds(self.shared.utc_start, self.time())
    }

    fn sleep(&self, dt: f64) -> Sleep {
        self.sleep_entry(When::In(dt))
    }

    fn sleep_until(&self, when: Deadline) -> Sleep {
        self.sleep_entry(When::At(when))
    }

    fn call_in_boxed(&self, dt: f64, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        self.call_entry(When::In(dt), f)
    }

    fn call_at_boxed(&self, when: Deadline, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        self.call_entry(When::At(when), f)
    }

    fn set_time(&self, t: f64) -> Result<()> {
        ExternalClock::set_time(self, t)
    }
}

/// Shows the time, the start date and how many sleeps and calls are pending.
///
/// ```
/// let clock = aiomas::clock::ExternalClock::new("2016-01-01T00:00:00Z".parse().unwrap(), 0.0);
/// assert_eq!(
///     format!("{clock:?}"),
///     "ExternalClock { time: 0.0, utc_start: 2016-01-01T00:00:00Z, next_deadline: None }",
/// );
/// ```
impl fmt::Debug for ExternalClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("ExternalClock")
            .field("time", &state.time)
            .field("utc_start", &self.shared.utc_start)
            .field("next_deadline", &state.queue.next_deadline())
            .finish()
    }
}

/// The `ExternalClock` side of a [`Sleep`]: done once `set_time` has taken its entry out of
/// the queue; withdraws the entry if dropped before that.
pub(super) struct Waiter {
    shared: Arc<Shared>,
    key: Key,
    done: bool,
}

impl Waiter {
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let mut state = self.shared.lock();
        match state.queue.get_mut(&self.key) {
            Some(Entry::Sleeper(waker)) => {
                match waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => *waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
            // Only `set_time` removes a sleeper's entry while its `Waiter` lives.
            _ => {
                self.done = true;
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if !self.done {
            // The guard is gone at the end of this statement; the waker is dropped after.
            let removed = self.shared.lock().queue.remove(&self.key);
            drop(removed);
        }
    }
}

#[cfg(test)]
mod tests;
