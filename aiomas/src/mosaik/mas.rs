//! A container of agents that follows mosaik's time ([`MosaikTime`]).

use chrono::{DateTime, Utc};

use super::data::Time;
use super::proxy::MosaikProxy;
use crate::clock::{Clock, ExternalClock};
use crate::rpc::Exception;

/// How many scheduler rounds in a row without change count as "the agents are idle": 8.
///
/// A round lets every runnable task run to its next await; a chain of local agent calls
/// needs a few rounds, each hop one. (No framework to follow: Python aiomas leaves this to
/// the user's clock setter.)
///
/// ```
/// use aiomas::mosaik::{MAX_SETTLE_ROUNDS, SETTLE_ROUNDS};
/// assert!(SETTLE_ROUNDS < MAX_SETTLE_ROUNDS);
/// ```
pub const SETTLE_ROUNDS: usize = 8;

/// The most scheduler rounds one [`MosaikTime::step`] waits for the agents: 100,000, so agents
/// that never stop working cannot hang a step (they are left running; the step returns).
///
/// ```
/// assert_eq!(aiomas::mosaik::MAX_SETTLE_ROUNDS, 100_000);
/// ```
pub const MAX_SETTLE_ROUNDS: usize = 100_000;

/// Couples a container's [`ExternalClock`] to mosaik's steps.
///
/// Give [`clock`](Self::clock) to the container (`ContainerOptions::default().clock(...)`);
/// in [`Simulator::step`](super::Simulator::step), hand the inputs to the agents, then call
/// [`step`](Self::step) with the step's `time` and `max_advance`: it moves the clock to the
/// step's time (in seconds: `time * time_resolution`), lets the agents run until they are
/// idle, and returns what `step` returns to mosaik: the time of the next wake-up of an agent
/// (a sleep or a scheduled call) in mosaik steps if it is at most `max_advance`.
///
/// mosaik 3 promises no external step before `max_advance + 1` (the earliest time an input
/// can arrive, the simulator's own next scheduled step, or `until + 1`), and nothing more:
/// the world may look different from then on. So a wake-up beyond `max_advance` is not
/// promised to mosaik; `step` asks to be stepped at `max_advance + 1` instead (at least
/// `time + 1`), where the agents' next wake-up is weighed again against the new
/// `max_advance`. The wake-up is never lost, and a wake-up after the end of the simulation
/// (`max_advance` is `until` then) becomes `until + 1`, which mosaik drops.
///
/// "Idle" means: no request to mosaik in flight (agents may use the [`MosaikProxy`]) and no
/// change in the clock's next deadline for [`SETTLE_ROUNDS`] scheduler rounds. Agents run on
/// the simulator's runtime ([`start_simulation`](super::start_simulation) runs a
/// current-thread one, which makes the rounds exact).
///
/// ```
/// use aiomas::clock::{Clock, ClockExt};
/// use aiomas::mosaik::{MosaikProxy, MosaikTime};
///
/// # async fn demo(mosaik: MosaikProxy) -> Result<(), aiomas::rpc::Exception> {
/// let time = MosaikTime::new(chrono::Utc::now(), 1.0);
/// let clock = time.clock().clone();
/// tokio::spawn(async move {
///     loop {
///         clock.sleep(5.0).await.unwrap(); // an agent that wakes every 5 s
///     }
/// });
/// assert_eq!(time.step(0, 100, &mosaik).await?, Some(5));
/// assert_eq!(time.step(5, 100, &mosaik).await?, Some(10));
/// // An input may arrive at 8 (max_advance 7): stepped at 8, the wake-up at 10 not promised.
/// assert_eq!(time.step(6, 7, &mosaik).await?, Some(8));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MosaikTime {
    clock: ExternalClock,
    time_resolution: f64,
}

impl MosaikTime {
    /// A clock at time 0 and date `utc_start`; one mosaik step is `time_resolution` seconds
    /// (what `init` receives).
    ///
    /// ```
    /// use aiomas::clock::Clock;
    /// use aiomas::mosaik::MosaikTime;
    /// let time = MosaikTime::new("2026-01-01T00:00:00Z".parse().unwrap(), 60.0);
    /// assert_eq!(time.clock().time(), 0.0);
    /// assert_eq!(time.seconds(2), 120.0);
    /// ```
    pub fn new(utc_start: DateTime<Utc>, time_resolution: f64) -> Self {
        MosaikTime {
            clock: ExternalClock::new(utc_start, 0.0),
            time_resolution,
        }
    }

