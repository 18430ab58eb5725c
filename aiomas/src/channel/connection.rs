//! One live connection: the shared state behind every [`Channel`](super::Channel) handle and
//! the reader task that dispatches incoming frames (the write side is in [`outbox`](super::outbox)).
//!
//! Every queue is bounded by a slot: our requests hold one of the outgoing-queue slots until
//! their frame is written; the peer's requests hold one of the in-flight slots from the moment
//! they are read until their reply is written. Without a free in-flight slot the reader stops
//! reading, so TCP pushes back on the peer.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::options::Limits;
use super::outbox::{self, Outbox, Pushed};
use super::reader::{Body, FrameReader, HEADER_LEN};
use super::stats::{self, Counters};
use super::transport::Stream;
use super::Request;
use crate::codec::{Codec, Received, WireFormat};
use crate::error::{ConnectionError, ConnectionErrorKind, RemoteError};
use crate::shutdown::{CancellationToken, TaskTracker};
use crate::{Error, Value};

mod deadline;
mod encode;
mod estimate;

use deadline::{Deadline, Sweep};

pub(crate) const REQUEST: u8 = 0;
pub(crate) const RESULT: u8 = 1;
pub(crate) const EXCEPTION: u8 = 2;

/// Frames that decode to more than this many bytes are decoded on a blocking thread, so that a
/// few large frames cannot stall the other connections: tokio asks tasks to yield every
/// 10-100 µs, and codecs decode some 200-500 MB/s, so 64 KiB is about where a decode stops
/// being short.
pub(crate) const BLOCKING_DECODE_THRESHOLD: usize = 64 * 1024;
/// How long `close` waits for queued frames to be flushed to a slow peer.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// One of our requests waiting for its reply.
struct Waiting {
    reply: oneshot::Sender<Result<Received, Error>>,
    /// Kept by the connection's sweeper, not by a timer per call (see [`deadline`]).
    deadline: Option<Deadline>,
}

/// Hashes the ids of our requests, which we number ourselves: one multiplication spreads them
/// over the table (SipHash's defence against keys an attacker picks is not needed, and costs
/// more than the rest of a lookup).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, id: u64) {
        // 2^64 / the golden ratio: consecutive ids land far apart, in high and low bits alike.
        self.0 = (self.0.rotate_left(8) ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

struct State {
    /// Our requests that wait for their replies. A caller that stops waiting removes its entry;
    /// its late reply is then dropped (ids below `next_msg_id` were ours).
    pending: HashMap<u64, Waiting, BuildHasherDefault<IdHasher>>,
    /// When the deadline sweeper wakes next.
    sweep: Sweep,
    /// Set once the connection is gone; every later operation fails with it.
    failure: Option<Error>,
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) peer: String,
    pub(crate) format: WireFormat,
    pub(crate) limits: Limits,
    next_msg_id: AtomicU64,
    state: Mutex<State>,
    outbox: Arc<Outbox>,
    /// Wakes the deadline sweeper for a call due before the time it sleeps until.
    sweep_sooner: Arc<Notify>,
    /// Slots of our requests queued and not written yet.
    request_slots: Arc<Semaphore>,
    /// Slots of the peer's requests read and not answered (written) yet.
    peer_slots: Arc<Semaphore>,
    /// The peer's requests, read and not taken yet. Bounded by the in-flight slots (each holds
    /// one), so the channel itself needs no bound of its own to check on every request.
    pub(crate) incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<Request>>,
    /// Requests handed out by `recv`: `close` lets them reply first.
    handed_out: TaskTracker,
    /// Cancelled once the connection is gone (shut, or every handle dropped).
    pub(crate) ended: CancellationToken,
    /// When a frame last came in, in milliseconds since `epoch()`.
    last_active: AtomicU64,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) stats: Counters,
}

/// Every live connection by id, so a service reference that arrived on one can find it again.
fn registry() -> &'static Mutex<HashMap<u64, Weak<Shared>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Weak<Shared>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub(crate) fn next_connection_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn lookup(id: u64) -> Option<Arc<Shared>> {
    registry()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)?
        .upgrade()
}

fn closed_error() -> Error {
    ConnectionError::closed().into()
}

