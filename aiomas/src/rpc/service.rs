//! Services: what a router resolves a path to, and the resolution itself.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use smol_str::SmolStr;

use super::{Args, Exception, Reply};
pub use crate::boxed::BoxFuture;
use crate::Value;

/// One call of an exposed `async` function, ready to run with its arguments.
pub type Handler<'a> = Box<dyn FnOnce(Args) -> BoxFuture<'a, Result<Reply, Exception>> + Send + 'a>;

/// One call of an exposed function that is not `async`: it runs to its result when called.
pub type InlineHandler<'a> = Box<dyn FnOnce(Args) -> Result<Reply, Exception> + Send + 'a>;

/// What a name inside a service stands for.
pub enum Route<'a> {
    /// An exposed `async` function.
    Method(Handler<'a>),
    /// An exposed function that is not `async`: the server runs it inline, without a future
    /// (or a box for one) per call.
    Inline(InlineHandler<'a>),
    /// A child service (the next path segment is looked up in it).
    Service(&'a dyn Service),
    /// A child service held by shared ownership (e.g. an agent in its container's table).
    Shared(Arc<dyn Service>),
    /// A name that exists but is not exposed.
    NotExposed,
    /// No such name.
    NotFound,
}

impl std::fmt::Debug for Route<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Method(_) => f.write_str("Method(..)"),
            Route::Inline(_) => f.write_str("Inline(..)"),
            Route::Service(service) => write!(f, "Service({})", service.class_name()),
            Route::Shared(service) => write!(f, "Shared({})", service.class_name()),
            Route::NotExposed => f.write_str("NotExposed"),
            Route::NotFound => f.write_str("NotFound"),
        }
    }
}

impl<'a> Route<'a> {
    /// Wraps an async function of the call's arguments as a [`Route::Method`].
    pub fn method<F, Fut>(f: F) -> Route<'a>
    where
        F: FnOnce(Args) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Value, Exception>> + Send + 'a,
    {
        Route::Method(Box::new(move |args| {
            let call = f(args);
            Box::pin(async move { call.await.map(Reply::from) })
        }))
    }

    /// Like [`method`](Self::method), for a function that answers with a [`Reply`]: one that
    /// encodes its typed result with [`Args::reply_to`] (generated routers do).
    pub fn replying<F, Fut>(f: F) -> Route<'a>
    where
        F: FnOnce(Args) -> Fut + Send + 'a,
        Fut: Future<Output = Result<Reply, Exception>> + Send + 'a,
    {
        Route::Method(Box::new(move |args| Box::pin(f(args))))
    }

    /// Wraps a function of the call's arguments that is not `async` as a [`Route::Inline`].
    ///
    /// ```
    /// use aiomas::rpc::{Args, Route};
    ///
    /// let route = Route::inline(|args: Args| {
    ///     let (a, b): (i64, i64) = args.into_positional()?;
    ///     Ok((a + b).into())
    /// });
    /// assert!(matches!(route, Route::Inline(_)));
    /// ```
    pub fn inline<F>(f: F) -> Route<'a>
    where
        F: FnOnce(Args) -> Result<Value, Exception> + Send + 'a,
    {
        Route::Inline(Box::new(move |args| f(args).map(Reply::from)))
    }

    /// Like [`inline`](Self::inline), for a function that answers with a [`Reply`] (generated
    /// routers do, for methods that are not `async`).
    pub fn inline_replying<F>(f: F) -> Route<'a>
    where
        F: FnOnce(Args) -> Result<Reply, Exception> + Send + 'a,
    {
        Route::Inline(Box::new(f))
    }
}

