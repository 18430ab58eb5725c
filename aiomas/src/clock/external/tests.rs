//! `ExternalClock` against Python's semantics, with wake-ups observed through recording wakers
//! so that the order checked is the clock's, not a scheduler's.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use chrono::{DateTime, Utc};

use super::*;
use crate::clock::ClockExt;

fn date(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn clock() -> ExternalClock {
    ExternalClock::new(date("2016-01-01T00:00:00Z"), 0.0)
}

type Log = Arc<Mutex<Vec<String>>>;

/// A waker that writes its name into a shared log when woken.
struct Recorder {
    name: String,
    log: Log,
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.name.clone());
    }
}

fn recorder(name: impl Into<String>, log: &Log) -> Waker {
    Waker::from(Arc::new(Recorder {
        name: name.into(),
        log: log.clone(),
    }))
}

fn poll(sleep: &mut Sleep, waker: &Waker) -> Poll<Result<()>> {
    Pin::new(sleep).poll(&mut Context::from_waker(waker))
}

fn taken(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn pending_entries(clock: &ExternalClock) -> usize {
    clock.shared.lock().queue.len()
}

#[test]
fn starts_at_init_time() {
    assert_eq!(clock().time(), 0.0);
    let clock = ExternalClock::new(date("2016-01-01T00:00:00Z"), -1.0);
    assert_eq!(clock.time(), -1.0);
}

#[test]
#[should_panic(expected = "NaN")]
fn a_nan_init_time_is_refused() {
    ExternalClock::new(date("2016-01-01T00:00:00Z"), f64::NAN);
}

#[test]
fn utcnow_is_utc_start_plus_time() {
    let clock = ExternalClock::new(date("2016-01-01T00:00:00Z"), -1.0);
    assert_eq!(clock.utcnow(), date("2015-12-31T23:59:59Z"));
    clock.set_time(0.0).unwrap();
    assert_eq!(clock.utcnow(), date("2016-01-01T00:00:00Z"));
    clock.set_time(1.5).unwrap();
    assert_eq!(clock.utcnow(), date("2016-01-01T00:00:01.5Z"));
    clock.set_time(86_400.0 + 3_600.0 + 60.0 + 1.25).unwrap();
    assert_eq!(clock.utcnow(), date("2016-01-02T01:01:01.25Z"));
}

#[test]
fn set_time_moves_forward_only() {
    let clock = clock();
    clock.set_time(2.0).unwrap();
    assert_eq!(clock.time(), 2.0);
    for (t, text) in [
        (2.0, "2.0"),
        (1.0, "1.0"),
        (-5.0, "-5.0"),
        (f64::NAN, "nan"),
    ] {
        let err = clock.set_time(t).unwrap_err();
        assert!(matches!(err, Error::Value(_)));
        assert_eq!(err.python_kind(), "ValueError");
        assert_eq!(err.to_string(), format!("Time must be > 2.0 but is {text}"));
    }
    assert_eq!(clock.time(), 2.0);
}

#[test]
fn clones_share_one_clock() {
    let clock = clock();
    let other = clock.clone();
    other.set_time(3.0).unwrap();
    assert_eq!(clock.time(), 3.0);
}

#[test]
fn sleep_needs_a_positive_dt() {
    let clock = clock();
    let log = Log::default();
    let waker = recorder("w", &log);
    for (dt, text) in [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (-1.0, "-1.0"),
        (f64::NAN, "nan"),
    ] {
        let Poll::Ready(Err(err)) = poll(&mut clock.sleep(dt), &waker) else {
            panic!("sleep({dt}) was accepted");
        };
        assert_eq!(err.to_string(), format!("dt must be > 0 but is {text}"));
    }
    assert_eq!(pending_entries(&clock), 0);
}

#[test]
fn a_dt_lost_to_rounding_is_in_the_past() {
    // Python checks `time + dt` again, and 1e16 + 1 == 1e16 in floating point.
    let clock = ExternalClock::new(date("2016-01-01T00:00:00Z"), 1e16);
    let waker = recorder("w", &Log::default());
    let Poll::Ready(Err(err)) = poll(&mut clock.sleep(1.0), &waker) else {
        panic!("sleep was accepted");
    };
    assert_eq!(err.to_string(), r#"Date "1e+16" is in the past"#);
}

#[test]
fn sleep_wakes_when_the_time_is_reached() {
    let clock = clock();
    let log = Log::default();
    let waker = recorder("sleeper", &log);
    let mut sleep = clock.sleep(1.0);
    assert!(poll(&mut sleep, &waker).is_pending());
    clock.set_time(0.5).unwrap();
    assert!(taken(&log).is_empty());
    assert!(poll(&mut sleep, &waker).is_pending());
    clock.set_time(1.0).unwrap();
    assert_eq!(taken(&log), ["sleeper"]);
    assert!(matches!(poll(&mut sleep, &waker), Poll::Ready(Ok(()))));
}

#[test]
fn sleep_is_relative_to_the_current_time() {
    let clock = clock();
    clock.set_time(10.0).unwrap();
    let _sleep = clock.sleep(2.5);
    assert_eq!(clock.next_deadline(), Some(12.5));
}

#[test]
fn a_sleep_registers_when_created_not_when_polled() {
    let clock = clock();
    let log = Log::default();
    let mut sleep = clock.sleep(1.0);
    clock.set_time(5.0).unwrap();
    assert!(matches!(
        poll(&mut sleep, &recorder("late", &log)),
        Poll::Ready(Ok(()))
    ));
    assert!(taken(&log).is_empty());
}

#[test]
fn sleepers_wake_in_deadline_then_registration_order() {
    let clock = clock();
    let log = Log::default();
    let deadlines = [5.0, 1.0, 3.0, 1.0, 2.0, 5.0, 3.0, 1.0, 4.0, 2.0];
    let mut sleeps: Vec<_> = deadlines
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let mut sleep = clock.sleep_until(t.into());
            assert!(poll(&mut sleep, &recorder(format!("{i}@{t}"), &log)).is_pending());
            sleep
        })
        .collect();

    clock.set_time(2.0).unwrap();
    assert_eq!(taken(&log), ["1@1", "3@1", "7@1", "4@2", "9@2"]);
    clock.set_time(2.5).unwrap();
    assert!(taken(&log).is_empty());
    clock.set_time(10.0).unwrap();
    assert_eq!(taken(&log), ["2@3", "6@3", "8@4", "0@5", "5@5"]);

    let waker = recorder("unused", &log);
    for sleep in &mut sleeps {
        assert!(matches!(poll(sleep, &waker), Poll::Ready(Ok(()))));
    }
    assert_eq!(pending_entries(&clock), 0);
}

