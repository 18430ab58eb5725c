//! What an exposed method's failure looks like on the wire: `Kind: message`.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;

use crate::Error;

/// An exception to send back to a caller as an exception reply.
///
/// The peer reads `kind: message` on the last line of the traceback text, the shape of a
/// Python traceback, so Python callers see e.g. `LookupError: Name "x" not found in ""`.
///
/// ```
/// use aiomas::rpc::Exception;
/// let exc = Exception::new("ValueError", "\"spam\" is not a number");
/// assert_eq!(exc.to_string(), "ValueError: \"spam\" is not a number");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    kind: Cow<'static, str>,
    message: String,
}

impl Exception {
    /// An exception of type `kind` (a Python exception name reads best) with `message`.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// let exc = Exception::new("KeyError", "'spam'");
    /// assert_eq!((exc.kind(), exc.message()), ("KeyError", "'spam'"));
    /// ```
    pub fn new(kind: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Exception {
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// Python's `LookupError`, raised for unknown or unexposed names.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// assert_eq!(Exception::lookup("no such agent").to_string(), "LookupError: no such agent");
    /// ```
    pub fn lookup(message: impl Into<String>) -> Self {
        Exception::new("LookupError", message)
    }

    /// Python's `TypeError`, raised for calls with wrong arguments.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// assert_eq!(Exception::type_error("f() takes 1 argument").kind(), "TypeError");
    /// ```
    pub fn type_error(message: impl Into<String>) -> Self {
        Exception::new("TypeError", message)
    }

    /// Turns an application error into an exception reply.
    ///
    /// An `Exception` is sent as it is; an [`aiomas::Error`](crate::Error) keeps its Python kind (a remote exception is
    /// forwarded with its own kind); any other error is named after its Rust type.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// let parse = "x".parse::<i32>().unwrap_err();
    /// assert_eq!(Exception::from_error(&parse).kind(), "ParseIntError"); // named after the Rust type
    /// let timeout = aiomas::Error::Value("bad".into());
    /// assert_eq!(Exception::from_error(&timeout).kind(), "ValueError"); // an aiomas::Error keeps its Python kind
    /// ```
    pub fn from_error<E: fmt::Display + 'static>(err: &E) -> Self {
        if let Some(exception) = (err as &dyn Any).downcast_ref::<Exception>() {
            return exception.clone();
        }
        if let Some(err) = (err as &dyn Any).downcast_ref::<Error>() {
            return match err {
                Error::Remote(remote) => Exception::new(
                    remote.kind().unwrap_or("RemoteException").to_owned(),
                    remote.message(),
                ),
                other => Exception::new(other.python_kind().to_owned(), other.message()),
            };
        }
        let type_name = std::any::type_name::<E>();
        let short = type_name.split('<').next().unwrap_or(type_name);
        let short = short.rsplit("::").next().unwrap_or(short);
        Exception::new(short.to_owned(), err.to_string())
    }

    /// The exception type.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// assert_eq!(Exception::new("ValueError", "no").kind(), "ValueError");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The message.
    ///
    /// ```
    /// # use aiomas::rpc::Exception;
    /// assert_eq!(Exception::new("ValueError", "no").message(), "no");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Exception {}

impl From<Error> for Exception {
    fn from(err: Error) -> Self {
        Exception::from_error(&err)
    }
}
