//! Services: what a router resolves a path to, and the resolution itself.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Args, Exception, Reply};
pub use crate::boxed::BoxFuture;
use crate::Value;

/// One call of an exposed function, ready to run with its arguments.
pub type Handler<'a> = Box<dyn FnOnce(Args) -> BoxFuture<'a, Result<Reply, Exception>> + Send + 'a>;

/// What a name inside a service stands for.
pub enum Route<'a> {
    /// An exposed function.
    Method(Handler<'a>),
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

/// Runs `path` on `root` with `args`; errors and panics (in resolving the path too) become
/// exceptions. One future owns the deepest service held by shared ownership on the way (an
/// agent in its container's table), rather than one box per such hop.
pub(crate) async fn call_shared(
    root: Arc<dyn Service>,
    path: String,
    args: Args,
) -> Result<Reply, Exception> {
    let owner = std::panic::catch_unwind(AssertUnwindSafe(|| deepest_shared(root, &path)));
    let (owner, start) = match owner {
        Ok(owner) => owner,
        Err(panic) => return panicked(&path, panic),
    };
    let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
        resolve_and_run(&*owner, &path, start, args)
    }));
    let outcome = match run {
        Ok(run) => CatchUnwind(run)
            .await
            .unwrap_or_else(|p| panicked(&path, p)),
        Err(panic) => panicked(&path, panic),
    };
    outcome
}

/// The exception for a panic in the function at `path` (or in resolving it).
fn panicked(path: &str, panic: Box<dyn std::any::Any + Send>) -> Result<Reply, Exception> {
    let message = panic_message(&*panic);
    tracing::error!("exposed function {path:?} panicked: {message}");
    Err(Exception::new(
        "RuntimeError",
        format!("{path}() panicked: {message}"),
    ))
}

/// The deepest service held by shared ownership on the way down `path` from `owner` (before
/// its last segment), and where the rest of the path starts there.
fn deepest_shared(mut owner: Arc<dyn Service>, path: &str) -> (Arc<dyn Service>, usize) {
    let mut start = 0;
    while let Some((child, next)) = shared_below(&*owner, path, start) {
        (owner, start) = (child, next);
    }
    (owner, start)
}

/// The first shared service on the way down `path[start..]` from `node`, through borrowed
/// children; `None` if the way ends (or fails: [`resolve_and_run`] then says why) before one.
fn shared_below(
    mut node: &dyn Service,
    path: &str,
    mut start: usize,
) -> Option<(Arc<dyn Service>, usize)> {
    loop {
        let slash = path[start..].bytes().position(|b| b == b'/')?;
        let next = start + slash + 1;
        match node.route(&path[start..next - 1]) {
            Route::Service(child) => (node, start) = (child, next),
            Route::Shared(child) => return Some((child, next)),
            _ => return None,
        }
    }
}

/// Resolves `path[start..]` from `node` segment by segment, with Python's error messages,
/// and runs the function found there. Recursive so a shared child can be kept alive by the
/// future.
fn resolve_and_run<'a>(
    node: &'a dyn Service,
    path: &'a str,
    start: usize,
    args: Args,
) -> BoxFuture<'a, Result<Reply, Exception>> {
    let rest = &path[start..];
    // A byte scan: segments are short, where `str::find`'s searcher costs more than it saves.
    let (name, next) = match rest.bytes().position(|b| b == b'/') {
        Some(slash) => (&rest[..slash], Some(start + slash + 1)),
        None => (rest, None),
    };
    let failure = match (node.route(name), next) {
        (Route::Method(handler), None) => return handler(args),
        (Route::Service(child), Some(next)) => return resolve_and_run(child, path, next, args),
        (Route::Shared(child), Some(next)) => {
            return Box::pin(async move { resolve_and_run(&*child, path, next, args).await })
        }
        (Route::Method(_), Some(next)) => Exception::lookup(format!(
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
    Box::pin(std::future::ready(Err(failure)))
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