impl Shared {
    /// Starts the reader and writer tasks for `stream`.
    pub(crate) fn spawn(
        stream: Stream,
        format: WireFormat,
        id: u64,
        limits: Limits,
        stats: Counters,
    ) -> Arc<Shared> {
        let outbox = Outbox::new(stream.writer);
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let peer_slots = Arc::new(Semaphore::new(limits.max_in_flight));
        let sweep_sooner = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            id,
            peer: stream.peer,
            format,
            limits,
            next_msg_id: AtomicU64::new(0),
            state: Mutex::new(State {
                pending: HashMap::default(),
                sweep: Sweep::default(),
                failure: None,
            }),
            outbox: outbox.clone(),
            sweep_sooner: sweep_sooner.clone(),
            request_slots: Arc::new(Semaphore::new(limits.outgoing_queue)),
            peer_slots: peer_slots.clone(),
            incoming: tokio::sync::Mutex::new(in_rx),
            handed_out: TaskTracker::new(),
            ended: CancellationToken::new(),
            last_active: AtomicU64::new(0),
            tasks: Mutex::new(Vec::new()),
            stats,
        });
        shared.touch();
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Arc::downgrade(&shared));
        let reader = tokio::spawn(read_loop(
            Arc::downgrade(&shared),
            FrameReader::new(stream.reader),
            in_tx,
            peer_slots,
        ));
        let writer = tokio::spawn(outbox::write_loop(Arc::downgrade(&shared), outbox));
        // Last: `close` and `drop` treat the first task as the reader, the second as the writer.
        let sweeper = tokio::spawn(deadline::sweep_loop(Arc::downgrade(&shared), sweep_sooner));
        *shared.tasks.lock().unwrap_or_else(|p| p.into_inner()) = vec![reader, writer, sweeper];
        shared
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn failure(&self) -> Option<Error> {
        self.state().failure.clone()
    }

    fn failure_or_closed(&self) -> Error {
        self.failure().unwrap_or_else(closed_error)
    }

    /// Notes that frames came in (an idle connection's last activity is always one: the reply
    /// to our last call, or the peer's last request, answered right after).
    fn touch(&self) {
        // Not `as_millis`: its 128-bit arithmetic costs more than the clock read, per frame.
        let elapsed = epoch().elapsed();
        let now = elapsed.as_secs() * 1000 + u64::from(elapsed.subsec_millis());
        self.last_active.store(now, Ordering::Relaxed);
    }

    /// When a frame last came in (for choosing the longest-idle connection).
    pub(crate) fn last_active(&self) -> u64 {
        self.last_active.load(Ordering::Relaxed)
    }

    /// Whether no call is in flight either way: none of ours waits, none of the peer's is open.
    pub(crate) fn is_idle(&self) -> bool {
        self.state().pending.is_empty()
            && self.peer_slots.available_permits() == self.limits.max_in_flight
    }

    /// Encodes `[msg_type, msg_id, content]` into a complete frame, refusing oversized ones.
    /// `content` is written straight into the frame, whether a `Value` or a typed one; a large
    /// one without stalling the worker's other tasks where the runtime allows (see
    /// [`encode::frame_here`]).
    pub(crate) fn frame<C: Serialize + ?Sized>(
        &self,
        msg_type: u8,
        msg_id: u64,
        content: &C,
    ) -> Result<Vec<u8>, Error> {
        encode::frame_here(&self.format, msg_type, msg_id, content)
    }

    /// Sends a complete frame, which holds `slot` until it goes out. Its bytes are counted
    /// before the peer can have them.
    pub(crate) fn queue(
        &self,
        bytes: Vec<u8>,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<(), Error> {
        let len = bytes.len();
        // A lone call writes its frame itself; a busy connection's frames are batched.
        let direct = !self.is_busy();
        match self
            .outbox
            .push(bytes, slot, direct, || self.stats.wrote(len))
        {
            Pushed::Written | Pushed::Queued => Ok(()),
            Pushed::Closing => Err(self.failure_or_closed()),
        }
    }

    /// Waits for a free outgoing-queue slot, or for the connection to end.
    async fn request_slot(&self) -> Result<OwnedSemaphorePermit, Error> {
        if let Ok(slot) = self.request_slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        tokio::select! {
            slot = self.request_slots.clone().acquire_owned() => {
                slot.map_err(|_| self.failure_or_closed())
            }
            () = self.ended.cancelled() => Err(self.failure_or_closed()),
        }
    }

    /// Sends a request and waits for its reply, at most `timeout`.
    pub(crate) async fn request(
        self: &Arc<Self>,
        content: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, Error> {
        let msg_id = self.next_msg_id.fetch_add(1, Ordering::Relaxed);
        let trace = stats::CallTrace::sending(self, msg_id, stats::CallPath::of(&content));
        let deadline = Deadline::after(timeout);
        let call = async {
            let encoded = encode::request(self, msg_id, content);
            let (frame, slot) = self.by_deadline(deadline, encoded).await?;
            self.await_reply(msg_id, frame, slot, deadline)
                .await?
                .into_value()
        };
        // Counted and traced here, not in a future of their own around the call.
        self.stats.call_sent();
        trace.returned(self, call.await)
    }

    /// Encodes a request for `path` at once, straight into its frame (on this thread: a typed
    /// request is borrowed), to be sent with [`PendingRequest::send`].
    pub(crate) fn encode_request<C: Serialize + ?Sized>(
        self: &Arc<Self>,
        path: stats::CallPath<'_>,
        content: &C,
    ) -> PendingRequest<'_> {
        let msg_id = self.next_msg_id.fetch_add(1, Ordering::Relaxed);
        PendingRequest {
            trace: stats::CallTrace::sending(self, msg_id, path),
            frame: self.frame(REQUEST, msg_id, content),
            shared: self,
            msg_id,
        }
    }

    /// Queues our request's frame (holding `slot`) and waits for the reply, until `deadline`.
    async fn await_reply(
        self: &Arc<Self>,
        msg_id: u64,
        frame: Vec<u8>,
        slot: OwnedSemaphorePermit,
        deadline: Option<Deadline>,
    ) -> Result<Received, Error> {
        let (tx, rx) = oneshot::channel();
        let sweep_sooner = {
            let mut state = self.state();
            if let Some(failure) = &state.failure {
                return Err(failure.clone());
            }
            let waiting = Waiting {
                reply: tx,
                deadline,
            };
            state.pending.insert(msg_id, waiting);
            state.sweep.add(deadline)
        };
        if sweep_sooner {
            self.sweep_sooner.notify_one();
        }
        let guard = ForgetOnDrop {
            shared: self,
            msg_id,
        };
        self.queue(frame, Some(slot))?;
        let reply = rx.await;
        std::mem::forget(guard);
        reply.unwrap_or_else(|_| Err(self.failure_or_closed()))
    }

    /// Sends the reply to request `msg_id`; an unencodable result becomes an exception reply.
    /// A large result is encoded on a blocking thread (see [`encode`]).
    pub(crate) fn reply(
        self: &Arc<Self>,
        msg_id: u64,
        result: Value,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<(), Error> {
        let Some((result, size, slot)) = encode::reply_if_large(self, msg_id, result, slot) else {
            return Ok(());
        };
        match encode::frame(&self.format, RESULT, msg_id, &result, Some(size)) {
            Ok(frame) => self.queue(frame, slot),
            Err(err) => {
                self.fail(msg_id, err.python_kind(), &err.message(), slot)?;
                Err(err)
            }
        }
    }

    /// Sends an exception reply whose last line is `kind: message`, as Python tracebacks end.
    /// A message too long for the frame limit is shortened to fit: the caller gets an answer.
    pub(crate) fn fail(
        &self,
        msg_id: u64,
        kind: &str,
        message: &str,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<(), Error> {
        let report = |message: &str| {
            Value::Str(format!(
                "Traceback (most recent call last):\n  (remote Rust code)\n{kind}: {message}\n"
            ))
        };
        let mut kept = message;
        let frame = loop {
            let text = if kept.len() == message.len() {
                report(message)
            } else {
                let cut = message.len() - kept.len();
                report(&format!(
                    "{kept}... [{cut} bytes cut to fit the frame limit]"
                ))
            };
            match self.frame(EXCEPTION, msg_id, &text) {
                Err(Error::FrameTooLarge { size, limit }) if !kept.is_empty() => {
                    // Every byte cut shortens the encoding by at least one byte; the margin
                    // covers the note about the cut.
                    let mut keep = kept.len().saturating_sub(size - limit + 64);
                    while !kept.is_char_boundary(keep) {
                        keep -= 1;
                    }
                    kept = &kept[..keep];
                }
                other => break other?,
            }
        };
        self.queue(frame, slot)
    }

    /// Sends an exception reply whose content is `failure` as it is (mosaik's peers expect
    /// `[type, message, *traceback lines]`).
    pub(crate) fn fail_with(
        &self,
        msg_id: u64,
        failure: &Value,
        slot: Option<OwnedSemaphorePermit>,
    ) -> Result<(), Error> {
        let frame = self.frame(EXCEPTION, msg_id, failure)?;
        self.queue(frame, slot)
    }

    /// Says how many calls of ours a lost connection leaves unanswered.
    pub(crate) fn describe(&self, err: ConnectionError) -> ConnectionError {
        match self.state().pending.len() {
            0 => err,
            calls => err.while_pending(calls),
        }
    }

    /// Marks the connection as gone and fails everything that waits on it. Idempotent.
    pub(crate) fn shut(&self, failure: Error) {
        let (pending, failure) = {
            let mut state = self.state();
            if state.failure.is_some() {
                return;
            }
            let pending = std::mem::take(&mut state.pending);
            state.failure = Some(failure.clone());
            (pending, failure)
        };
        self.ended.cancel();
        for waiting in pending.into_values() {
            let _ = waiting.reply.send(Err(failure.clone()));
        }
        self.outbox.close();
    }

    /// Ends the connection at once (a server at its connection cap): fails what waits, stops
    /// reading, and lets the writer flush what is queued and close the socket.
    pub(crate) fn displace(&self, why: &str) {
        self.shut(ConnectionError::new(ConnectionErrorKind::Closed, why).into());
        if let Some(reader) = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).first() {
            reader.abort();
        }
    }

    /// Marks a request as handed out to a handler: `close` waits (briefly) for its reply.
    pub(crate) fn hand_out(&self, request: &mut Request) {
        request.handed_out = Some(self.handed_out.token());
    }

    /// Whether more frames are about to follow: more than one call is open either way.
    pub(crate) fn is_busy(&self) -> bool {
        let peer_open = self.limits.max_in_flight - self.peer_slots.available_permits();
        peer_open + self.state().pending.len() > 1
    }

    /// Calls in flight either way: ours that wait for replies, the peer's not answered yet.
    pub(crate) fn calls_in_flight(&self) -> usize {
        let peer_open = self.limits.max_in_flight - self.peer_slots.available_permits();
        peer_open + self.state().pending.len()
    }

    /// Closes the connection: stops reading, lets requests being handled send their replies
    /// (briefly), flushes what was queued, fails what is pending, stops both tasks.
    pub(crate) async fn close(&self) {
        if let Some(reader) = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).first() {
            reader.abort();
        }
        if self.failure().is_none() {
            self.handed_out.close();
            if tokio::time::timeout(CLOSE_GRACE, self.handed_out.wait())
                .await
                .is_err()
            {
                debug!(peer = %self.peer, "closing with requests still being handled");
            }
        }
        self.shut(closed_error());
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let mut tasks = tasks.into_iter();
        if let Some(reader) = tasks.next() {
            reader.abort();
        }
        for mut writer in tasks {
            // A peer that stopped reading leaves the writer stuck on a full socket buffer.
            if tokio::time::timeout(CLOSE_GRACE, &mut writer)
                .await
                .is_err()
            {
                debug!(peer = %self.peer, "peer does not read; dropping unsent data");
                writer.abort();
            }
        }
    }

    fn dispatch_reply(&self, msg_type: u8, msg_id: u64, content: Received) -> Result<(), Error> {
        let Some(waiter) = self.state().pending.remove(&msg_id) else {
            if msg_id < self.next_msg_id.load(Ordering::Relaxed) {
                debug!(peer = %self.peer, "dropping the reply to request {msg_id}: its caller stopped waiting");
                return Ok(());
            }
            return Err(Error::Protocol(format!(
                "reply to unknown request id {msg_id}"
            )));
        };
        let outcome = match msg_type {
            RESULT => Ok(content),
            _ => Err(Error::Remote(RemoteError::from_failure(
                self.peer.clone(),
                content.into_value()?,
            ))),
        };
        let _ = waiter.reply.send(outcome);
        Ok(())
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
        self.ended.cancel();
        self.outbox.close();
        // The reader, parked on the socket, is stopped. The writer ends by itself once it has
        // flushed what is queued, unless the peer stopped reading: then it gets the same grace
        // as `close` before it is stopped too.
        let mut tasks =
            std::mem::take(self.tasks.get_mut().unwrap_or_else(|p| p.into_inner())).into_iter();
        if let Some(reader) = tasks.next() {
            reader.abort();
        }
        let writer = tasks.next();
        for sweeper in tasks {
            sweeper.abort();
        }
        if let (Some(mut writer), Ok(runtime)) = (writer, tokio::runtime::Handle::try_current()) {
            runtime.spawn(async move {
                if tokio::time::timeout(CLOSE_GRACE, &mut writer)
                    .await
                    .is_err()
                {
                    writer.abort();
                }
            });
        }
    }
}

