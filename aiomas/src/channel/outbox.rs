//! The write side of a connection: frames on their way to the socket.
//!
//! A frame queued on a connection whose writer is idle is written by the task that made it,
//! at once, without waking another task: a sequential call (its request, then the reply)
//! crosses no thread on its way out. The socket is written without waiting: what it does not
//! take at once (a full socket buffer, a large frame) is queued for the writer task, which
//! also batches the frames of a busy connection into one write.
//!
//! Each queued frame keeps the slot it holds (an outgoing-queue slot for our requests, an
//! in-flight slot for the peer's) until its bytes go to the socket, so the queue is bounded by
//! the slots. The slot is freed just before, never after: a peer that has read a reply finds
//! its call no longer in flight here. Beyond the slots the write side holds at most one batch
//! and one frame: the one being written, or the rest of a frame written directly in part (only
//! a frame pushed onto an empty queue is written directly, so there is one such rest at most).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tracing::debug;

use super::connection::Shared;
use super::transport::WriteHalf;
use crate::error::ConnectionError;

/// Frames up to this size are copied into one buffer to go out in one write; larger ones are
/// written as they are.
const BATCH: usize = 64 * 1024;

/// A frame (or what is left of it) with the slot it holds until its bytes go to the socket.
struct Frame {
    bytes: Vec<u8>,
    written: usize,
    slot: Option<OwnedSemaphorePermit>,
}

#[derive(Default)]
struct Queue {
    /// The write half while no task is writing with it: the writer task takes it out while it
    /// awaits the socket; a task that finds it here may write without waiting.
    half: Option<WriteHalf>,
    frames: VecDeque<Frame>,
    /// Bytes were written directly and a flush did not finish: the writer task completes it.
    unflushed: bool,
    /// No more frames: the writer task flushes what is queued and closes the write half.
    closing: bool,
}

/// What a connection's tasks share of its write side.
pub(crate) struct Outbox {
    queue: Mutex<Queue>,
    /// Wakes the writer task (a stored permit if it is not waiting yet).
    wake: Notify,
}

/// What `Outbox::push` did with a frame.
pub(crate) enum Pushed {
    /// Written to the socket already.
    Written,
    /// Queued for the writer task.
    Queued,
    /// The write side is closing: the frame is dropped.
    Closing,
}

