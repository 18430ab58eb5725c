//! The clocks as agents use them: tasks sleeping on a shared `Arc<dyn Clock>` while another
//! task steps an `ExternalClock`, or tokio's (paused) time drives a `RealtimeClock`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiomas::clock::{Clock, ClockExt, Deadline, ExternalClock, RealtimeClock};
use chrono::{DateTime, Utc};
use tokio::time::Instant;

fn start() -> DateTime<Utc> {
    "2016-01-01T00:00:00Z".parse().unwrap()
}

/// The "Sleeper" agent of the clocks guide.
async fn sleeper(clock: Arc<dyn Clock>, log: Arc<Mutex<Vec<String>>>) -> aiomas::Result<()> {
    log.lock().unwrap().push("Gonna sleep for 1s ...".into());
    clock.sleep(1.0).await
}

#[tokio::test(start_paused = true)]
async fn external_clock_guide_sleeper_finishes_after_half_a_second() {
    let clock = ExternalClock::new(start(), 0.0);
    let container_clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let log = Arc::new(Mutex::new(Vec::new()));

    // clock_setter(factor=0.5): time passes twice as fast as real time.
    let setter_clock = clock.clone();
    let setter = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            setter_clock.set_time(setter_clock.time() + 1.0).unwrap();
        }
    });

    let begin = Instant::now();
    tokio::spawn(sleeper(container_clock.clone(), log.clone()))
        .await
        .unwrap()
        .unwrap();
    // Tokio's time is paused, so this is exact and independent of the machine's speed.
    assert_eq!(begin.elapsed(), Duration::from_millis(500));
    assert_eq!(*log.lock().unwrap(), ["Gonna sleep for 1s ..."]);
    assert_eq!(container_clock.time(), 1.0);
    assert_eq!(
        container_clock.utcnow(),
        "2016-01-01T00:00:01Z".parse::<DateTime<Utc>>().unwrap()
    );
    setter.abort();
}

#[tokio::test(start_paused = true)]
async fn realtime_clock_guide_sleeper_sleeps_half_a_second() {
    let clock: Arc<dyn Clock> = Arc::new(RealtimeClock::new());
    let begin = Instant::now();
    clock.sleep(0.5).await.unwrap();
    assert!(begin.elapsed() >= Duration::from_millis(500));
    assert!(begin.elapsed() < Duration::from_millis(600));
}

#[tokio::test(flavor = "current_thread")]
async fn external_clock_tasks_resume_in_deadline_order() {
    let clock = ExternalClock::new(start(), 0.0);
    let order = Arc::new(Mutex::new(Vec::new()));
    let deadlines = [3.0, 1.0, 2.0, 1.0, 3.0, 2.0, 1.0];
    let tasks: Vec<_> = deadlines
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            // Registered here, in this order, even though the tasks start later.
            let sleep = clock.sleep_until(Deadline::Time(t));
            let order = order.clone();
            tokio::spawn(async move {
                sleep.await.unwrap();
                order.lock().unwrap().push(i);
            })
        })
        .collect();
    tokio::task::yield_now().await; // let every task reach its sleep
    clock.set_time(5.0).unwrap();
    for task in tasks {
        task.await.unwrap();
    }
    // On a current-thread runtime tasks resume in the order they were woken.
    assert_eq!(*order.lock().unwrap(), [1, 3, 6, 2, 5, 0, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_clock_loses_no_wakeups_under_concurrency() {
    const AGENTS: usize = 16;
    const NAPS: usize = 50;
    let clock = ExternalClock::new(start(), 0.0);
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());

    let agents: Vec<_> = (0..AGENTS)
        .map(|i| {
            let clock = shared.clone();
            tokio::spawn(async move {
                for nap in 0..NAPS {
                    let dt = 0.5 + ((i + nap) % 4) as f64;
                    let deadline = clock.time() + dt;
                    clock.sleep(dt).await.unwrap();
                    // Never woken early (time only grows, so a late check is still valid).
                    assert!(clock.time() >= deadline);
                }
            })
        })
        .collect();

    // Step the clock until every agent is done. A lost wake-up would hang an agent, so the
    // (generous, real-time) timeout only turns a hang into a failure.
    let driver = async {
        while !agents.iter().all(|agent| agent.is_finished()) {
            clock.set_time(clock.time() + 0.5).unwrap();
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), driver)
        .await
        .expect("an agent was never woken");
    for agent in agents {
        agent.await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn external_clock_event_driven_driver_jumps_to_next_deadline() {
    let clock = ExternalClock::new(start(), 0.0);
    let seen = Arc::new(Mutex::new(Vec::new()));
    for dt in [4.0, 1.5, 3.0] {
        let seen = seen.clone();
        let inner = clock.clone();
        clock
            .call_in(dt, move || seen.lock().unwrap().push(inner.time()))
            .unwrap();
    }
    while let Some(t) = clock.next_deadline() {
        clock.set_time(t).unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), [1.5, 3.0, 4.0]);
}

#[tokio::test(start_paused = true)]
async fn the_same_agent_code_runs_on_either_clock() {
    async fn nap_twice(clock: Arc<dyn Clock>) -> f64 {
        let begin = clock.time();
        clock.sleep(1.0).await.unwrap();
        clock.sleep_until((begin + 3.0).into()).await.unwrap();
        clock.time() - begin
    }

    let realtime: Arc<dyn Clock> = Arc::new(RealtimeClock::new());
    let slept = nap_twice(realtime).await;
    assert!((3.0..3.1).contains(&slept), "{slept}");

    let external = ExternalClock::new(start(), 10.0);
    let agent = tokio::spawn(nap_twice(Arc::new(external.clone())));
    while !agent.is_finished() {
        tokio::task::yield_now().await;
        if let Some(t) = external.next_deadline() {
            external.set_time(t).unwrap();
        }
    }
    assert_eq!(agent.await.unwrap(), 3.0);
}