/// A request encoded into its frame, not sent yet: it no longer borrows its content. It
/// borrows the connection (a clone would be an atomic count that every call on it touches).
pub(crate) struct PendingRequest<'a> {
    shared: &'a Arc<Shared>,
    msg_id: u64,
    frame: Result<Vec<u8>, Error>,
    trace: stats::CallTrace,
}

impl PendingRequest<'_> {
    /// Sends the request and waits for its reply, at most `timeout`: its content, to be
    /// decoded into the caller's type.
    pub(crate) async fn send(self, timeout: Option<Duration>) -> Result<Received, Error> {
        let PendingRequest {
            shared,
            msg_id,
            frame,
            trace,
        } = self;
        let deadline = Deadline::after(timeout);
        let call = async {
            let frame = frame?;
            let slot = shared.by_deadline(deadline, shared.request_slot()).await?;
            shared.await_reply(msg_id, frame, slot, deadline).await
        };
        shared.stats.call_sent();
        trace.returned(shared, call.await)
    }
}

/// Forgets a request whose caller stopped waiting (cancelled or timed out): its late reply is
/// dropped, and nothing of it stays behind.
struct ForgetOnDrop<'a> {
    shared: &'a Shared,
    msg_id: u64,
}

impl Drop for ForgetOnDrop<'_> {
    fn drop(&mut self) {
        self.shared.state().pending.remove(&self.msg_id);
    }
}

