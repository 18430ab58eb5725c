//! The interface every container clock implements (Python's `BaseClock`).

use chrono::{DateTime, Utc};

use super::pyfmt::py_float;
#[cfg(doc)]
use super::{ClockExt, ExternalClock};
use super::{Deadline, Sleep, TimerHandle};
use crate::{Error, Result};

/// A container clock: a monotonic time in seconds, a UTC date, and sleeping and scheduling
/// against them.
///
/// Agents use their container's clock instead of tokio's timers, so that the same agents run
/// in real time ([`RealtimeClock`](super::RealtimeClock)) or in a simulation's time
/// ([`ExternalClock`](super::ExternalClock)). The trait is object safe; containers hold an
/// `Arc<dyn Clock>`. Scheduling takes closures through [`ClockExt`], implemented for every
/// clock including `dyn Clock`.
///
/// Deadlines that are not in the future are refused with `Error::Value`, like Python's
/// `ValueError`: `sleep_until` and `call_at` on every clock, and on an `ExternalClock` also
/// `sleep` and `call_in` with `dt <= 0`.
///
/// ```
/// use std::sync::Arc;
///
/// use aiomas::clock::{Clock, ExternalClock, RealtimeClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let simulated = ExternalClock::new("2016-01-01T00:00:00Z".parse().unwrap(), 0.0);
/// let clocks: [Arc<dyn Clock>; 2] = [Arc::new(RealtimeClock::new()), Arc::new(simulated.clone())];
/// for clock in clocks {
///     let sleep = clock.sleep(0.01);
///     simulated.set_time(simulated.time() + 1.0)?; // only moves the simulated clock
///     sleep.await?;
/// }
/// # Ok(())
/// # }
/// ```
pub trait Clock: Send + Sync + 'static {
    /// The clock's monotonic time in seconds.
    ///
    /// Never smaller than an earlier reading; where it starts depends on the clock.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    /// let clock = ExternalClock::new(chrono::Utc::now(), 42.0);
    /// assert_eq!(clock.time(), 42.0);
    /// ```
    fn time(&self) -> f64;

    /// The current date in UTC.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    /// let start = "2016-01-01T00:00:00Z".parse().unwrap();
    /// let clock = ExternalClock::new(start, 0.0);
    /// assert_eq!(clock.utcnow(), start);
    /// ```
    fn utcnow(&self) -> DateTime<Utc>;

    /// Sleeps for `dt` seconds of this clock's time.
    ///
    /// ```
    /// use aiomas::clock::{Clock, RealtimeClock};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// RealtimeClock::new().sleep(0.01).await?;
    /// # Ok(())
    /// # }
    /// ```
    fn sleep(&self, dt: f64) -> Sleep;

    /// Sleeps until the clock reaches `when`, a time or a date (use `.into()`); fails with
    /// `Date "…" is in the past` if it is not in the future.
    ///
    /// ```
    /// use aiomas::clock::{Clock, RealtimeClock};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let clock = RealtimeClock::new();
    /// clock.sleep_until((clock.time() + 0.01).into()).await?;
    /// let in_a_moment = clock.utcnow() + chrono::TimeDelta::milliseconds(10);
    /// clock.sleep_until(in_a_moment.into()).await?;
    /// assert!(clock.sleep_until(0.0.into()).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    fn sleep_until(&self, when: Deadline) -> Sleep;

    /// Moves a clock that is driven from outside to `t` ([`ExternalClock::set_time`]); other
    /// clocks refuse with `Error::Value`.
    ///
    /// This lets whoever holds a container's `dyn Clock` (e.g. the sub-process manager agent)
    /// step it, as Python's duck-typed `container.clock.set_time(t)` does.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use aiomas::clock::{Clock, ExternalClock, RealtimeClock};
    ///
    /// let external: Arc<dyn Clock> = Arc::new(ExternalClock::new(chrono::Utc::now(), 0.0));
    /// external.set_time(1.0)?;
    /// assert_eq!(external.time(), 1.0);
    ///
    /// let realtime: Arc<dyn Clock> = Arc::new(RealtimeClock::new());
    /// assert!(realtime.set_time(1.0).is_err());
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    fn set_time(&self, t: f64) -> Result<()> {
        Err(Error::Value(format!(
            "Cannot set the time to {}: only an ExternalClock can be set",
            py_float(t)
        )))
    }

    /// Runs `f` in `dt` seconds; the object-safe form of [`ClockExt::call_in`], which is
    /// what you normally call.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    /// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
    /// clock.call_in_boxed(1.0, Box::new(|| println!("tick")))?;
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    fn call_in_boxed(&self, dt: f64, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle>;

    /// Runs `f` when the clock reaches `when`; the object-safe form of [`ClockExt::call_at`],
    /// which is what you normally call.
    ///
    /// ```
    /// use aiomas::clock::{Clock, ExternalClock};
    /// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
    /// clock.call_at_boxed(5.0.into(), Box::new(|| println!("tick")))?;
    /// # Ok::<(), aiomas::Error>(())
    /// ```
    fn call_at_boxed(&self, when: Deadline, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle>;
}