#[test]
fn many_sleepers_at_equal_deadlines_keep_registration_order() {
    let clock = clock();
    let log = Log::default();
    let sleeps: Vec<_> = (0..100)
        .map(|i| {
            let mut sleep = clock.sleep(1.0 + f64::from(i % 3));
            assert!(poll(&mut sleep, &recorder(i.to_string(), &log)).is_pending());
            sleep
        })
        .collect();
    clock.set_time(3.0).unwrap();
    let expected: Vec<String> = (0..3)
        .flat_map(|rest| (0..100).filter(move |i| i % 3 == rest))
        .map(|i| i.to_string())
        .collect();
    assert_eq!(taken(&log), expected);
    drop(sleeps);
}

#[test]
fn sleepers_and_calls_come_due_in_one_order() {
    let clock = clock();
    let log = Log::default();
    let mut first = clock.sleep_until(1.0.into());
    assert!(poll(&mut first, &recorder("sleep@1", &log)).is_pending());
    let call_log = log.clone();
    clock
        .call_at(1.0, move || call_log.lock().unwrap().push("call@1".into()))
        .unwrap();
    let call_log = log.clone();
    clock
        .call_at(0.5, move || {
            call_log.lock().unwrap().push("call@0.5".into())
        })
        .unwrap();
    let mut last = clock.sleep_until(2.0.into());
    assert!(poll(&mut last, &recorder("sleep@2", &log)).is_pending());

    clock.set_time(2.0).unwrap();
    assert_eq!(taken(&log), ["call@0.5", "sleep@1", "call@1", "sleep@2"]);
}

#[test]
fn the_latest_waker_is_woken() {
    let clock = clock();
    let log = Log::default();
    let mut sleep = clock.sleep(1.0);
    assert!(poll(&mut sleep, &recorder("first", &log)).is_pending());
    assert!(poll(&mut sleep, &recorder("second", &log)).is_pending());
    clock.set_time(1.0).unwrap();
    assert_eq!(taken(&log), ["second"]);
}

