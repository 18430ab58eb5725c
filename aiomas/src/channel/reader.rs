//! The read side of a connection: frames cut out of the byte stream.
//!
//! Small frames are read into one buffer, several per read, and handed out as slices of it
//! without a copy (`BytesMut::split_to`). A frame larger than the buffer gets a buffer of its
//! own, grown as its bytes arrive (a peer that announces a large frame and sends little costs
//! little) and never beyond the announced size, so that it holds no more than the frame.

use std::ops::Deref;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio::io::AsyncReadExt;

use super::options::Limits;
use super::transport::ReadHalf;
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::Error;

pub(crate) const HEADER_LEN: usize = 4;
/// The read buffer, and the largest frame read into it (larger ones get their own).
const IO_BUFFER: usize = 64 * 1024;
/// A read asks for at least this much room: fewer bytes per read would mean more reads.
const MIN_READ: usize = 4 * 1024;

/// The body of one frame.
pub(crate) enum Body {
    /// A slice of the read buffer.
    Shared(BytesMut),
    /// A frame larger than the read buffer, in a buffer of its own.
    Own(Vec<u8>),
}

impl Body {
    /// The body as shared bytes, without a copy (a slice of the read buffer stays one).
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Body::Shared(bytes) => bytes.freeze(),
            Body::Own(bytes) => Bytes::from(bytes),
        }
    }
}

impl Deref for Body {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Body::Shared(bytes) => bytes,
            Body::Own(bytes) => bytes,
        }
    }
}

/// A connection's read half with its read buffer.
pub(crate) struct FrameReader {
    half: ReadHalf,
    buffer: BytesMut,
    /// Bytes came in since [`take_arrived`](Self::take_arrived) last asked.
    arrived: bool,
}

impl FrameReader {
    pub(crate) fn new(half: ReadHalf) -> FrameReader {
        FrameReader {
            half,
            buffer: BytesMut::with_capacity(IO_BUFFER),
            arrived: false,
        }
    }

    /// Whether bytes came in since the last time this was asked: the frames of one read
    /// arrived together, so the connection notes their time once, not once per frame.
    pub(crate) fn take_arrived(&mut self) -> bool {
        std::mem::take(&mut self.arrived)
    }

    /// Whether the peer hung up (without reading anything).
    pub(crate) fn peer_gone(&self) -> bool {
        self.half.peer_gone()
    }

