//! The future returned by [`Clock::sleep`](super::Clock::sleep) and
//! [`Clock::sleep_until`](super::Clock::sleep_until).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::Instant;

use super::external::Waiter;
use crate::{Error, Result};

/// Completes when the clock reaches the sleep's deadline; resolves to `Err` if the deadline
/// was refused (Python raises that `ValueError` from the call itself).
///
/// The deadline is checked, and on an [`ExternalClock`](super::ExternalClock) registered, when
/// `sleep()` or `sleep_until()` is called, not when the future is first polled. A sleep
/// created before the clock passes its deadline therefore completes at once. Dropping a
/// `Sleep` withdraws it.
///
/// `Sleep` is `Send`, `Unpin` and `'static`, so it can be spawned, stored, or used in
/// `tokio::select!` by reference.
///
/// ```
/// use aiomas::clock::{Clock, RealtimeClock};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let clock = RealtimeClock::new();
/// clock.sleep(0.01).await?;
/// assert!(clock.time() >= 0.01);
/// # Ok(())
/// # }
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    inner: Inner,
}

enum Inner {
    Failed(Option<Error>),
    // The tokio timer is made on first poll, because making one outside a runtime panics and
    // the caller may not be in one when it calls `sleep()`.
    Realtime {
        deadline: Instant,
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
    },
    External(Waiter),
    Custom(Pin<Box<dyn Future<Output = Result<()>> + Send>>),
}

impl Sleep {
    /// Wraps the sleep of a custom [`Clock`](super::Clock) implementation.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let sleep = aiomas::clock::Sleep::new(async { Ok(()) });
    /// assert!(sleep.await.is_ok());
    /// # }
    /// ```
    pub fn new(future: impl Future<Output = Result<()>> + Send + 'static) -> Self {
        Sleep {
            inner: Inner::Custom(Box::pin(future)),
        }
    }

    /// A sleep that fails with `err` when awaited (its deadline was refused).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use aiomas::Error;
    /// let sleep = aiomas::clock::Sleep::failed(Error::Value("dt must be > 0 but is 0.0".into()));
    /// assert!(matches!(sleep.await, Err(Error::Value(_))));
    /// # }
    /// ```
    pub fn failed(err: Error) -> Self {
        Sleep {
            inner: Inner::Failed(Some(err)),
        }
    }

    pub(super) fn realtime(deadline: Instant) -> Self {
        Sleep {
            inner: Inner::Realtime {
                deadline,
                timer: None,
            },
        }
    }

    pub(super) fn external(waiter: Waiter) -> Self {
        Sleep {
            inner: Inner::External(waiter),
        }
    }
}

impl Future for Sleep {
    type Output = Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        match &mut self.inner {
            Inner::Failed(err) => {
                Poll::Ready(Err(err.take().expect("`Sleep` polled after completion")))
            }
            Inner::Realtime { deadline, timer } => {
                let deadline = *deadline;
                timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)))
                    .as_mut()
                    .poll(cx)
                    .map(Ok)
            }
            Inner::External(waiter) => waiter.poll(cx).map(Ok),
            Inner::Custom(future) => future.as_mut().poll(cx),
        }
    }
}

/// Names the kind of sleep.
///
/// ```
/// use aiomas::clock::{Clock, ExternalClock};
/// let clock = ExternalClock::new(chrono::Utc::now(), 0.0);
/// assert_eq!(format!("{:?}", clock.sleep(1.0)), "Sleep(ExternalClock)");
/// ```
impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.inner {
            Inner::Failed(_) => "Failed",
            Inner::Realtime { .. } => "RealtimeClock",
            Inner::External(_) => "ExternalClock",
            Inner::Custom(_) => "Custom",
        };
        f.debug_tuple("Sleep")
            .field(&format_args!("{kind}"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_are_send_unpin_and_static() {
        fn assert_traits<T: Send + Unpin + 'static>() {}
        assert_traits::<Sleep>();
    }

    #[tokio::test]
    async fn a_failed_sleep_reports_its_error() {
        let err = Sleep::failed(Error::Value("nope".into()))
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "nope");
    }

    #[tokio::test]
    async fn a_custom_sleep_is_awaited() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let sleep = Sleep::new(async move {
            rx.await.ok();
            Ok(())
        });
        tx.send(()).unwrap();
        sleep.await.unwrap();
    }
}