async fn read_loop(
    shared: Weak<Shared>,
    mut reader: FrameReader,
    requests: mpsc::UnboundedSender<Request>,
    peer_slots: Arc<Semaphore>,
) {
    let mut frames_read = 0_u64;
    let failure = loop {
        match read_one(&shared, &mut reader, &requests, &peer_slots).await {
            Ok(true) => frames_read += 1,
            // Every handle is gone: the connection is being dropped.
            Ok(false) => return,
            Err(Error::Connection(err)) => {
                let Some(conn) = shared.upgrade() else { return };
                let err = conn.describe(err);
                let peer_hung_up = matches!(
                    err.kind(),
                    ConnectionErrorKind::Closed | ConnectionErrorKind::Reset
                );
                break Error::Connection(if frames_read == 0 && peer_hung_up {
                    err.note("before a single frame: the peer may expect TLS, or another codec")
                } else {
                    err
                });
            }
            Err(err) => break err,
        }
    };
    if let Some(conn) = shared.upgrade() {
        match &failure {
            Error::Connection(_) => debug!(peer = %conn.peer, "connection lost: {failure}"),
            _ => warn!(peer = %conn.peer, "closing connection: {failure}"),
        }
        conn.shut(failure);
    }
}

/// Reads, decodes and dispatches one frame; `false` once the connection is dropped.
async fn read_one(
    shared: &Weak<Shared>,
    reader: &mut FrameReader,
    requests: &mpsc::UnboundedSender<Request>,
    peer_slots: &Arc<Semaphore>,
) -> Result<bool, Error> {
    let Some((limit, limits)) = shared
        .upgrade()
        .map(|s| (s.format.max_frame_size, s.limits))
    else {
        return Ok(false);
    };
    let idle = || shared.upgrade().is_some_and(|conn| conn.is_idle());
    let body = reader.read_frame(limit, &limits, idle).await?;
    let Some(conn) = shared.upgrade() else {
        return Ok(false);
    };
    if reader.take_arrived() {
        conn.touch();
    }
    conn.stats.read(HEADER_LEN + body.len());
    match decode(&conn, body).await? {
        (REQUEST, msg_id, content) => {
            drop(conn);
            // At the in-flight bound, stop reading until a reply has been written; a peer that
            // hangs up meanwhile still ends the connection (and its calls).
            let slot = match peer_slots.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => wait_for_slot(peer_slots, reader)
                    .await
                    .ok_or_else(ConnectionError::closed_by_peer)?,
            };
            let Some(conn) = shared.upgrade() else {
                return Ok(false);
            };
            let request = Request::new(&conn, msg_id, content, slot);
            // Never waits: the slot bounds the channel. A receiver that is gone drops the
            // request, which answers it.
            let _ = requests.send(request);
            Ok(true)
        }
        (msg_type @ (RESULT | EXCEPTION), msg_id, content) => {
            conn.dispatch_reply(msg_type, msg_id, content)?;
            Ok(true)
        }
        (other, _, _) => Err(Error::Protocol(format!("invalid message type {other}"))),
    }
}