    /// The clock for the container.
    ///
    /// ```
    /// use aiomas::agent::ContainerOptions;
    /// use aiomas::mosaik::MosaikTime;
    /// let time = MosaikTime::new(chrono::Utc::now(), 1.0);
    /// let options = ContainerOptions::default().clock(time.clock().clone());
    /// # let _ = options;
    /// ```
    pub fn clock(&self) -> &ExternalClock {
        &self.clock
    }

    /// Seconds of mosaik time `time`.
    ///
    /// ```
    /// use aiomas::mosaik::MosaikTime;
    /// let time = MosaikTime::new(chrono::Utc::now(), 0.5);
    /// assert_eq!(time.seconds(10), 5.0);
    /// ```
    pub fn seconds(&self, time: Time) -> f64 {
        time as f64 * self.time_resolution
    }

    /// Moves the clock to `time` (if it is later), waits until the agents are idle, and
    /// returns the next wake-up in mosaik steps (rounded up) if it is at most `max_advance`,
    /// else `max_advance + 1` (at least `time + 1`; see the type's docs), or `None` if no
    /// agent waits for a wake-up.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-time-step-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// use aiomas::clock::{Clock, ClockExt};
    /// use aiomas::mosaik::MosaikTime;
    /// let time = MosaikTime::new(chrono::Utc::now(), 1.0);
    /// let clock = time.clock().clone();
    /// tokio::spawn(async move { clock.sleep(30.0).await }); // an agent that waits 30 s
    /// assert_eq!(time.step(0, 100, &proxy).await.unwrap(), Some(30));
    /// // A wake-up beyond max_advance is not promised to mosaik.
    /// assert_eq!(time.step(10, 19, &proxy).await.unwrap(), Some(20));
    /// assert_eq!(time.clock().time(), 10.0);
    /// # Ok(()) }
    /// ```
    pub async fn step(
        &self,
        time: Time,
        max_advance: Time,
        mosaik: &MosaikProxy,
    ) -> Result<Option<Time>, Exception> {
        let target = self.seconds(time);
        if target > self.clock.time() {
            self.clock.set_time(target)?;
        }
        self.settle(mosaik).await;
        Ok(self.clock.next_deadline().map(|deadline| {
            let wake_up = (deadline / self.time_resolution).ceil() as Time;
            // A deadline inside the current step is due at once: the next step. (mosaik
            // gives `max_advance = time - 1` when an input may come at `time` itself.)
            wake_up.min(max_advance.saturating_add(1)).max(time + 1)
        }))
    }

