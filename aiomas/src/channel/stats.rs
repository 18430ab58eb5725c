//! What the connections did: counters per connection (summed per container), and a `tracing`
//! span per call.
//!
//! Counters are relaxed atomics of the connection, bumped once per call and once per frame;
//! what can be read off the connection's state (calls in flight, whether it is open) is read
//! when a snapshot is taken, so it costs the calls nothing. A connection that belongs to a
//! group (a container's) leaves its totals to the group when it is dropped, so the group's sum
//! keeps counting the connections that are gone.
//!
//! Spans are `DEBUG` spans of the target [`CALL_TRACE_TARGET`], created with their fields only
//! if a subscriber wants them: when none does, a call pays one relaxed load of tracing's global
//! level filter, and no field is formatted, no clock read, nothing allocated.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use tracing::field::Empty;
use tracing::Span;

use super::connection::Shared;
use crate::{Error, Value};

/// The `tracing` target of the per-call spans: `send` for a call we make, `serve` for one the
/// peer makes, both at `DEBUG` level, with the fields `peer`, `path` (the RPC path, empty for
/// a channel request that is not `[path, args, kwargs]`), `msg_id`, `outcome` and `duration_us`
/// (from the request to its reply, in microseconds).
///
/// `outcome` is `result` or `exception` (the reply), `timeout`, `connection` (the connection
/// went away), `error` (the call could not be made or answered), `cancelled` (the caller
/// stopped waiting), `dropped` (answered for a handler that dropped the request) or
/// `unanswered` ([`Request::leave_unanswered`](super::Request::leave_unanswered)).
///
/// With `tracing-subscriber`'s `EnvFilter`: `RUST_LOG=aiomas::call=debug`.
///
/// ```
/// assert_eq!(aiomas::channel::CALL_TRACE_TARGET, "aiomas::call");
/// ```
pub const CALL_TRACE_TARGET: &str = "aiomas::call";

/// A snapshot of the counters of one connection ([`Channel::stats`](super::Channel::stats),
/// [`RpcClient::stats`](crate::rpc::RpcClient::stats)) or the sum over the connections of a
/// container ([`Container::stats`](crate::agent::Container::stats), including those already
/// closed).
///
/// Calls are those made over connections: in-process calls of a container to its own agents
/// cross none and are not counted.
///
/// ```
/// use aiomas::channel::{self, Addr, ChannelOptions, Stats};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = channel::start_server(Addr::local("stats-docs"), ChannelOptions::default(), |channel| async move {
///     while let Ok(request) = channel.recv().await {
///         request.reply("pong").unwrap();
///     }
/// })
/// .await?;
/// let channel = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// channel.send("ping").await?;
/// // JSON frames: a 4-byte length, then `[0,0,"ping"]` out and `[1,0,"pong"]` in.
/// let frame = 4 + r#"[0,0,"ping"]"#.len() as u64;
/// let expected = Stats {
///     calls_sent: 1,
///     bytes_out: frame,
///     bytes_in: frame,
///     connections_open: 1,
///     ..Stats::default()
/// };
/// assert_eq!(channel.stats(), expected);
/// channel.close().await;
/// assert_eq!(channel.stats().connections_open, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Calls we made (each [`Channel::send`](super::Channel::send), each proxy call).
    pub calls_sent: u64,
    /// The peer's calls we answered (a reply or an exception reply handed to the writer).
    pub calls_served: u64,
    /// Calls that failed, either way: ours that did not return a result (an exception, a
    /// timeout, a lost connection, an unencodable request), and the peer's we answered with an
    /// exception.
    pub errors: u64,
    /// Bytes of the frames read, 4-byte length headers included.
    pub bytes_in: u64,
    /// Bytes of the frames handed to the writer, 4-byte length headers included.
    pub bytes_out: u64,
    /// Calls in flight right now: ours that wait for their reply, and the peer's whose reply
    /// is not written yet.
    pub calls_in_flight: u64,
    /// Connections open right now (for one connection: 1 or 0).
    pub connections_open: u64,
}

impl fmt::Display for Stats {
    /// One line: `calls sent: 3  calls served: 2  errors: 0  bytes in: 120  bytes out: 96  in
    /// flight: 0  connections open: 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "calls sent: {}  calls served: {}  errors: {}  bytes in: {}  bytes out: {}  in flight: {}  connections open: {}",
            self.calls_sent,
            self.calls_served,
            self.errors,
            self.bytes_in,
            self.bytes_out,
            self.calls_in_flight,
            self.connections_open
        )
    }
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, other: Stats) {
        self.calls_sent += other.calls_sent;
        self.calls_served += other.calls_served;
        self.errors += other.errors;
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.calls_in_flight += other.calls_in_flight;
        self.connections_open += other.connections_open;
    }
}