/// How often a connection that stopped reading at its in-flight bound checks for a hang-up.
const HANGUP_PROBE_INTERVAL: Duration = Duration::from_millis(200);

/// Waits for an in-flight slot; `None` if the peer hangs up first.
async fn wait_for_slot(
    slots: &Arc<Semaphore>,
    reader: &mut FrameReader,
) -> Option<OwnedSemaphorePermit> {
    let acquire = slots.clone().acquire_owned();
    tokio::pin!(acquire);
    loop {
        tokio::select! {
            slot = &mut acquire => return slot.ok(),
            () = tokio::time::sleep(HANGUP_PROBE_INTERVAL) => {
                if reader.peer_gone() {
                    return None;
                }
            }
        }
    }
}

/// Decodes a frame body, on a blocking thread if it is large.
async fn decode(conn: &Arc<Shared>, body: Body) -> Result<(u8, u64, Received), Error> {
    let codec = conn.format.codec();
    // A custom codec's frames are not guessed at.
    let suspect = |err, body: &[u8]| match conn.format.builtin() {
        Some(codec) => suspect_codec(err, codec, body),
        None => err,
    };
    let body = body.into_bytes();
    let decoded = if decoded_size_hint(codec, &body) <= BLOCKING_DECODE_THRESHOLD {
        conn.format.decode_frame(body.clone(), true)
    } else {
        let format = conn.format.clone();
        let frame = body.clone();
        let decoding = tokio::task::spawn_blocking(move || format.decode_frame(frame, false));
        decoding
            .await
            .map_err(|err| Error::Protocol(format!("decoding a frame failed: {err}")))?
    };
    decoded.map_err(|err| suspect(err, &body))
}

/// How large a frame body is once decoded: blosc bodies say so in their header (bytes 4..8,
/// the uncompressed size, little endian); other codecs decode about as much as they read.
fn decoded_size_hint(codec: Codec, body: &[u8]) -> usize {
    match (codec, body.get(4..8)) {
        (Codec::MsgPackBlosc, Some(nbytes)) => {
            let nbytes = u32::from_le_bytes(nbytes.try_into().unwrap_or_default());
            (nbytes as usize).max(body.len())
        }
        _ => body.len(),
    }
}

/// Adds a hint to a decode error when the frame looks like another codec's.
fn suspect_codec(err: Error, codec: Codec, body: &[u8]) -> Error {
    let looks_like = match body.first() {
        Some(b'[') => Codec::Json,
        Some(0x93) => Codec::MsgPack,
        // The blosc 1.x format version.
        Some(0x02) => Codec::MsgPackBlosc,
        _ => return err,
    };
    if looks_like == codec {
        return err;
    }
    Error::Protocol(format!(
        "{} (codec mismatch suspected: this connection uses {}, the frame looks like {})",
        err.message(),
        codec.name(),
        looks_like.name()
    ))
}
