//! Container clocks (SPEC section 6, Python's `aiomas.clocks`).
//!
//! Every container has a [`Clock`]; agents sleep and schedule on it instead of on tokio's
//! timers, so the same agents run in real time ([`RealtimeClock`], the default) or in the time
//! of a simulator that steps an [`ExternalClock`].
//!
//! Times are `f64` seconds of the clock's monotonic [`time`](Clock::time); dates are
//! `DateTime<Utc>`, compared with its [`utcnow`](Clock::utcnow). Both can be a [`Deadline`].
//! [`ClockExt`] (implemented for every clock) schedules plain closures.
//!
//! ```
//! use std::sync::Arc;
//!
//! use aiomas::clock::{Clock, ClockExt, ExternalClock};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! let external = ExternalClock::new("2016-01-01T00:00:00Z".parse().unwrap(), 0.0);
//! let clock: Arc<dyn Clock> = Arc::new(external.clone()); // what a container holds
//!
//! let nap = clock.sleep(10.0);
//! let alarm = clock.call_at(5.0, || println!("five"))?;
//! alarm.cancel();
//! external.set_time(10.0)?;
//! nap.await?;
//! assert_eq!(clock.utcnow().to_rfc3339(), "2016-01-01T00:00:10+00:00");
//! # Ok(())
//! # }
//! ```

mod base;
mod date;
mod deadline;
mod ext;
mod external;
mod pyfmt;
mod queue;
mod realtime;
mod scoped;
mod sleep;
mod timer;

pub use base::Clock;
pub use deadline::Deadline;
pub use ext::ClockExt;
pub use external::ExternalClock;
pub use realtime::RealtimeClock;
pub(crate) use scoped::ScopedClock;
pub use sleep::Sleep;
pub use timer::TimerHandle;
