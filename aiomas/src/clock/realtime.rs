//! The real-time clock (Python's `AsyncioClock`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::{Clock, Deadline, Sleep, TimerHandle};
use crate::Result;

/// Where tokio itself puts "never": far enough to not matter, near enough to be representable.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// Real time: tokio's monotonic clock and the system's UTC date. The default container clock.
///
/// [`time`](Clock::time) counts seconds since the clock was created, on tokio's
/// [`Instant`], so it follows tokio's paused or advanced time in tests
/// (`#[tokio::test(start_paused = true)]`). [`utcnow`](Clock::utcnow) is the system's wall
/// clock, which tokio cannot pause.
///
/// As with asyncio, `sleep` and `call_in` accept any `dt` (zero, negative and NaN are due at
/// once); `sleep_until` and `call_at` refuse deadlines that are not in the future.
///
/// ```
/// use aiomas::clock::{Clock, ClockExt, RealtimeClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let clock = RealtimeClock::new();
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// clock.call_in(0.01, move || tx.send(()).unwrap())?;
/// rx.await.unwrap();
/// assert!(clock.time() >= 0.01);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RealtimeClock {
    origin: Instant,
}

impl RealtimeClock {
    /// A clock whose [`time`](Clock::time) starts at `0.0` now.
    ///
    /// Needs no runtime; the sleeps and calls it makes do (see [`Clock::call_in_boxed`]).
    ///
    /// ```
    /// use aiomas::clock::{Clock, RealtimeClock};
    /// let clock = RealtimeClock::new();
    /// assert!(clock.time() < 3600.0);
    /// ```
    pub fn new() -> Self {
        RealtimeClock {
            origin: Instant::now(),
        }
    }

    /// The instant at clock time `t`.
    fn instant_at(&self, t: f64) -> Instant {
        after(self.origin, t)
    }

    /// Spawns the call on the current runtime, cancelled by aborting its task.
    fn spawn_at(deadline: Instant, f: Box<dyn FnOnce() + Send>) -> TimerHandle {
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            f();
        });
        let abort = task.abort_handle();
        TimerHandle::new(move || abort.abort())
    }
}

/// Same as [`RealtimeClock::new`].
///
/// ```
/// let clock = aiomas::clock::RealtimeClock::default();
/// # let _ = clock;
/// ```
impl Default for RealtimeClock {
    fn default() -> Self {
        RealtimeClock::new()
    }
}