/// The counters of one connection; its totals go to its group when it is dropped.
pub(crate) struct Counters {
    calls_sent: AtomicU64,
    calls_served: AtomicU64,
    errors: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    group: Option<Arc<StatsGroup>>,
}

impl Counters {
    pub(crate) fn new(group: Option<Arc<StatsGroup>>) -> Counters {
        Counters {
            calls_sent: AtomicU64::new(0),
            calls_served: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            group,
        }
    }

    /// Lists `connection` (whose counters these are) in their group, if any.
    pub(crate) fn join(&self, connection: &Arc<Shared>) {
        if let Some(group) = &self.group {
            group.add(Arc::downgrade(connection));
        }
    }

    /// A frame of `bytes` (header included) was read.
    #[inline]
    pub(crate) fn read(&self, bytes: usize) {
        self.bytes_in.fetch_add(bytes as u64, Relaxed);
    }

    /// A frame of `bytes` (header included) was handed to the writer.
    #[inline]
    pub(crate) fn wrote(&self, bytes: usize) {
        self.bytes_out.fetch_add(bytes as u64, Relaxed);
    }

    /// We made a call (its outcome goes to [`CallTrace::returned`]).
    #[inline]
    pub(crate) fn call_sent(&self) {
        self.calls_sent.fetch_add(1, Relaxed);
    }

    /// A call of the peer was answered (`failed`: with an exception).
    #[inline]
    fn served(&self, failed: bool) {
        self.calls_served.fetch_add(1, Relaxed);
        if failed {
            self.errors.fetch_add(1, Relaxed);
        }
    }

    /// The monotonic counters (the gauges are the connection's to add).
    fn totals(&self) -> Stats {
        Stats {
            calls_sent: self.calls_sent.load(Relaxed),
            calls_served: self.calls_served.load(Relaxed),
            errors: self.errors.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            ..Stats::default()
        }
    }
}

impl Drop for Counters {
    fn drop(&mut self) {
        if let Some(group) = &self.group {
            let mut state = group.state();
            state.retired += self.totals();
        }
    }
}

/// A snapshot of a live connection: its counters and its gauges.
pub(crate) fn snapshot(connection: &Shared) -> Stats {
    Stats {
        calls_in_flight: connection.calls_in_flight() as u64,
        connections_open: u64::from(connection.failure().is_none()),
        ..connection.stats.totals()
    }
}

/// The connections of a container: the live ones, and the totals of those dropped.
#[derive(Default)]
pub(crate) struct StatsGroup {
    state: Mutex<GroupState>,
}

#[derive(Default)]
struct GroupState {
    live: Vec<Weak<Shared>>,
    /// Dropped entries are pruned when `live` reaches this length (then twice the survivors).
    prune_at: usize,
    retired: Stats,
}

impl StatsGroup {
    fn state(&self) -> std::sync::MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn add(&self, connection: Weak<Shared>) {
        let mut state = self.state();
        if state.live.len() >= state.prune_at {
            state.live.retain(|c| c.strong_count() > 0);
            state.prune_at = (2 * state.live.len()).max(16);
        }
        state.live.push(connection);
    }

    /// The sum over the group's connections, each counted once: a connection is either
    /// retired already when the group is locked, or kept alive here until it has been read.
    pub(crate) fn snapshot(&self) -> Stats {
        let (mut sum, live) = {
            let state = self.state();
            let live: Vec<Arc<Shared>> = state.live.iter().filter_map(Weak::upgrade).collect();
            (state.retired, live)
        };
        for connection in &live {
            sum += snapshot(connection);
        }
        // Dropping the last handle of a connection retires it, which locks the group: not
        // while it is locked above.
        drop(live);
        sum
    }
}

impl fmt::Debug for StatsGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatsGroup").finish_non_exhaustive()
    }
}

/// The span of one call, if a subscriber wants it (boxed: 8 bytes in a request otherwise).
pub(crate) struct CallTrace(Option<Box<(Span, Instant)>>);

/// Which side of a call a span is for.
#[derive(Clone, Copy)]
enum Side {
    Send,
    Serve,
}

/// The RPC path of a call, as the span shows it: `prefix/method` (or `method` alone),
/// joined only if a subscriber wants the span.
#[derive(Clone, Copy)]
pub(crate) struct CallPath<'a> {
    pub(crate) prefix: &'a str,
    pub(crate) method: &'a str,
}