    /// One read into the read buffer; `0` at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<usize> {
        if self.buffer.capacity() - self.buffer.len() < MIN_READ {
            // Reclaims the room of frames handed out and dropped since, if it can.
            self.buffer.reserve(IO_BUFFER);
        }
        let received = self.half.read_buf(&mut self.buffer).await;
        self.arrived |= matches!(received, Ok(n) if n > 0);
        received
    }

    /// Reads the next frame's body.
    ///
    /// Between frames it waits as long as the connection is wanted (or until it has been idle
    /// for the idle timeout); once a frame has started, every read must bring bytes within the
    /// read timeout.
    pub(crate) async fn read_frame(
        &mut self,
        limit: usize,
        limits: &Limits,
        is_idle: impl Fn() -> bool,
    ) -> Result<Body, Error> {
        if self.buffer.is_empty() {
            self.wait_for_frame(limits.idle_timeout, is_idle).await?;
        }
        let stalled = |received: usize, size: &str| -> Error {
            ConnectionError::new(
                ConnectionErrorKind::TimedOut,
                format!(
                    "the peer stalled for {:?} in the middle of a frame ({received} of {size} bytes received)",
                    limits.read_timeout
                ),
            )
            .into()
        };
        let cut = |received: usize, size: &str| -> Error {
            ConnectionError::new(
                ConnectionErrorKind::Closed,
                format!("connection closed by the peer in the middle of a frame ({received} of {size} bytes received)"),
            )
            .into()
        };
        while self.buffer.len() < HEADER_LEN {
            let received = self.buffer.len();
            match tokio::time::timeout(limits.read_timeout, self.fill()).await {
                Err(_) => return Err(stalled(received, "4 header")),
                Ok(Err(err)) => return Err(ConnectionError::from_io(err).into()),
                Ok(Ok(0)) => return Err(cut(received, "4 header")),
                Ok(Ok(_)) => {}
            }
        }
        let header: [u8; HEADER_LEN] = self.buffer[..HEADER_LEN].try_into().unwrap_or_default();
        if is_tls_record(&header) {
            return Err(ConnectionError::new(
                ConnectionErrorKind::Tls,
                "the peer speaks TLS (it sent a TLS record); connect with ChannelOptions::tls",
            )
            .into());
        }
        let size = u32::from_be_bytes(header) as usize;
        if size > limit {
            return Err(Error::Protocol(format!(
                "incoming frame of {size} bytes exceeds the frame limit of {limit} bytes"
            )));
        }
        let read = |result: Result<std::io::Result<usize>, _>, received: usize| match result {
            Err(_) => Err(stalled(received, &size.to_string())),
            Ok(Err(err)) => Err(ConnectionError::from_io(err).into()),
            Ok(Ok(0)) => Err(cut(received, &size.to_string())),
            Ok(Ok(n)) => Ok(n),
        };
        if size <= IO_BUFFER {
            while self.buffer.len() < HEADER_LEN + size {
                let received = self.buffer.len() - HEADER_LEN;
                read(
                    tokio::time::timeout(limits.read_timeout, self.fill()).await,
                    received,
                )?;
            }
            self.buffer.advance(HEADER_LEN);
            return Ok(Body::Shared(self.buffer.split_to(size)));
        }
        self.buffer.advance(HEADER_LEN);
        let start = self.buffer.len().min(size);
        let mut body = Vec::new();
        body.reserve_exact(next_capacity(start, size));
        body.extend_from_slice(&self.buffer[..start]);
        self.buffer.advance(start);
        if self.buffer.is_empty() && self.buffer.capacity() > IO_BUFFER + MIN_READ {
            self.buffer = BytesMut::with_capacity(IO_BUFFER);
        }
        while body.len() < size {
            if body.len() == body.capacity() {
                body.reserve_exact(next_capacity(body.len(), size) - body.len());
            }
            let received = body.len();
            // No read goes beyond the frame: the bytes of the next one stay in the socket.
            let mut room = (&mut body).limit(size - received);
            let filling = self.half.read_buf(&mut room);
            let result = tokio::time::timeout(limits.read_timeout, filling).await;
            read(result, received)?;
            self.arrived = true;
        }
        Ok(Body::Own(body))
    }

    /// Waits for the first bytes of a frame, at most the idle timeout if the connection is idle.
    async fn wait_for_frame(
        &mut self,
        idle_timeout: Option<Duration>,
        is_idle: impl Fn() -> bool,
    ) -> Result<(), Error> {
        let received = loop {
            let Some(after) = idle_timeout else {
                break self.fill().await;
            };
            match tokio::time::timeout(after, self.fill()).await {
                Ok(received) => break received,
                Err(_) if is_idle() => {
                    return Err(ConnectionError::new(
                        ConnectionErrorKind::TimedOut,
                        format!("connection closed after {after:?} without a call (idle timeout)"),
                    )
                    .into())
                }
                Err(_) => continue,
            }
        };
        match received.map_err(ConnectionError::from_io)? {
            0 => Err(ConnectionError::closed_by_peer().into()),
            _ => Ok(()),
        }
    }
}

/// The next size of a large frame's buffer: double what it holds (at least the read buffer's
/// size), never beyond the frame.
fn next_capacity(held: usize, size: usize) -> usize {
    (2 * held).max(IO_BUFFER).min(size)
}

/// Whether a frame header is the start of a TLS record (handshake, alert, data: 0x14-0x17,
/// then version 3.x): the peer speaks TLS to a plain connection.
fn is_tls_record(header: &[u8; HEADER_LEN]) -> bool {
    (0x14..=0x17).contains(&header[0]) && header[1] == 0x03 && header[2] <= 0x04
}
