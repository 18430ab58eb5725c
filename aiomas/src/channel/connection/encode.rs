//! Encoding frames where they cannot stall the other connections.
//!
//! Encoding (and blosc compression) is synchronous work proportional to the message. A small
//! message is encoded where it is sent, on the async worker; a large one on a blocking thread,
//! as large frames are decoded (see [`BLOCKING_DECODE_THRESHOLD`]): a few large replies would
//! otherwise hold every worker and stall every other connection. Whether a message is large is
//! estimated by a walk that stops at the threshold, so it costs next to nothing for small
//! messages and at most a few thousand steps for large ones.
//!
//! The bounds stay as they are: a large request holds its outgoing-queue slot, and a large
//! reply its in-flight slot, until its frame has been encoded and written (or the connection
//! is gone).

use std::sync::Arc;

use serde::Serialize;
#[cfg(feature = "multi-thread")]
use tokio::runtime::RuntimeFlavor;
use tokio::sync::OwnedSemaphorePermit;
use tracing::debug;

use super::estimate::estimate;
use super::{Shared, BLOCKING_DECODE_THRESHOLD, HEADER_LEN, REQUEST, RESULT};
use crate::codec::WireFormat;
use crate::{Error, Value};

/// Messages estimated to encode to more than this are encoded on a blocking thread: the same
/// size where a decode stops being short.
const BLOCKING_ENCODE_THRESHOLD: usize = BLOCKING_DECODE_THRESHOLD;

/// Room for the `[msg_type, msg_id, ...]` around a message's content, and for a few length
/// headers longer than estimated.
const MESSAGE_OVERHEAD: usize = 64;

/// The largest frame body a connection sends: its codec's limit, within the 4-byte header.
fn frame_limit(format: &WireFormat) -> usize {
    format.max_frame_size.min(u32::MAX as usize)
}

/// The estimated encoded size of `content` if it is small (at most
/// [`BLOCKING_ENCODE_THRESHOLD`]), `None` if it is large: a walk that stops at the threshold,
/// so it costs next to nothing for small messages. Its figure presizes the frame.
pub(super) fn small_size<C: Serialize + ?Sized>(content: &C) -> Option<usize> {
    estimate(content, BLOCKING_ENCODE_THRESHOLD)
}

/// Encodes `[msg_type, msg_id, content]` into a complete frame, refusing oversized ones.
///
/// The frame is presized from the estimate, so that encoding does not reallocate: a large
/// payload would be copied, and its buffer end up at up to twice its size. `small_size` is
/// what [`small_size`] said of `content`; for a large one (`None`) the size is estimated here,
/// up to the frame limit (it is about as large as `content`, which is in memory already).
pub(super) fn frame<C: Serialize + ?Sized>(
    format: &WireFormat,
    msg_type: u8,
    msg_id: u64,
    content: &C,
    small_size: Option<usize>,
) -> Result<Vec<u8>, Error> {
    let limit = frame_limit(format);
    let size_hint = small_size.or_else(|| estimate(content, limit)).unwrap_or(0);
    let mut frame = Vec::with_capacity(HEADER_LEN + MESSAGE_OVERHEAD + size_hint);
    frame.extend_from_slice(&[0; HEADER_LEN]);
    format.encode_message(msg_type, msg_id, content, &mut frame)?;
    let size = frame.len() - HEADER_LEN;
    if size > limit {
        return Err(Error::FrameTooLarge { size, limit });
    }
    // Small integers are guessed at 9 bytes: a frame of many holds far less than its estimate.
    if frame.capacity() > 2 * frame.len() + 1024 {
        frame.shrink_to_fit();
    }
    frame[..HEADER_LEN].copy_from_slice(&(size as u32).to_be_bytes());
    Ok(frame)
}

/// [`frame`] on the calling task, for content that is borrowed (a typed call's arguments or
/// result) and so cannot move to a blocking thread: a large one is encoded in
/// `block_in_place` on a multi-threaded runtime, which first hands the worker's other tasks
/// to another thread. (A current-thread runtime has no other thread to hand them to; without
/// the `multi-thread` feature neither has the library.)
pub(super) fn frame_here<C: Serialize + ?Sized>(
    format: &WireFormat,
    msg_type: u8,
    msg_id: u64,
    content: &C,
) -> Result<Vec<u8>, Error> {
    let small_size = small_size(content);
    let encode = || frame(format, msg_type, msg_id, content, small_size);
    #[cfg(feature = "multi-thread")]
    {
        // Only large content asks for the runtime: the question costs a thread-local lookup.
        let large_on_multi_thread = small_size.is_none()
            && tokio::runtime::Handle::try_current()
                .is_ok_and(|runtime| runtime.runtime_flavor() == RuntimeFlavor::MultiThread);
        if large_on_multi_thread {
            return tokio::task::block_in_place(encode);
        }
    }
    encode()
}