#[test]
fn dropping_a_sleep_withdraws_it() {
    let clock = clock();
    let log = Log::default();
    let mut sleep = clock.sleep(1.0);
    assert!(poll(&mut sleep, &recorder("dropped", &log)).is_pending());
    let never_polled = clock.sleep(2.0);
    assert_eq!(pending_entries(&clock), 2);
    drop(sleep);
    drop(never_polled);
    assert_eq!(pending_entries(&clock), 0);
    assert_eq!(clock.next_deadline(), None);
    clock.set_time(3.0).unwrap();
    assert!(taken(&log).is_empty());
}

#[test]
fn sleep_until_a_time_or_a_date() {
    // utcnow() is utc_start + time(), so a date D is due at clock time D - utc_start.
    let clock = ExternalClock::new(date("2016-01-01T00:00:00Z"), 100.0);
    assert_eq!(clock.utcnow(), date("2016-01-01T00:01:40Z"));
    let log = Log::default();
    let mut by_time = clock.sleep_until(160.0.into());
    let mut by_date = clock.sleep_until(date("2016-01-01T00:02:30Z").into());
    let offset = DateTime::parse_from_rfc3339("2016-01-01T01:02:45+01:00").unwrap();
    let mut by_offset_date = clock.sleep_until(offset.into());
    assert!(poll(&mut by_time, &recorder("time", &log)).is_pending());
    assert!(poll(&mut by_date, &recorder("date", &log)).is_pending());
    assert!(poll(&mut by_offset_date, &recorder("offset", &log)).is_pending());
    assert_eq!(clock.next_deadline(), Some(150.0));

    clock.set_time(155.0).unwrap();
    assert_eq!(taken(&log), ["date"]);
    clock.set_time(200.0).unwrap();
    assert_eq!(taken(&log), ["time", "offset"]);
}

