//! Call deadlines: one sweep per connection instead of a timer per call.
//!
//! A call waiting for its reply keeps its deadline in its pending entry. The connection's
//! sweeper task sleeps until the earliest deadline it knows of, fails the calls that are due
//! by then with a timeout, and sleeps again. A call answered in time costs a clock read, not
//! a timer registered and cancelled in the runtime's timer wheel (shared by its workers):
//! with many concurrent calls on one connection, that was a good part of each call.
//!
//! The sweeper's wake-up time is only ever moved earlier by new calls; an answered call
//! leaves it as it is, so the sweeper may wake with nothing due, looks at what is pending
//! and sleeps until the earliest deadline left. With one timeout for all calls that is
//! about one wake-up per timeout period.

use std::future::Future;
use std::sync::{Arc, Weak};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::Shared;
use crate::Error;

/// When a call times out, and after how long (for its error).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    after: Duration,
}

/// About 30 years: the deadline of a timeout too long for the clock (as tokio's timers do).
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

impl Deadline {
    /// The deadline of a call starting now that may take `timeout` (`None`: none).
    pub(crate) fn after(timeout: Option<Duration>) -> Option<Deadline> {
        let after = timeout?;
        let now = Instant::now();
        let at = now.checked_add(after).unwrap_or_else(|| now + FAR_FUTURE);
        Some(Deadline { at, after })
    }
}

/// What the sweeper watches: the earliest deadline it will wake for, and a signal for a new
/// call that is due sooner.
#[derive(Default)]
pub(super) struct Sweep {
    /// When the sweeper wakes next (`None`: no deadline pending).
    next: Option<Instant>,
}

impl Sweep {
    /// Takes note of a new call's deadline; `true` if the sweeper must wake sooner for it.
    pub(super) fn add(&mut self, deadline: Option<Deadline>) -> bool {
        let Some(deadline) = deadline else {
            return false;
        };
        let sooner = self.next.is_none_or(|next| deadline.at < next);
        if sooner {
            self.next = Some(deadline.at);
        }
        sooner
    }
}

impl Shared {
    /// `step` (what a call does before it waits for its reply: encoding, an outgoing-queue
    /// slot), failing with a timeout at `deadline`. A step that is done at once (the usual
    /// case) makes no timer: it is polled once before one is set.
    pub(super) async fn by_deadline<T>(
        &self,
        deadline: Option<Deadline>,
        step: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let mut step = std::pin::pin!(step);
        let first = std::future::poll_fn(|cx| Poll::Ready(step.as_mut().poll(cx))).await;
        if let Poll::Ready(done) = first {
            return done;
        }
        match deadline {
            None => step.await,
            Some(deadline) => tokio::time::timeout_at(deadline.at, step)
                .await
                .unwrap_or_else(|_| Err(self.timed_out(deadline))),
        }
    }

    fn timed_out(&self, deadline: Deadline) -> Error {
        Error::Timeout {
            peer: self.peer.clone(),
            after: deadline.after,
        }
    }

    /// Fails the pending calls whose deadlines have passed; returns the earliest deadline left.
    fn expire_overdue(&self) -> Option<Instant> {
        let now = Instant::now();
        let (overdue, next) = {
            let mut state = self.state();
            let due = |deadline: Option<Deadline>| deadline.is_some_and(|d| d.at <= now);
            let overdue: Vec<_> = state
                .pending
                .extract_if(|_, waiting| due(waiting.deadline))
                .map(|(_, waiting)| waiting)
                .collect();
            let next = state
                .pending
                .values()
                .filter_map(|waiting| waiting.deadline.map(|d| d.at))
                .min();
            state.sweep.next = next;
            (overdue, next)
        };
        for waiting in overdue {
            if let Some(deadline) = waiting.deadline {
                let _ = waiting.reply.send(Err(self.timed_out(deadline)));
            }
        }
        next
    }
}

/// The sweeper task of a connection: fails its calls at their deadlines, until it ends.
pub(super) async fn sweep_loop(shared: Weak<Shared>, sooner: Arc<Notify>) {
    loop {
        let Some(conn) = shared.upgrade() else { return };
        let next = conn.expire_overdue();
        let ended = conn.ended.clone();
        // Holding the connection while asleep would keep it alive.
        drop(conn);
        let due = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = ended.cancelled() => return,
            () = sooner.notified() => {}
            () = due => {}
        }
    }
}