/// An RPC service: something a router can resolve names in.
///
/// `#[aiomas::service]` and `#[aiomas::agent]` implement it from the `#[expose]`d methods of an
/// impl block; [`ServiceMap`](super::ServiceMap) implements it for names chosen at run time.
/// Services are called concurrently, hence `&self` and `Sync`.
///
/// ```
/// use aiomas::channel::{Addr, ChannelOptions};
/// use aiomas::rpc::{self, Args, Exception, Route, Service};
/// /// A service written by hand (what `#[aiomas::service]` generates for an impl block).
/// struct Echo;
/// impl Service for Echo {
///     fn route<'a>(&'a self, name: &str) -> Route<'a> {
///         match name {
///             "echo" => Route::method(|args: Args| async move {
///                 let (text,): (String,) = args.into_positional()?;
///                 Ok(text.into())
///             }),
///             _ => Route::NotFound,
///         }
///     }
///     fn class_name(&self) -> &'static str {
///         "Echo"
///     }
/// }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = rpc::start_server(Addr::local("service-docs"), Echo, ChannelOptions::default()).await?;
/// let client = rpc::open_connection(server.addr(), ChannelOptions::default()).await?;
/// assert_eq!(client.remote().call("echo", vec!["hi".into()]).await?, "hi".into());
/// # Ok(())
/// # }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an RPC service",
    label = "not a service",
    note = "add `#[aiomas::agent]` (for an agent) or `#[aiomas::service]` to an `impl {Self}` block with `#[expose]`d methods, or build a `ServiceMap`"
)]
pub trait Service: Send + Sync + 'static {
    /// Looks up one path segment.
    ///
    /// ```
    /// # use aiomas::rpc::{Args, Exception, Route, Service};
    /// # struct Echo;
    /// # impl Service for Echo {
    /// #     fn route<'a>(&'a self, name: &str) -> Route<'a> {
    /// #         match name {
    /// #             "echo" => Route::method(|args: Args| async move {
    /// #                 let (text,): (String,) = args.into_positional()?;
    /// #                 Ok(text.into())
    /// #             }),
    /// #             _ => Route::NotFound,
    /// #         }
    /// #     }
    /// #     fn class_name(&self) -> &'static str { "Echo" }
    /// # }
    /// assert!(matches!(Echo.route("echo"), Route::Method(_)));
    /// assert!(matches!(Echo.route("nope"), Route::NotFound));
    /// ```
    fn route<'a>(&'a self, name: &str) -> Route<'a>;

    /// The service's class name (an agent's `validate_aid` answers with it).
    ///
    /// ```
    /// # use aiomas::rpc::{Args, Exception, Route, Service};
    /// # struct Echo;
    /// # impl Service for Echo {
    /// #     fn route<'a>(&'a self, name: &str) -> Route<'a> {
    /// #         match name {
    /// #             "echo" => Route::method(|args: Args| async move {
    /// #                 let (text,): (String,) = args.into_positional()?;
    /// #                 Ok(text.into())
    /// #             }),
    /// #             _ => Route::NotFound,
    /// #         }
    /// #     }
    /// #     fn class_name(&self) -> &'static str { "Echo" }
    /// # }
    /// assert_eq!(Echo.class_name(), "Echo");
    /// ```
    fn class_name(&self) -> &'static str;

    /// The Rust module that defines the service, for Python-style error messages.
    ///
    /// ```
    /// # use aiomas::rpc::{Args, Exception, Route, Service};
    /// # struct Echo;
    /// # impl Service for Echo {
    /// #     fn route<'a>(&'a self, name: &str) -> Route<'a> {
    /// #         match name {
    /// #             "echo" => Route::method(|args: Args| async move {
    /// #                 let (text,): (String,) = args.into_positional()?;
    /// #                 Ok(text.into())
    /// #             }),
    /// #             _ => Route::NotFound,
    /// #         }
    /// #     }
    /// #     fn class_name(&self) -> &'static str { "Echo" }
    /// # }
    /// // Used in "not exposed" errors; hand-written services may leave it empty.
    /// assert_eq!(Echo.module_path(), "");
    /// ```
    fn module_path(&self) -> &'static str {
        ""
    }
}

/// The outcome of one call, as the router produced it.
pub(crate) type Outcome = Result<Reply, Exception>;

/// A call as far as it got without waiting: done (a function that is not `async`, or a
/// failure to resolve its path), or an `async` function still to run.
pub(crate) enum Started {
    /// The outcome, with nothing left to run.
    Done(Outcome),
    /// An `async` function, found at `path[start..]` below `owner`.
    Later(Later),
}

/// An `async` call to make: the deepest service held by shared ownership on its way (an
/// agent in its container's table), which its future owns rather than one box per hop.
pub(crate) struct Later {
    owner: Arc<dyn Service>,
    path: SmolStr,
    start: usize,
    args: Args,
}

/// Starts `path` on `root` with `args`: resolves it (errors and panics become exceptions) and
/// runs a function that is not `async` inline, so only `async` ones cost a future.
pub(crate) fn start_call(root: Arc<dyn Service>, path: SmolStr, args: Args) -> Started {
    start_below(root, path, 0, args)
}

fn start_below(
    mut owner: Arc<dyn Service>,
    path: SmolStr,
    mut start: usize,
    args: Args,
) -> Started {
    loop {
        // The found route borrows `owner`: it is gone by the end of this statement.
        let hop = match std::panic::catch_unwind(AssertUnwindSafe(|| {
            resolve(&*owner, &path, start)
        })) {
            Err(panic) => return Started::Done(panicked(&path, panic)),
            Ok(Found::Inline(handler)) => return Started::Done(run_inline(&path, handler, args)),
            Ok(Found::Failed(exc)) => return Started::Done(Err(exc)),
            // Found again by the future, which owns `owner`: its handler borrows it.
            Ok(Found::Method(_)) => break,
            Ok(Found::Shared(child, next)) => (child, next),
        };
        (owner, start) = hop;
    }
    Started::Later(Later {
        owner,
        path,
        start,
        args,
    })
}

