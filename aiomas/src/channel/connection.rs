//! One live connection: the shared state behind every [`Channel`](super::Channel) handle, the
//! reader task that dispatches incoming frames, and the writer task that flushes outgoing ones.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::transport::{ReadHalf, Stream, WriteHalf};
use super::Request;
use crate::codec::WireFormat;
use crate::error::{ConnectionError, RemoteError};
use crate::{Error, Value};

pub(crate) const REQUEST: u8 = 0;
pub(crate) const RESULT: u8 = 1;
pub(crate) const EXCEPTION: u8 = 2;

const HEADER_LEN: usize = 4;
const IO_BUFFER: usize = 64 * 1024;
/// How long `close` waits for queued frames to be flushed to a slow peer.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// What the writer task is asked to do.
enum Outgoing {
    Frame(Vec<u8>),
    /// Flush everything queued before, then close the write half.
    Close,
}

/// A request of ours that waits for its reply.
enum Pending {
    Waiting(oneshot::Sender<Result<Value, Error>>),
    /// The caller stopped waiting; its reply is dropped when it comes.
    Abandoned,
}

struct State {
    pending: HashMap<u64, Pending>,
    /// Set once the connection is gone; every later operation fails with it.
    failure: Option<Error>,
}

pub(crate) struct Shared {
    pub(crate) id: u64,
    pub(crate) peer: String,
    pub(crate) format: WireFormat,
    next_msg_id: AtomicU64,
    state: Mutex<State>,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    pub(crate) incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<Request>>,
    /// Requests handed out by `recv` and not answered yet; `close` lets them reply first.
    in_flight: AtomicUsize,
    /// Our requests awaiting replies plus the peer's requests not yet answered: when more than
    /// one is open, more frames are about to follow and the writer waits a moment to batch them.
    open_requests: AtomicUsize,
    answered: Notify,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// Every live connection by id, so a service reference that arrived on one can find it again.
fn registry() -> &'static Mutex<HashMap<u64, Weak<Shared>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u64, Weak<Shared>>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
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

impl Shared {
    /// Starts the reader and writer tasks for `stream`.
    pub(crate) fn spawn(stream: Stream, format: WireFormat, id: u64) -> Arc<Shared> {
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            id,
            peer: stream.peer,
            format,
            next_msg_id: AtomicU64::new(0),
            state: Mutex::new(State {
                pending: HashMap::new(),
                failure: None,
            }),
            outgoing: out_tx,
            incoming: tokio::sync::Mutex::new(in_rx),
            in_flight: AtomicUsize::new(0),
            open_requests: AtomicUsize::new(0),
            answered: Notify::new(),
            tasks: Mutex::new(Vec::new()),
        });
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, Arc::downgrade(&shared));
        let reader = tokio::spawn(read_loop(Arc::downgrade(&shared), stream.reader, in_tx));
        let writer = tokio::spawn(write_loop(Arc::downgrade(&shared), stream.writer, out_rx));
        *shared.tasks.lock().unwrap_or_else(|p| p.into_inner()) = vec![reader, writer];
        shared
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn failure(&self) -> Option<Error> {
        self.state().failure.clone()
    }

    /// Encodes `[msg_type, msg_id, content]` into a complete frame, refusing oversized ones.
    fn frame(&self, msg_type: u8, msg_id: u64, content: &Value) -> Result<Vec<u8>, Error> {
        let mut frame = vec![0; HEADER_LEN];
        self.format
            .encode_message(msg_type, msg_id, content, &mut frame)?;
        let size = frame.len() - HEADER_LEN;
        let limit = self.format.max_frame_size.min(u32::MAX as usize);
        if size > limit {
            return Err(Error::FrameTooLarge { size, limit });
        }
        frame[..HEADER_LEN].copy_from_slice(&(size as u32).to_be_bytes());
        Ok(frame)
    }

    fn queue(&self, frame: Vec<u8>) -> Result<(), Error> {
        self.outgoing.send(Outgoing::Frame(frame)).map_err(|_| {
            self.failure()
                .unwrap_or_else(|| ConnectionError::closed().into())
        })
    }

    /// Sends a request and waits for its reply.
    pub(crate) async fn request(self: &Arc<Self>, content: &Value) -> Result<Value, Error> {
        let msg_id = self.next_msg_id.fetch_add(1, Ordering::Relaxed);
        let frame = self.frame(REQUEST, msg_id, content)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.state();
            if let Some(failure) = &state.failure {
                return Err(failure.clone());
            }
            state.pending.insert(msg_id, Pending::Waiting(tx));
            self.open_requests.fetch_add(1, Ordering::Relaxed);
        }
        let guard = AbandonOnDrop {
            shared: self,
            msg_id,
        };
        self.queue(frame)?;
        let reply = rx.await;
        std::mem::forget(guard);
        reply.unwrap_or_else(|_| {
            Err(self
                .failure()
                .unwrap_or_else(|| ConnectionError::closed().into()))
        })
    }

    /// Sends the reply to request `msg_id`; an unencodable result becomes an exception reply.
    pub(crate) fn reply(&self, msg_id: u64, result: &Value) -> Result<(), Error> {
        match self.frame(RESULT, msg_id, result) {
            Ok(frame) => self.queue(frame),
            Err(err) => {
                self.fail(msg_id, err.python_kind(), &err.message())?;
                Err(err)
            }
        }
    }

    /// Sends an exception reply whose last line is `kind: message`, as Python tracebacks end.
    pub(crate) fn fail(&self, msg_id: u64, kind: &str, message: &str) -> Result<(), Error> {
        let report = format!(
            "Traceback (most recent call last):\n  (remote Rust code)\n{kind}: {message}\n"
        );
        self.fail_with(msg_id, &Value::Str(report))
    }

    /// Sends an exception reply whose content is `failure` as it is (mosaik's peers expect
    /// `[type, message, *traceback lines]`).
    pub(crate) fn fail_with(&self, msg_id: u64, failure: &Value) -> Result<(), Error> {
        let frame = self.frame(EXCEPTION, msg_id, failure)?;
        self.queue(frame)
    }

    /// Marks the connection as gone and fails everything that waits on it. Idempotent.
    pub(crate) fn shut(&self, failure: Error) {
        let pending = {
            let mut state = self.state();
            if state.failure.is_some() {
                return;
            }
            state.failure = Some(failure.clone());
            let pending = std::mem::take(&mut state.pending);
            let waiting = pending
                .values()
                .filter(|p| matches!(p, Pending::Waiting(_)))
                .count();
            self.open_requests.fetch_sub(waiting, Ordering::Relaxed);
            pending
        };
        for (_, entry) in pending {
            if let Pending::Waiting(tx) = entry {
                let _ = tx.send(Err(failure.clone()));
            }
        }
        let _ = self.outgoing.send(Outgoing::Close);
    }

    /// Counts a request handed out to a handler as in flight until it is answered.
    pub(crate) fn take_request(&self, mut request: Request) -> Request {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        request.tracked = true;
        request
    }

    /// A request of the peer was answered or dropped.
    pub(crate) fn request_closed(&self) {
        self.open_requests.fetch_sub(1, Ordering::Relaxed);
    }

    fn is_busy(&self) -> bool {
        self.open_requests.load(Ordering::Relaxed) > 1
    }

    pub(crate) fn request_done(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.answered.notify_waiters();
        }
    }

    /// Waits (at most `CLOSE_GRACE`) until every request handed out by `recv` is answered.
    async fn drain_in_flight(&self) {
        let drained = async {
            loop {
                let answered = self.answered.notified();
                if self.in_flight.load(Ordering::SeqCst) == 0 {
                    return;
                }
                answered.await;
            }
        };
        if tokio::time::timeout(CLOSE_GRACE, drained).await.is_err() {
            debug!(peer = %self.peer, "closing with requests still being handled");
        }
    }

    /// Closes the connection: stops reading, lets requests being handled send their replies
    /// (briefly), flushes what was queued, fails what is pending, stops both tasks.
    pub(crate) async fn close(&self) {
        if let Some(reader) = self.tasks.lock().unwrap_or_else(|p| p.into_inner()).first() {
            reader.abort();
        }
        if self.failure().is_none() {
            self.drain_in_flight().await;
        }
        self.shut(ConnectionError::closed().into());
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

    fn dispatch_reply(&self, msg_type: u8, msg_id: u64, content: Value) -> Result<(), Error> {
        let entry = self.state().pending.remove(&msg_id);
        if matches!(entry, Some(Pending::Waiting(_))) {
            self.open_requests.fetch_sub(1, Ordering::Relaxed);
        }
        let outcome = match msg_type {
            RESULT => Ok(content),
            _ => Err(Error::Remote(RemoteError::from_failure(
                self.peer.clone(),
                content,
            ))),
        };
        match entry {
            Some(Pending::Waiting(tx)) => {
                let _ = tx.send(outcome);
                Ok(())
            }
            Some(Pending::Abandoned) => Ok(()),
            None => Err(Error::Protocol(format!(
                "reply to unknown request id {msg_id}"
            ))),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        registry()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
        // The reader, parked on the socket, is stopped. The writer ends by itself once it has
        // flushed what is queued (its sender is ours), unless the peer stopped reading: then
        // it gets the same grace as `close` before it is stopped too.
        let mut tasks =
            std::mem::take(self.tasks.get_mut().unwrap_or_else(|p| p.into_inner())).into_iter();
        if let Some(reader) = tasks.next() {
            reader.abort();
        }
        if let (Some(mut writer), Ok(runtime)) =
            (tasks.next(), tokio::runtime::Handle::try_current())
        {
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

/// Turns a cancelled `request` future into a tombstone, so its late reply is not a protocol error.
struct AbandonOnDrop<'a> {
    shared: &'a Shared,
    msg_id: u64,
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(entry) = self.shared.state().pending.get_mut(&self.msg_id) {
            *entry = Pending::Abandoned;
            // Nobody waits for this reply any more: it no longer makes the connection busy.
            self.shared.open_requests.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

async fn read_loop(
    shared: Weak<Shared>,
    reader: ReadHalf,
    requests: mpsc::UnboundedSender<Request>,
) {
    let mut reader = BufReader::with_capacity(IO_BUFFER, reader);
    let mut body = Vec::new();
    let failure = loop {
        let Some(limit) = shared.upgrade().map(|s| s.format.max_frame_size) else {
            return;
        };
        match read_frame(&mut reader, &mut body, limit).await {
            Ok(()) => {}
            Err(err) => break err,
        }
        let Some(conn) = shared.upgrade() else { return };
        let dispatched = conn.format.decode_message(&body).and_then(
            |(msg_type, msg_id, content)| match msg_type {
                REQUEST => {
                    conn.open_requests.fetch_add(1, Ordering::Relaxed);
                    let _ = requests.send(Request::new(Arc::downgrade(&conn), msg_id, content));
                    Ok(())
                }
                RESULT | EXCEPTION => conn.dispatch_reply(msg_type, msg_id, content),
                other => Err(Error::Protocol(format!("invalid message type {other}"))),
            },
        );
        if let Err(err) = dispatched {
            break err;
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

/// Reads one frame body into `body`, growing it only as bytes arrive.
async fn read_frame(
    reader: &mut BufReader<ReadHalf>,
    body: &mut Vec<u8>,
    limit: usize,
) -> Result<(), Error> {
    let mut header = [0; HEADER_LEN];
    if let Err(err) = reader.read_exact(&mut header).await {
        return Err(ConnectionError::from_io(&err).into());
    }
    let size = u32::from_be_bytes(header) as usize;
    if size > limit {
        return Err(Error::Protocol(format!(
            "incoming frame of {size} bytes exceeds the frame limit of {limit} bytes"
        )));
    }
    body.clear();
    let read = (&mut *reader).take(size as u64).read_to_end(body).await;
    match read {
        Ok(n) if n == size => Ok(()),
        Ok(_) => Err(ConnectionError::closed().into()),
        Err(err) => Err(ConnectionError::from_io(&err).into()),
    }
}

async fn write_loop(
    shared: Weak<Shared>,
    writer: WriteHalf,
    mut frames: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut writer = BufWriter::with_capacity(IO_BUFFER, writer);
    let result: std::io::Result<()> = async {
        while let Some(next) = frames.recv().await {
            match next {
                Outgoing::Frame(frame) => {
                    writer.write_all(&frame).await?;
                    // Batch frames into one write: those already queued and, on a busy
                    // connection, those of tasks runnable right now (concurrent calls replying
                    // together). The yield costs a scheduler round trip, so a lone call skips it.
                    let busy = || shared.upgrade().is_some_and(|conn| conn.is_busy());
                    if frames.is_empty() && busy() {
                        tokio::task::yield_now().await;
                    }
                    if frames.is_empty() {
                        writer.flush().await?;
                    }
                }
                Outgoing::Close => break,
            }
        }
        writer.flush().await?;
        writer.shutdown().await
    }
    .await;
    if let Err(err) = result {
        if let Some(conn) = shared.upgrade() {
            debug!(peer = %conn.peer, "write failed: {err}");
            conn.shut(ConnectionError::from_io(&err).into());
        }
    }
}