impl Outbox {
    pub(crate) fn new(half: WriteHalf) -> Arc<Outbox> {
        Arc::new(Outbox {
            queue: Mutex::new(Queue {
                half: Some(half),
                ..Queue::default()
            }),
            wake: Notify::new(),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes `bytes` at once if the writer is idle (and `direct` allows it), else queues them.
    /// Never waits: the socket is written only as far as it takes bytes without blocking.
    /// `accepted` runs once the frame is taken, before any of it can reach the peer (the
    /// connection counts it there).
    pub(crate) fn push(
        &self,
        bytes: Vec<u8>,
        mut slot: Option<OwnedSemaphorePermit>,
        direct: bool,
        accepted: impl FnOnce(),
    ) -> Pushed {
        let mut queue = self.queue();
        if queue.closing {
            return Pushed::Closing;
        }
        accepted();
        let mut written = 0;
        if direct && queue.frames.is_empty() {
            if let Some(half) = queue.half.as_mut() {
                drop(slot.take());
                written = write_now(half, &bytes);
                if written == bytes.len() {
                    // TLS keeps bytes in its session until flushed; TCP's flush does nothing.
                    if !flush_now(half) {
                        queue.unflushed = true;
                        drop(queue);
                        self.wake.notify_one();
                    }
                    return Pushed::Written;
                }
            }
        }
        queue.frames.push_back(Frame {
            bytes,
            written,
            slot,
        });
        drop(queue);
        self.wake.notify_one();
        Pushed::Queued
    }

    /// Lets the writer task flush what is queued, close the write half and end.
    pub(crate) fn close(&self) {
        self.queue().closing = true;
        self.wake.notify_one();
    }
}

/// Polls once, never waiting: a waker that does nothing is right here, as the writer task
/// polls again (with its own waker) whatever this leaves behind.
fn poll_now<T>(poll: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    poll(&mut Context::from_waker(Waker::noop()))
}

/// Writes as much of `bytes` as the socket takes without blocking; returns how much that was.
/// An error leaves the rest to the writer task, which meets the error again and reports it.
fn write_now(half: &mut WriteHalf, bytes: &[u8]) -> usize {
    let mut written = 0;
    while written < bytes.len() {
        match poll_now(|cx| Pin::new(&mut *half).poll_write(cx, &bytes[written..])) {
            Poll::Ready(Ok(n)) if n > 0 => written += n,
            _ => break,
        }
    }
    written
}

fn flush_now(half: &mut WriteHalf) -> bool {
    matches!(
        poll_now(|cx| Pin::new(&mut *half).poll_flush(cx)),
        Poll::Ready(Ok(()))
    )
}

/// The writer task: writes what `push` queued, in batches, until the outbox closes.
pub(crate) async fn write_loop(shared: Weak<Shared>, outbox: Arc<Outbox>) {
    if let Err(err) = drain(&shared, &outbox).await {
        if let Some(conn) = shared.upgrade() {
            debug!(peer = %conn.peer, "write failed: {err}");
            conn.shut(conn.describe(ConnectionError::from_io(err)).into());
        }
        // Frames queued later are dropped, and nobody writes to a broken socket.
        let mut queue = outbox.queue();
        queue.closing = true;
        queue.frames.clear();
    }
}

async fn drain(shared: &Weak<Shared>, outbox: &Outbox) -> io::Result<()> {
    let mut batch = Vec::new();
    // Kept from batch to batch, so that a busy connection's frames are moved without growing
    // a fresh queue each time.
    let mut frames = VecDeque::new();
    loop {
        outbox.wake.notified().await;
        // Batch frames into one write: those queued already and, on a busy connection, those
        // of tasks runnable right now (concurrent calls replying together). The yield costs a
        // scheduler round trip, so a lone frame skips it.
        let lone = outbox.queue().frames.len() == 1;
        if lone && shared.upgrade().is_some_and(|conn| conn.is_busy()) {
            tokio::task::yield_now().await;
        }
        let Some(mut half) = take_half(outbox) else {
            continue;
        };
        loop {
            let result = write_queued(outbox, &mut half, &mut batch, &mut frames).await;
            if batch.capacity() > BATCH {
                batch = Vec::new();
            }
            let closing = {
                let mut queue = outbox.queue();
                if result.is_ok() && !queue.frames.is_empty() {
                    // Queued after the last look, before a close: still written.
                    continue;
                }
                if result.is_ok() && !queue.closing {
                    queue.half = Some(half);
                    break;
                }
                queue.closing
            };
            result?;
            debug_assert!(closing);
            return half.shutdown().await;
        }
    }
}

/// Takes the write half out of the outbox if there is work for it: frames, a flush, a close.
fn take_half(outbox: &Outbox) -> Option<WriteHalf> {
    let mut queue = outbox.queue();
    if queue.frames.is_empty() && !queue.unflushed && !queue.closing {
        return None;
    }
    queue.half.take()
}

/// Writes every queued frame, including those queued meanwhile, then flushes.
async fn write_queued(
    outbox: &Outbox,
    half: &mut WriteHalf,
    batch: &mut Vec<u8>,
    frames: &mut VecDeque<Frame>,
) -> io::Result<()> {
    loop {
        {
            let mut queue = outbox.queue();
            if queue.frames.is_empty() {
                queue.unflushed = false;
                break;
            }
            // The outbox gets the empty queue with its capacity back.
            std::mem::swap(&mut queue.frames, frames);
        }
        while let Some(Frame {
            bytes,
            written,
            slot,
        }) = frames.pop_front()
        {
            let rest = &bytes[written..];
            if batch.len() + rest.len() > BATCH && !batch.is_empty() {
                half.write_all(batch).await?;
                batch.clear();
            }
            // Its bytes go to the socket next: in the batch, or as they are.
            drop(slot);
            if rest.len() > BATCH {
                half.write_all(rest).await?;
            } else {
                batch.extend_from_slice(rest);
            }
        }
        if !batch.is_empty() {
            half.write_all(batch).await?;
            batch.clear();
        }
    }
    half.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_idle_writer_is_bypassed_and_a_busy_one_gets_the_frames_in_order() {
        let (ours, mut theirs) = tokio::io::duplex(16);
        let (_, half) = tokio::io::split(ours);
        let outbox = Outbox::new(Box::new(half));
        // The socket takes 16 bytes: the first frame goes out at once, the second is queued.
        assert!(matches!(
            outbox.push(b"0123456789".to_vec(), None, true, || {}),
            Pushed::Written
        ));
        assert!(matches!(
            outbox.push(b"abcdefghij".to_vec(), None, true, || {}),
            Pushed::Queued
        ));
        // Behind a queued frame nothing is written directly, so the order holds.
        assert!(matches!(
            outbox.push(b"XY".to_vec(), None, true, || {}),
            Pushed::Queued
        ));
        let writer = tokio::spawn(write_loop(Weak::new(), outbox.clone()));
        let mut got = vec![0; 22];
        tokio::io::AsyncReadExt::read_exact(&mut theirs, &mut got)
            .await
            .unwrap();
        assert_eq!(got, b"0123456789abcdefghijXY");
        outbox.close();
        writer.await.unwrap();
        assert!(matches!(
            outbox.push(b"late".to_vec(), None, true, || {}),
            Pushed::Closing
        ));
    }
}