impl Later {
    /// Runs the call to its outcome; panics become exceptions.
    pub(crate) async fn run(self) -> Outcome {
        let Later {
            owner,
            path,
            start,
            args,
        } = self;
        let found = std::panic::catch_unwind(AssertUnwindSafe(|| resolve(&*owner, &path, start)));
        let handler = match found {
            Ok(Found::Method(handler)) => handler,
            Err(panic) => return panicked(&path, panic),
            // The service changed its routes since the call started; it goes as they say now.
            Ok(Found::Inline(handler)) => return run_inline(&path, handler, args),
            Ok(Found::Failed(exc)) => return Err(exc),
            Ok(Found::Shared(child, next)) => {
                return match start_below(child, path, next, args) {
                    Started::Done(outcome) => outcome,
                    Started::Later(later) => Box::pin(later.run()).await,
                }
            }
        };
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| handler(args))) {
            Ok(call) => CatchUnwind(call)
                .await
                .unwrap_or_else(|panic| panicked(&path, panic)),
            Err(panic) => panicked(&path, panic),
        };
        outcome
    }
}

/// Runs a function that is not `async`; a panic becomes an exception.
fn run_inline(path: &str, handler: InlineHandler<'_>, args: Args) -> Outcome {
    std::panic::catch_unwind(AssertUnwindSafe(|| handler(args)))
        .unwrap_or_else(|panic| panicked(path, panic))
}

/// The exception for a panic in the function at `path` (or in resolving it).
fn panicked(path: &str, panic: Box<dyn std::any::Any + Send>) -> Outcome {
    let message = panic_message(&*panic);
    tracing::error!("exposed function {path:?} panicked: {message}");
    Err(Exception::new(
        "RuntimeError",
        format!("{path}() panicked: {message}"),
    ))
}

/// Where the rest of a path leads from a service.
enum Found<'a> {
    Method(Handler<'a>),
    Inline(InlineHandler<'a>),
    /// A child held by shared ownership, and where the rest of the path starts in it.
    Shared(Arc<dyn Service>, usize),
    Failed(Exception),
}

/// Resolves `path[start..]` from `node` segment by segment through borrowed children, with
/// Python's error messages, up to its function or the first child held by shared ownership.
fn resolve<'a>(mut node: &'a dyn Service, path: &str, mut start: usize) -> Found<'a> {
    loop {
        let rest = &path[start..];
        // A byte scan: segments are short, where `str::find`'s searcher costs more than it saves.
        let (name, next) = match rest.bytes().position(|b| b == b'/') {
            Some(slash) => (&rest[..slash], Some(start + slash + 1)),
            None => (rest, None),
        };
        let failure = match (node.route(name), next) {
            (Route::Method(handler), None) => return Found::Method(handler),
            (Route::Inline(handler), None) => return Found::Inline(handler),
            (Route::Service(child), Some(next)) => {
                (node, start) = (child, next);
                continue;
            }
            (Route::Shared(child), Some(next)) => return Found::Shared(child, next),
            (Route::Method(_) | Route::Inline(_), Some(next)) => Exception::lookup(format!(
                "Name \"{}\" not found in \"{}\"",
                path[next..].split('/').next().unwrap_or_default(),
                &path[..next - 1]
            )),
            (Route::Service(child), None) => not_callable(child),
            (Route::Shared(child), None) => not_callable(&*child),
            (Route::NotExposed, _) => {
                let module = node.module_path().replace("::", ".");
                let dot = if module.is_empty() { "" } else { "." };
                Exception::lookup(format!(
                    "\"{module}{dot}{}.{name}\" is not exposed",
                    node.class_name()
                ))
            }
            (Route::NotFound, _) => Exception::lookup(format!(
                "Name \"{name}\" not found in \"{}\"",
                &path[..start.saturating_sub(1)]
            )),
        };
        return Found::Failed(failure);
    }
}

fn not_callable(service: &dyn Service) -> Exception {
    Exception::type_error(format!("'{}' object is not callable", service.class_name()))
}

/// Turns a panic while polling the inner future into an `Err`, so one broken method cannot
/// take its connection (or its container) down.
pub(crate) struct CatchUnwind<'a, T>(pub(crate) BoxFuture<'a, T>);

/// The message of a caught panic (`panic!("...")` payloads are `&str` or `String`).
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