    /// Yields to the runtime until the agents are idle (see the type's docs).
    async fn settle(&self, mosaik: &MosaikProxy) {
        let mut last = self.clock.next_deadline();
        let mut quiet = 0;
        for _ in 0..MAX_SETTLE_ROUNDS {
            if quiet >= SETTLE_ROUNDS {
                return;
            }
            tokio::task::yield_now().await;
            if mosaik.requests_in_flight() > 0 {
                mosaik.all_answered().await;
                quiet = 0;
                continue;
            }
            let next = self.clock.next_deadline();
            if next == last {
                quiet += 1;
            } else {
                last = next;
                quiet = 0;
            }
        }
        tracing::warn!("agents still busy after {MAX_SETTLE_ROUNDS} rounds; stepping on");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::channel::{self, Addr, ChannelOptions};
    use crate::clock::Clock;

    /// A stand-in for mosaik that answers every request with 42.5 (as `get_progress`).
    async fn fake_mosaik() -> (channel::Server, MosaikProxy) {
        let server = channel::start_server(
            Addr::tcp("127.0.0.1", 0),
            ChannelOptions::default(),
            |channel| async move {
                while let Ok(request) = channel.recv().await {
                    let _ = request.reply(42.5);
                }
            },
        )
        .await
        .unwrap();
        let channel = channel::open_connection(server.addr(), ChannelOptions::default())
            .await
            .unwrap();
        (server, MosaikProxy::new(channel))
    }

    /// `max_advance` of a simulator without triggering inputs: mosaik's `until`.
    const UNTIL: Time = 1_000;

    /// What an agent saw at its wake-ups: the clock's time and mosaik's progress.
    type Seen = Arc<Mutex<Vec<(f64, f64)>>>;

    /// A fake mosaik, a [`MosaikTime`] of `time_resolution` and an agent on its clock that
    /// wakes every `period` seconds and asks mosaik for the progress (a request in flight
    /// that the step must wait for).
    async fn agent_behind_mosaik(
        time_resolution: f64,
        period: f64,
    ) -> (
        channel::Server,
        MosaikProxy,
        MosaikTime,
        tokio::task::JoinHandle<()>,
        Seen,
    ) {
        let (server, mosaik) = fake_mosaik().await;
        let time = MosaikTime::new(chrono::Utc::now(), time_resolution);
        let seen = Seen::default();
        let (clock, proxy, log) = (time.clock().clone(), mosaik.clone(), seen.clone());
        let agent = tokio::spawn(async move {
            loop {
                clock.sleep(period).await.unwrap();
                let progress = proxy.get_progress().await.unwrap();
                log.lock().unwrap().push((clock.time(), progress));
            }
        });
        (server, mosaik, time, agent, seen)
    }

    #[tokio::test(flavor = "current_thread")]
    async fn steps_move_the_clock_and_wait_for_agents_asking_mosaik() {
        // One mosaik step is half a second.
        let (_server, mosaik, time, agent, seen) = agent_behind_mosaik(0.5, 1.0).await;
        assert_eq!(time.step(0, UNTIL, &mosaik).await.unwrap(), Some(2));
        assert!(seen.lock().unwrap().is_empty());
        // The agent wakes at 1.0 s, asks mosaik, and sleeps again until 2.0 s: step 4.
        assert_eq!(time.step(2, UNTIL, &mosaik).await.unwrap(), Some(4));
        assert_eq!(*seen.lock().unwrap(), [(1.0, 42.5)]);
        assert_eq!(time.step(3, UNTIL, &mosaik).await.unwrap(), Some(4));
        assert_eq!(time.clock().time(), 1.5);
        assert_eq!(time.step(4, UNTIL, &mosaik).await.unwrap(), Some(6));
        assert_eq!(seen.lock().unwrap().len(), 2);
        agent.abort();
    }

    /// The next wake-up is returned only up to `max_advance`; beyond it, the step asks for
    /// `max_advance + 1`, and the wake-up comes back once `max_advance` reaches it.
    #[tokio::test(flavor = "current_thread")]
    async fn wake_ups_beyond_max_advance_wait_for_max_advance_plus_1() {
        let (_server, mosaik, time, agent, woken) = agent_behind_mosaik(1.0, 10.0).await;
        // Within max_advance: the wake-up itself (also when it is max_advance exactly).
        assert_eq!(time.step(0, UNTIL, &mosaik).await.unwrap(), Some(10));
        assert_eq!(time.step(1, 10, &mosaik).await.unwrap(), Some(10));
        // An input may come at 4: be stepped then, not promised a step at 10.
        assert_eq!(time.step(2, 3, &mosaik).await.unwrap(), Some(4));
        // An input may come at this very step's time (max_advance = time - 1).
        assert_eq!(time.step(4, 3, &mosaik).await.unwrap(), Some(5));
        assert!(woken.lock().unwrap().is_empty());
        assert_eq!(time.step(10, UNTIL, &mosaik).await.unwrap(), Some(20));
        assert_eq!(*woken.lock().unwrap(), [(10.0, 42.5)]);
        // A wake-up after the end (max_advance = until = 15): until + 1, which mosaik drops.
        assert_eq!(time.step(12, 15, &mosaik).await.unwrap(), Some(16));
        assert_eq!(time.step(12, Time::MAX, &mosaik).await.unwrap(), Some(20));
        agent.abort();
    }
}