/// Encodes our request `msg_id` and takes an outgoing-queue slot for it. A large request is
/// encoded on a blocking thread, holding its slot: if the caller stops waiting meanwhile, the
/// slot is freed once the encoding is done, so abandoned calls cannot pile up encodings.
pub(super) async fn request(
    conn: &Shared,
    msg_id: u64,
    content: Value,
) -> Result<(Vec<u8>, OwnedSemaphorePermit), Error> {
    if let Some(size) = small_size(&content) {
        let frame = frame(&conn.format, REQUEST, msg_id, &content, Some(size))?;
        return Ok((frame, conn.request_slot().await?));
    }
    let slot = conn.request_slot().await?;
    let format = conn.format.clone();
    let encoding = tokio::task::spawn_blocking(move || {
        let frame = frame(&format, REQUEST, msg_id, &content, None);
        (frame, slot)
    });
    let (frame, slot) = encoding
        .await
        .map_err(|err| Error::Serialization(format!("encoding a request failed: {err}")))?;
    Ok((frame?, slot))
}

/// Answers request `msg_id` with `result` if it is large: encodes it on a blocking thread and
/// queues its frame, in a task that `close` waits for like a handler (and that ends with the
/// connection). Hands `result` back if it is small, with its estimated size, to be encoded
/// right away.
///
/// An unencodable large result is answered with an exception reply, as a small one is; the
/// error is logged, since the caller of `reply` has gone on by then.
pub(super) fn reply_if_large(
    conn: &Arc<Shared>,
    msg_id: u64,
    result: Value,
    slot: Option<OwnedSemaphorePermit>,
) -> Option<(Value, usize, Option<OwnedSemaphorePermit>)> {
    if let Some(size) = small_size(&result) {
        return Some((result, size, slot));
    }
    let format = conn.format.clone();
    let connection = Arc::downgrade(conn);
    let ended = conn.ended.clone();
    let answering = conn.handed_out.track_future(async move {
        let encoding =
            tokio::task::spawn_blocking(move || frame(&format, RESULT, msg_id, &result, None));
        let frame = tokio::select! {
            frame = encoding => frame,
            () = ended.cancelled() => return,
        };
        let Some(conn) = connection.upgrade() else {
            return;
        };
        let sent = match frame {
            Ok(Ok(frame)) => conn.queue(frame, slot),
            Ok(Err(err)) => {
                debug!(peer = %conn.peer, "could not encode the reply to request {msg_id}: {err}");
                conn.fail(msg_id, err.python_kind(), &err.message(), slot)
            }
            Err(err) => conn.fail(
                msg_id,
                "RuntimeError",
                &format!("encoding the reply failed: {err}"),
                slot,
            ),
        };
        if let Err(err) = sent {
            debug!("could not send a reply: {err}");
        }
    });
    tokio::spawn(answering);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_large(content: &Value) -> bool {
        small_size(content).is_none()
    }

    #[test]
    fn the_estimate_separates_small_from_large_messages_cheaply() {
        let small = Value::List(vec![
            Value::from("add"),
            Value::List(vec![1.into(), 2.into()]),
        ]);
        assert!(!is_large(&small));
        assert!(!is_large(&Value::Str("x".repeat(60 * 1024))));
        assert!(is_large(&Value::Str("x".repeat(70 * 1024))));
        assert!(is_large(&Value::Bytes(vec![0; 70 * 1024])));
        // Many small elements add up; the walk stops at the threshold.
        assert!(is_large(&Value::List(vec![Value::Int(0); 10_000_000])));
        assert!(!is_large(&Value::List(vec![Value::Nil; 1_000])));
        let mut deep = Value::Nil;
        for _ in 0..100 {
            deep = Value::List(vec![deep]);
        }
        assert!(is_large(&deep), "too deep to walk: encoded off the workers");
        let map = Value::Map(vec![(Value::from("k"), Value::Str("v".repeat(70 * 1024)))]);
        assert!(is_large(&map));
    }
}