impl<'a> CallPath<'a> {
    /// The path of a request's content `[path, args, kwargs]` (empty for other content).
    pub(crate) fn of(content: &'a Value) -> Self {
        CallPath {
            prefix: "",
            method: rpc_path(content),
        }
    }

    fn text(self) -> std::borrow::Cow<'a, str> {
        match self.prefix {
            "" => self.method.into(),
            prefix => format!("{prefix}/{}", self.method).into(),
        }
    }
}

/// Whether a subscriber may want `DEBUG` spans: one relaxed load, checked inline before
/// anything else of a span is touched (the usual case, tracing off for calls, costs a call
/// only this).
#[inline]
fn spans_wanted() -> bool {
    use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
    tracing::Level::DEBUG <= STATIC_MAX_LEVEL && tracing::Level::DEBUG <= LevelFilter::current()
}

impl CallTrace {
    /// The span, if the subscriber wants it after all (its target may be filtered out).
    #[inline(never)]
    fn start(side: Side, peer: &str, msg_id: u64, path: CallPath<'_>) -> CallTrace {
        // The fields are evaluated only inside the macros' enabled branch.
        let span = match side {
            Side::Send => tracing::debug_span!(target: CALL_TRACE_TARGET, "send",
                peer, path = &*path.text(), msg_id, outcome = Empty, duration_us = Empty),
            Side::Serve => tracing::debug_span!(target: CALL_TRACE_TARGET, "serve",
                peer, path = &*path.text(), msg_id, outcome = Empty, duration_us = Empty),
        };
        if span.is_disabled() {
            return CallTrace(None);
        }
        CallTrace(Some(Box::new((span, Instant::now()))))
    }

    /// The span of our request `msg_id`, started before its content moves into the frame.
    #[inline]
    pub(crate) fn sending(connection: &Shared, msg_id: u64, path: CallPath<'_>) -> CallTrace {
        if !spans_wanted() {
            return CallTrace(None);
        }
        CallTrace::start(Side::Send, &connection.peer, msg_id, path)
    }

    /// The span of a request the peer sent us.
    #[inline]
    pub(crate) fn served(connection: &Shared, msg_id: u64, path: CallPath<'_>) -> CallTrace {
        if !spans_wanted() {
            return CallTrace(None);
        }
        CallTrace::start(Side::Serve, &connection.peer, msg_id, path)
    }

    /// The span (disabled if no subscriber wants it), e.g. to run the handler in.
    #[inline]
    pub(crate) fn span(&self) -> Span {
        match &self.0 {
            None => Span::none(),
            Some(trace) => trace.0.clone(),
        }
    }

    /// Records `outcome` and the duration in the span, if there is one.
    #[inline]
    fn finish(&mut self, outcome: impl FnOnce() -> &'static str) {
        if let Some(trace) = self.0.take() {
            record(*trace, outcome());
        }
    }

    /// Our call returned `outcome` (passed on).
    #[inline]
    pub(crate) fn returned<T>(
        mut self,
        connection: &Shared,
        outcome: Result<T, Error>,
    ) -> Result<T, Error> {
        if outcome.is_err() {
            connection.stats.errors.fetch_add(1, Relaxed);
        }
        self.finish(|| match &outcome {
            Ok(_) => "result",
            Err(Error::Remote(_)) => "exception",
            Err(Error::Timeout { .. }) => "timeout",
            Err(Error::Connection(_)) => "connection",
            Err(_) => "error",
        });
        outcome
    }

    /// Answers the peer's request as `answer` with `send` (which queues the reply, if any).
    /// The call is counted as served first: a peer that has its reply finds it counted.
    #[inline]
    pub(crate) fn answer(
        &mut self,
        connection: &Shared,
        answer: Answer,
        send: impl FnOnce() -> Result<(), Error>,
    ) -> Result<(), Error> {
        connection
            .stats
            .served(matches!(answer, Answer::Exception | Answer::Dropped));
        let sent = send();
        if sent.is_err() && matches!(answer, Answer::Result) {
            connection.stats.errors.fetch_add(1, Relaxed);
        }
        self.finish(|| match (answer, &sent) {
            (Answer::Unanswered, _) => "unanswered",
            (_, Err(_)) => "error",
            (Answer::Result, Ok(())) => "result",
            (Answer::Exception, Ok(())) => "exception",
            (Answer::Dropped, Ok(())) => "dropped",
        });
        sent
    }
}

