//! Generic conveniences on top of the object-safe [`Clock`].

use super::{Clock, Deadline, TimerHandle};
use crate::Result;

/// Scheduling with plain closures, on every [`Clock`], trait objects included.
///
/// A separate trait because generic methods would make `Clock` unusable as `dyn Clock`, and
/// `where Self: Sized` methods on it would not be callable on an `Arc<dyn Clock>`.
///
/// ```
/// use std::sync::Arc;
/// use aiomas::clock::{Clock, ClockExt, ExternalClock};
///
/// let clock: Arc<dyn Clock> = Arc::new(ExternalClock::new(chrono::Utc::now(), 0.0));
/// let handle = clock.call_in(1.0, || println!("tick"))?;
/// handle.cancel();
/// # Ok::<(), aiomas::Error>(())
/// ```
pub trait ClockExt: Clock {
    /// Schedules `f` to run in `dt` seconds and returns at once, with a handle to cancel it.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use aiomas::clock::{Clock, ClockExt, ExternalClock};
    ///
    /// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
    /// let (tx, rx) = mpsc::channel();
    /// clock.call_in(1.0, move || tx.send("called").unwrap())?;
    /// clock.set_time(1.0)?;
    /// assert_eq!(rx.try_recv().unwrap(), "called");
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    fn call_in<F>(&self, dt: f64, f: F) -> Result<TimerHandle>
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_in_boxed(dt, Box::new(f))
    }

    /// Schedules `f` to run when the clock reaches `when` (a time or a date) and returns at
    /// once, with a handle to cancel it. Fails with `Date "…" is in the past` if `when` is not
    /// in the future.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use aiomas::clock::{ClockExt, ExternalClock};
    ///
    /// let clock = ExternalClock::new("2016-01-01T00:00:00Z".parse().unwrap(), 0.0);
    /// let (tx, rx) = mpsc::channel();
    /// let noon: chrono::DateTime<chrono::Utc> = "2016-01-01T12:00:00Z".parse().unwrap();
    /// clock.call_at(noon, move || tx.send("lunch").unwrap())?;
    /// assert!(clock.call_at(0.0, || ()).is_err()); // not in the future
    /// clock.set_time(12.0 * 3600.0)?;
    /// assert_eq!(rx.try_recv().unwrap(), "lunch");
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    fn call_at<F>(&self, when: impl Into<Deadline>, f: F) -> Result<TimerHandle>
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_at_boxed(when.into(), Box::new(f))
    }
}

impl<C: Clock + ?Sized> ClockExt for C {}
