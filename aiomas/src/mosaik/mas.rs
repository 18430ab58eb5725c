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
pub const SETTLE_ROUNDS: usize = 8;

/// The most scheduler rounds one [`MosaikTime::step`] waits for the agents: 100,000, so agents
/// that never stop working cannot hang a step (they are left running; the step returns).
pub const MAX_SETTLE_ROUNDS: usize = 100_000;

/// Couples a container's [`ExternalClock`] to mosaik's steps.
///
/// Give [`clock`](Self::clock) to the container (`ContainerOptions::default().clock(...)`);
/// in [`Simulator::step`](super::Simulator::step), hand the inputs to the agents, then call
/// [`step`](Self::step): it moves the clock to the step's time (in seconds: `time *
/// time_resolution`), lets the agents run until they are idle, and returns the time of the
/// next wake-up of an agent (a sleep or a scheduled call) in mosaik steps, which is what
/// `step` returns to mosaik.
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
/// assert_eq!(time.step(0, &mosaik).await?, Some(5));
/// assert_eq!(time.step(5, &mosaik).await?, Some(10));
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
    pub fn new(utc_start: DateTime<Utc>, time_resolution: f64) -> Self {
        MosaikTime {
            clock: ExternalClock::new(utc_start, 0.0),
            time_resolution,
        }
    }

    /// The clock for the container.
    pub fn clock(&self) -> &ExternalClock {
        &self.clock
    }

    /// Seconds of mosaik time `time`.
    pub fn seconds(&self, time: Time) -> f64 {
        time as f64 * self.time_resolution
    }

    /// Moves the clock to `time` (if it is later), waits until the agents are idle, and
    /// returns the next wake-up in mosaik steps (rounded up), if any agent waits for one.
    pub async fn step(&self, time: Time, mosaik: &MosaikProxy) -> Result<Option<Time>, Exception> {
        let target = self.seconds(time);
        if target > self.clock.time() {
            self.clock.set_time(target)?;
        }
        self.settle(mosaik).await;
        Ok(self.clock.next_deadline().map(|deadline| {
            let steps = (deadline / self.time_resolution).ceil();
            // A deadline inside the current step is due at once: the next step.
            (steps as Time).max(time + 1)
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

    #[tokio::test(flavor = "current_thread")]
    async fn steps_move_the_clock_and_wait_for_agents_asking_mosaik() {
        let (_server, mosaik) = fake_mosaik().await;
        // One mosaik step is half a second.
        let time = MosaikTime::new(chrono::Utc::now(), 0.5);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let agent = tokio::spawn({
            let (clock, mosaik, seen) = (time.clock().clone(), mosaik.clone(), seen.clone());
            async move {
                loop {
                    clock.sleep(1.0).await.unwrap();
                    let progress = mosaik.get_progress().await.unwrap();
                    seen.lock().unwrap().push((clock.time(), progress));
                }
            }
        });
        assert_eq!(time.step(0, &mosaik).await.unwrap(), Some(2));
        assert!(seen.lock().unwrap().is_empty());
        // The agent wakes at 1.0 s, asks mosaik, and sleeps again until 2.0 s: step 4.
        assert_eq!(time.step(2, &mosaik).await.unwrap(), Some(4));
        assert_eq!(*seen.lock().unwrap(), [(1.0, 42.5)]);
        assert_eq!(time.step(3, &mosaik).await.unwrap(), Some(4));
        assert_eq!(time.clock().time(), 1.5);
        assert_eq!(time.step(4, &mosaik).await.unwrap(), Some(6));
        assert_eq!(seen.lock().unwrap().len(), 2);
        agent.abort();
    }
}