/// Records a finished call's `outcome` and duration in its span.
#[inline(never)]
fn record((span, started): (Span, Instant), outcome: &'static str) {
    span.record("outcome", outcome);
    span.record("duration_us", started.elapsed().as_micros() as u64);
}

/// How a request of the peer was answered.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    Result,
    Exception,
    /// Its handler dropped it: an exception reply says so.
    Dropped,
    Unanswered,
}

impl Drop for CallTrace {
    #[inline]
    fn drop(&mut self) {
        self.finish(|| "cancelled");
    }
}

/// The RPC path of a request's content `[path, args, kwargs]`; empty for other content.
fn rpc_path(content: &Value) -> &str {
    match content {
        Value::List(parts) => match parts.first() {
            Some(Value::Str(path)) if parts.len() == 3 => path,
            _ => "",
        },
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::pin::Pin;
    use std::sync::OnceLock;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, WriteHalf};

    use super::*;
    use crate::channel::transport::Stream;
    use crate::channel::{Channel, ChannelOptions};

    /// Each write of the served side: how many bytes it had written with it, and the counters
    /// as they stood when it began.
    type Writes = Arc<Mutex<Vec<(usize, Stats)>>>;

    /// The served side's write half, noting the channel's counters before each write.
    struct Probe {
        inner: WriteHalf<DuplexStream>,
        channel: Arc<OnceLock<Channel>>,
        written: usize,
        writes: Writes,
    }

    impl AsyncWrite for Probe {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let before = self.channel.get().map(Channel::stats);
            let this = &mut *self;
            let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
            if let (Poll::Ready(Ok(n)), Some(stats)) = (&poll, before) {
                this.written += n;
                this.writes.lock().unwrap().push((this.written, stats));
            }
            poll
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    fn frame(json: &str) -> Vec<u8> {
        let mut bytes = (json.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(json.as_bytes());
        bytes
    }

    /// Sends `calls` requests at once to a channel that answers them once it has them all, and
    /// checks every write of the replies: each reply whose first byte goes out in it is counted
    /// already (served, its bytes out, no longer in flight). Returns the number of writes.
    async fn replies_are_counted_before_they_go_out(calls: u64) -> usize {
        let (ours, mut theirs) = tokio::io::duplex(64 * 1024);
        let (reader, writer) = tokio::io::split(ours);
        let channel = Arc::new(OnceLock::new());
        let writes = Writes::default();
        let stream = Stream {
            reader: Box::new(reader),
            writer: Box::new(Probe {
                inner: writer,
                channel: channel.clone(),
                written: 0,
                writes: writes.clone(),
            }),
            peer: "probe".into(),
        };
        let served = Channel::start(stream, &ChannelOptions::default(), None);
        channel.set(served.clone()).ok().unwrap();
        for id in 0..calls {
            theirs
                .write_all(&frame(&format!("[0,{id},{id}]")))
                .await
                .unwrap();
        }
        let mut requests = Vec::new();
        for _ in 0..calls {
            requests.push(served.recv().await.unwrap());
        }
        for request in requests {
            let n = request.content().as_u64().unwrap();
            request.reply(n + 1).unwrap();
        }
        let mut starts = Vec::new();
        let mut received = 0;
        for id in 0..calls {
            let expected = frame(&format!("[1,{id},{}]", id + 1));
            let mut reply = vec![0; expected.len()];
            theirs.read_exact(&mut reply).await.unwrap();
            assert_eq!(reply, expected);
            starts.push(received);
            received += reply.len();
        }
        let writes = writes.lock().unwrap().clone();
        let mut before = 0;
        for (written, stats) in &writes {
            let begun = starts.iter().filter(|&&start| start < *written).count() as u64;
            assert!(stats.calls_served >= begun, "{before}..{written}: {stats}");
            assert!(
                stats.bytes_out >= *written as u64,
                "{before}..{written}: {stats}"
            );
            assert!(
                stats.calls_in_flight <= calls - begun,
                "{before}..{written}: {stats}"
            );
            before = *written;
        }
        assert_eq!(before, received, "every reply byte went through the probe");
        writes.len()
    }

    #[tokio::test]
    async fn a_reply_written_at_once_is_counted_before_it_goes_out() {
        assert_eq!(replies_are_counted_before_they_go_out(1).await, 1);
    }

    #[tokio::test]
    async fn replies_batched_by_the_writer_are_counted_before_they_go_out() {
        // Answered together, the replies go out in fewer writes than there are replies.
        let writes = replies_are_counted_before_they_go_out(3).await;
        assert!(writes < 3, "{writes} writes");
    }
}
