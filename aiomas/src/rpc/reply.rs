//! What an exposed function answers: a [`Value`], or a typed result already encoded into the
//! frame of its reply (a remote call's result never becomes a `Value`).

use std::fmt;

use serde::Serialize;

use super::Exception;
use crate::channel::{ReplyFrame, ReplySlot, Request};
use crate::codec::Received;
use crate::value::Tape;
use crate::{to_value, Error, Value};

/// The successful outcome of an exposed function, as a [`Handler`](super::Handler) returns it.
///
/// Hand-written routes answer with a [`Value`] (`Reply::from(value)`); generated routers and
/// [`ServiceMap`](super::ServiceMap) functions encode their typed results with the call's
/// [`Args::reply_to`](super::Args::reply_to).
///
/// ```
/// use aiomas::rpc::Reply;
/// use aiomas::Value;
///
/// let reply = Reply::from(Value::from(7));
/// assert_eq!(format!("{reply:?}"), "Reply(7)");
/// ```
pub struct Reply(Inner);

enum Inner {
    Value(Value),
    Frame(ReplyFrame),
    /// An in-process call's result, copied into a tape.
    Tape(Tape),
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply(Inner::Value(value))
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Value(value) => write!(f, "Reply({value})"),
            Inner::Frame(_) => f.write_str("Reply(<encoded>)"),
            Inner::Tape(_) => f.write_str("Reply(<copied>)"),
        }
    }
}

impl Reply {
    /// The reply as a value. A handler called with [`Args`](super::Args) built by hand (as a
    /// custom dispatcher or a test does) or in-process always answers with one; only a reply
    /// already encoded into a connection's frame is not, and becomes a `RuntimeError`.
    ///
    /// ```
    /// use aiomas::rpc::Reply;
    /// use aiomas::Value;
    ///
    /// assert_eq!(Reply::from(Value::from(7)).into_value().unwrap(), Value::from(7));
    /// ```
    pub fn into_value(self) -> Result<Value, Exception> {
        match self.0 {
            Inner::Value(value) => Ok(value),
            Inner::Tape(tape) => Ok(tape.into_value()),
            Inner::Frame(_) => Err(Exception::new(
                "RuntimeError",
                "a reply encoded for a connection was returned to an in-process call",
            )),
        }
    }

    /// Answers `request` with it.
    pub(crate) fn send(self, request: Request) -> Result<(), Error> {
        match self.0 {
            Inner::Value(value) => request.reply(value),
            Inner::Frame(frame) => request.reply_frame(frame),
            Inner::Tape(tape) => request.reply(tape.into_value()),
        }
    }

    /// The reply as a typed proxy decodes it (an in-process call's result).
    pub(crate) fn into_received(self) -> Result<Received, Exception> {
        match self.0 {
            Inner::Tape(tape) => Ok(Received::from(tape)),
            other => Reply(other).into_value().map(Received::from),
        }
    }
}

/// How one call's result is encoded: for a call over a connection straight into its reply
/// frame, for an in-process call (or [`Args`](super::Args) built by hand) into a [`Value`].
#[derive(Clone, Default)]
pub struct ReplyTo(Target);

#[derive(Clone, Default)]
enum Target {
    #[default]
    Value,
    Frame(ReplySlot),
    Tape,
}

impl fmt::Debug for ReplyTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Target::Frame(_) => "ReplyTo(frame)",
            Target::Value => "ReplyTo(value)",
            Target::Tape => "ReplyTo(tape)",
        })
    }
}

impl ReplyTo {
    /// Results go into the reply frame of `slot`'s request.
    pub(crate) fn frame(slot: ReplySlot) -> Self {
        ReplyTo(Target::Frame(slot))
    }

    /// Results are copied into a tape (an in-process call's).
    pub(crate) fn tape() -> Self {
        ReplyTo(Target::Tape)
    }

    /// Encodes a function's result; what cannot be encoded becomes the exception the caller
    /// gets (the same text as any encoding error).
    ///
    /// ```
    /// use aiomas::rpc::Args;
    ///
    /// let args = Args::new("f", vec![], vec![]);
    /// let reply = args.reply_to().encode(&(1, "two")).unwrap();
    /// assert_eq!(format!("{reply:?}"), r#"Reply([1, "two"])"#);
    /// ```
    pub fn encode<T: Serialize + ?Sized>(&self, result: &T) -> Result<Reply, Exception> {
        let reply = match &self.0 {
            Target::Value => to_value(result).map(Reply::from),
            Target::Frame(slot) => slot.encode(result).map(|frame| Reply(Inner::Frame(frame))),
            Target::Tape => Tape::of(result).map(|tape| Reply(Inner::Tape(tape))),
        };
        reply.map_err(Exception::from)
    }

    /// The reply for a function's `Result`: the encoded value, or the error as an exception.
    pub(crate) fn reply_for<T: Serialize, E: fmt::Display + 'static>(
        &self,
        result: Result<T, E>,
    ) -> Result<Reply, Exception> {
        match result {
            Ok(value) => self.encode(&value),
            Err(err) => Err(Exception::from_error(&err)),
        }
    }
}
