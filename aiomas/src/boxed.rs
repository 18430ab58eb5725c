//! Boxed futures, and why the public async API returns them.
//!
//! Rust compiles an `async fn`'s body in the crate that polls its future, and release builds
//! do not share such code between crates: a user crate awaiting `Container::create` would
//! compile the container's whole machinery again (its server, the tasks it spawns, their
//! tokio harnesses), and did: the 20-line example's binary took longer to compile than this
//! library (issue 11). A future boxed as `dyn Future` in a non-generic function of this crate
//! is compiled here, once; the caller's crate compiles one virtual call per poll.
//!
//! For calls made once per container, connection or agent, not per message: it costs one
//! allocation per call.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `future` as a `dyn Future`, compiled in this crate when called from a non-generic function
/// (see the module docs).
pub(crate) fn boxed<'a, T>(future: impl Future<Output = T> + Send + 'a) -> BoxFuture<'a, T> {
    Box::pin(future)
}