#[test]
fn sleep_until_the_past_fails_like_python() {
    let clock = ExternalClock::new(date("2016-01-01T00:00:00Z"), 100.0);
    let waker = recorder("w", &Log::default());
    let cases = [
        (Deadline::Time(100.0), r#"Date "100.0" is in the past"#),
        (Deadline::Time(99.5), r#"Date "99.5" is in the past"#),
        (
            // Before utcnow (00:01:40), though after utc_start.
            Deadline::Date(date("2016-01-01T00:01:00Z")),
            r#"Date "2016-01-01T00:01:00+00:00" is in the past"#,
        ),
        (
            Deadline::Date(date("2016-01-01T00:01:40Z")),
            r#"Date "2016-01-01T00:01:40+00:00" is in the past"#,
        ),
    ];
    for (deadline, message) in cases {
        let Poll::Ready(Err(err)) = poll(&mut clock.sleep_until(deadline), &waker) else {
            panic!("{deadline:?} was accepted");
        };
        assert!(matches!(err, Error::Value(_)));
        assert_eq!(err.to_string(), message);
    }
    assert_eq!(pending_entries(&clock), 0);
}

fn flag() -> (Arc<AtomicBool>, impl FnOnce() + Send + 'static) {
    let flag = Arc::new(AtomicBool::new(false));
    let setter = flag.clone();
    (flag, move || setter.store(true, Ordering::SeqCst))
}

#[test]
fn call_in_runs_when_the_time_is_reached() {
    let clock = clock();
    clock.set_time(1.0).unwrap();
    let (called, f) = flag();
    let handle = clock.call_in(2.0, f).unwrap();
    clock.set_time(2.9).unwrap();
    assert!(!called.load(Ordering::SeqCst));
    clock.set_time(3.0).unwrap();
    assert!(called.load(Ordering::SeqCst));
    assert!(!handle.cancelled());
    handle.cancel(); // after the call ran: nothing to do
}

#[test]
fn call_in_needs_a_positive_dt() {
    let clock = clock();
    for (dt, text) in [(0.0, "0.0"), (-2.0, "-2.0"), (f64::NAN, "nan")] {
        let err = clock.call_in(dt, || ()).unwrap_err();
        assert_eq!(err.to_string(), format!("dt must be > 0 but is {text}"));
    }
}

#[test]
fn call_at_a_time_or_a_date() {
    let clock = clock();
    let (by_time, f) = flag();
    clock.call_at(2.0, f).unwrap();
    let (by_date, f) = flag();
    clock.call_at(date("2016-01-01T00:00:04Z"), f).unwrap();
    clock.set_time(3.0).unwrap();
    assert!(by_time.load(Ordering::SeqCst));
    assert!(!by_date.load(Ordering::SeqCst));
    clock.set_time(4.0).unwrap();
    assert!(by_date.load(Ordering::SeqCst));
}

#[test]
fn call_at_the_past_fails_like_python() {
    let clock = clock();
    clock.set_time(5.0).unwrap();
    let err = clock.call_at(5.0, || ()).unwrap_err();
    assert_eq!(err.to_string(), r#"Date "5.0" is in the past"#);
    let err = clock
        .call_at(date("2016-01-01T00:00:01Z"), || ())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Date "2016-01-01T00:00:01+00:00" is in the past"#
    );
    assert_eq!(pending_entries(&clock), 0);
}

#[test]
fn cancel_prevents_the_call_and_frees_it() {
    let clock = clock();
    let (called, f) = flag();
    let handle = clock.call_in(1.0, f).unwrap();
    assert_eq!(pending_entries(&clock), 1);
    handle.cancel();
    assert!(handle.cancelled());
    assert_eq!(pending_entries(&clock), 0);
    clock.set_time(2.0).unwrap();
    assert!(!called.load(Ordering::SeqCst));
}

#[test]
fn dropping_the_handle_does_not_cancel() {
    let clock = clock();
    let (called, f) = flag();
    drop(clock.call_in(1.0, f).unwrap());
    clock.set_time(1.0).unwrap();
    assert!(called.load(Ordering::SeqCst));
}

#[test]
fn a_call_can_cancel_a_later_call_due_in_the_same_step() {
    let clock = clock();
    let (called, f) = flag();
    let later = clock.call_at(2.0, f).unwrap();
    clock.call_at(1.0, move || later.cancel()).unwrap();
    clock.set_time(5.0).unwrap();
    assert!(!called.load(Ordering::SeqCst));
}

#[test]
fn a_call_can_use_the_clock() {
    let clock = clock();
    let log = Log::default();
    let (inner_clock, inner_log) = (clock.clone(), log.clone());
    clock
        .call_at(1.0, move || {
            let entry_log = inner_log.clone();
            inner_log
                .lock()
                .unwrap()
                .push(inner_clock.time().to_string());
            inner_clock
                .call_in(1.0, move || entry_log.lock().unwrap().push("again".into()))
                .unwrap();
            // Re-entrant stepping must neither deadlock nor reorder.
            inner_clock.set_time(1.5).unwrap();
        })
        .unwrap();
    let tail_log = log.clone();
    clock
        .call_at(1.2, move || tail_log.lock().unwrap().push("1.2".into()))
        .unwrap();
    clock.set_time(1.2).unwrap();
    assert_eq!(taken(&log), ["1.2", "1.2"]);
    assert_eq!(clock.time(), 1.5);
    clock.set_time(2.5).unwrap();
    assert_eq!(taken(&log), ["again"]);
}

#[test]
fn a_panicking_call_does_not_stop_the_others() {
    let clock = clock();
    let log = Log::default();
    let mut sleep = clock.sleep(2.0);
    assert!(poll(&mut sleep, &recorder("sleeper", &log)).is_pending());
    clock.call_at(1.0, || panic!("boom")).unwrap();
    let (called, f) = flag();
    clock.call_at(1.0, f).unwrap();
    clock.set_time(2.0).unwrap();
    assert!(called.load(Ordering::SeqCst));
    assert_eq!(taken(&log), ["sleeper"]);
}

#[test]
fn next_deadline_is_the_earliest_pending_one() {
    let clock = clock();
    assert_eq!(clock.next_deadline(), None);
    let _late = clock.sleep(5.0);
    let early = clock.call_in(2.0, || ()).unwrap();
    assert_eq!(clock.next_deadline(), Some(2.0));
    early.cancel();
    assert_eq!(clock.next_deadline(), Some(5.0));
}

#[test]
fn works_as_a_trait_object() {
    let external = clock();
    let clock: Arc<dyn Clock> = Arc::new(external.clone());
    let (called, f) = flag();
    clock.call_in(1.0, f).unwrap();
    let _sleep = clock.sleep_until(3.0.into());
    external.set_time(1.0).unwrap();
    assert!(called.load(Ordering::SeqCst));
    assert_eq!(clock.time(), 1.0);
    assert_eq!(clock.utcnow(), date("2016-01-01T00:00:01Z"));
    assert_eq!(external.next_deadline(), Some(3.0));
    // Stepping through the trait object, as a container's owner does.
    clock.set_time(3.0).unwrap();
    assert_eq!(external.next_deadline(), None);
    let err = clock.set_time(3.0).unwrap_err();
    assert_eq!(err.to_string(), "Time must be > 3.0 but is 3.0");
}