/// `base + secs`, treating non-positive and NaN delays as "now" (asyncio runs them at once)
/// and delays too large for an `Instant` as "never".
fn after(base: Instant, secs: f64) -> Instant {
    if secs.is_nan() || secs <= 0.0 {
        return base;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .and_then(|delay| base.checked_add(delay))
        .or_else(|| base.checked_add(FAR_FUTURE))
        .expect("an instant 30 years ahead is representable")
}

/// The clock's methods; `call_in_boxed` and `call_at_boxed` (and so `call_in` and `call_at`)
/// spawn a task, and like `tokio::spawn` they panic outside a tokio runtime.
///
/// ```
/// use aiomas::clock::{Clock, ClockExt, RealtimeClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let clock = RealtimeClock::new();
/// let handle = clock.call_at(clock.time() + 60.0, || panic!("cancelled before it was due"))?;
/// handle.cancel();
/// let err = clock.call_at(clock.time(), || ()).unwrap_err();
/// assert!(err.to_string().ends_with("is in the past"));
/// # Ok(())
/// # }
/// ```
impl Clock for RealtimeClock {
    fn time(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    fn utcnow(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, dt: f64) -> Sleep {
        Sleep::realtime(after(Instant::now(), dt))
    }

    fn sleep_until(&self, when: Deadline) -> Sleep {
        match when.resolve(self.time(), self.utcnow()) {
            Ok(t) => Sleep::realtime(self.instant_at(t)),
            Err(err) => Sleep::failed(err),
        }
    }

    fn call_in_boxed(&self, dt: f64, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        Ok(Self::spawn_at(after(Instant::now(), dt), f))
    }

    fn call_at_boxed(&self, when: Deadline, f: Box<dyn FnOnce() + Send>) -> Result<TimerHandle> {
        let t = when.resolve(self.time(), self.utcnow())?;
        Ok(Self::spawn_at(self.instant_at(t), f))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use chrono::TimeDelta;
    use tokio::sync::oneshot;

    use super::*;
    use crate::clock::ClockExt;
    use crate::Error;

    #[tokio::test(start_paused = true)]
    async fn time_follows_tokios_clock() {
        let clock = RealtimeClock::new();
        assert_eq!(clock.time(), 0.0);
        tokio::time::advance(Duration::from_millis(2500)).await;
        assert_eq!(clock.time(), 2.5);
        let later = clock.time();
        assert!(clock.time() >= later);
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_waits_dt_seconds() {
        let clock = RealtimeClock::new();
        clock.sleep(1.5).await.unwrap();
        assert!(clock.time() >= 1.5, "{}", clock.time());
        assert!(clock.time() < 1.6, "{}", clock.time());
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_accepts_zero_negative_and_nan_like_asyncio() {
        let clock = RealtimeClock::new();
        for dt in [0.0, -1.0, f64::NAN] {
            clock.sleep(dt).await.unwrap();
        }
        assert!(clock.time() < 0.01);
    }

    #[tokio::test(start_paused = true)]
    async fn an_infinite_sleep_is_pending() {
        let clock = RealtimeClock::new();
        let sleep = clock.sleep(f64::INFINITY);
        assert!(tokio::time::timeout(Duration::from_secs(86_400), sleep)
            .await
            .is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_until_a_time() {
        let clock = RealtimeClock::new();
        clock.sleep_until(Deadline::Time(3.0)).await.unwrap();
        assert!(clock.time() >= 3.0);
        assert!(clock.time() < 3.1);
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_until_a_date() {
        let clock = RealtimeClock::new();
        // The date is converted against the wall clock, which tokio cannot pause; a long
        // sleep and a wide margin keep a slow machine from mattering.
        let date = clock.utcnow() + TimeDelta::seconds(100);
        clock.sleep_until(date.into()).await.unwrap();
        assert!((90.0..=100.1).contains(&clock.time()), "{}", clock.time());
    }

    #[tokio::test(start_paused = true)]
    async fn sleep_until_the_past_fails_like_python() {
        let clock = RealtimeClock::new();
        tokio::time::advance(Duration::from_secs(2)).await;
        let err = clock.sleep_until(Deadline::Time(1.0)).await.unwrap_err();
        assert!(matches!(err, Error::Value(_)));
        assert_eq!(err.to_string(), r#"Date "1.0" is in the past"#);

        let past = "2016-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let err = clock.sleep_until(past.into()).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"Date "2016-01-01T00:00:00+00:00" is in the past"#
        );
    }

    #[test]
    fn sleeps_can_be_made_outside_a_runtime() {
        let clock = RealtimeClock::new();
        let sleep = clock.sleep(0.001);
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(sleep)
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn call_in_runs_after_dt() {
        let clock = RealtimeClock::new();
        let (tx, rx) = oneshot::channel();
        let clock2 = clock;
        clock
            .call_in(2.0, move || tx.send(clock2.time()).unwrap())
            .unwrap();
        let called_at = rx.await.unwrap();
        assert!((2.0..2.1).contains(&called_at), "{called_at}");
    }

    #[tokio::test(start_paused = true)]
    async fn call_at_runs_at_the_deadline() {
        let clock = RealtimeClock::new();
        let (tx, rx) = oneshot::channel();
        clock
            .call_at(4.0, move || tx.send(clock.time()).unwrap())
            .unwrap();
        let called_at = rx.await.unwrap();
        assert!((4.0..4.1).contains(&called_at), "{called_at}");
    }

    #[tokio::test(start_paused = true)]
    async fn call_at_the_past_fails_like_python() {
        let clock = RealtimeClock::new();
        tokio::time::advance(Duration::from_secs(1)).await;
        let err = clock.call_at(0.5, || ()).unwrap_err();
        assert_eq!(err.to_string(), r#"Date "0.5" is in the past"#);
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_prevents_the_call() {
        let clock = RealtimeClock::new();
        let called = Arc::new(AtomicBool::new(false));
        let flag = called.clone();
        let handle = clock
            .call_in(1.0, move || flag.store(true, Ordering::SeqCst))
            .unwrap();
        handle.cancel();
        assert!(handle.cancelled());
        tokio::time::sleep(Duration::from_secs(5)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!called.load(Ordering::SeqCst));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_handle_does_not_cancel() {
        let clock = RealtimeClock::new();
        let (tx, rx) = oneshot::channel();
        drop(clock.call_in(1.0, move || tx.send(()).unwrap()).unwrap());
        rx.await.unwrap();
    }

    #[test]
    fn set_time_is_refused() {
        let clock: &dyn Clock = &RealtimeClock::new();
        let err = clock.set_time(5.0).unwrap_err();
        assert!(matches!(err, Error::Value(_)));
        assert_eq!(
            err.to_string(),
            "Cannot set the time to 5.0: only an ExternalClock can be set"
        );
    }

    #[tokio::test]
    async fn utcnow_is_the_system_date() {
        let clock = RealtimeClock::new();
        let before = Utc::now();
        let now = clock.utcnow();
        assert!(now >= before && now <= Utc::now());
    }
}
