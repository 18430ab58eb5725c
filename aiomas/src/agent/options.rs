//! Settings of a container: codec, extra serializers, clock, frame limit.

use std::sync::Arc;
use std::time::Duration;

use crate::channel::ChannelOptions;
use crate::clock::{Clock, RealtimeClock};
use crate::codec::{Codec, Serializers, ARROW};
use crate::tls::TlsConfig;

use super::lifecycle::{FailureHook, TaskFailure};

/// How long [`Container::connect`](super::Container::connect) waits for the remote container
/// to answer `validate_aid` by default. Anchor: tarpc's default call deadline, 10 s.
pub const DEFAULT_VALIDATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`Container::create`](super::Container::create).
///
/// ```
/// use aiomas::agent::ContainerOptions;
/// use aiomas::codec::Codec;
///
/// let options = ContainerOptions::default().codec(Codec::MsgPackBlosc).extra_serializer("Point");
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct ContainerOptions {
    pub(crate) channel: ChannelOptions,
    pub(crate) extra_types: Vec<Arc<str>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) validate_timeout: Duration,
    pub(crate) on_task_failure: Option<FailureHook>,
}

impl Default for ContainerOptions {
    fn default() -> Self {
        ContainerOptions {
            channel: ChannelOptions::default(),
            extra_types: Vec::new(),
            clock: Arc::new(RealtimeClock::new()),
            validate_timeout: DEFAULT_VALIDATE_TIMEOUT,
            on_task_failure: None,
        }
    }
}

impl ContainerOptions {
    /// Sets the codec of all the container's connections (JSON by default).
    pub fn codec(mut self, codec: Codec) -> Self {
        self.channel = self.channel.codec(codec);
        self
    }

    /// Registers an extra type after those registered before (Python's `extra_serializers`).
    /// Containers register Arrow dates first (typeid 0), so the first extra type gets typeid 1.
    pub fn extra_serializer(mut self, type_name: impl Into<Arc<str>>) -> Self {
        self.extra_types.push(type_name.into());
        self
    }

    /// Sets the clock (a real-time clock by default).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets a shared clock (e.g. an external clock that a driver task steps).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long `connect` waits for the remote container's `validate_aid` answer
    /// ([`DEFAULT_VALIDATE_TIMEOUT`] by default).
    pub fn validate_timeout(mut self, timeout: Duration) -> Self {
        self.validate_timeout = timeout;
        self
    }

    /// Calls `hook` for every agent task (start hook, stop hook, [`AgentContext::spawn`],
    /// [`Container::spawn_task`]) that returns an `Err` or panics, in addition to the
    /// `tracing` error that reports it.
    ///
    /// [`AgentContext::spawn`]: super::AgentContext::spawn
    /// [`Container::spawn_task`]: super::Container::spawn_task
    ///
    /// ```
    /// use aiomas::agent::{Container, ContainerOptions};
    /// use aiomas::channel::Addr;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// let options = ContainerOptions::default().on_task_failure(move |report| {
    ///     let _ = tx.send(report.to_string());
    /// });
    /// let container = Container::create(Addr::tcp("127.0.0.1", 0), options).await?;
    /// container.spawn_task(async { Err::<(), _>("no luck") });
    /// assert_eq!(rx.recv().await.unwrap(), "container task failed: no luck");
    /// container.shutdown().await;
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_task_failure(mut self, hook: impl Fn(&TaskFailure) + Send + Sync + 'static) -> Self {
        self.on_task_failure = Some(Arc::new(hook));
        self
    }

    /// Secures the container's server socket and its outgoing connections with mutual TLS
    /// (Python's `ssl=SSLCerts(...)`); build the config with
    /// [`TlsConfig::from_certs`](crate::tls::TlsConfig::from_certs).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.channel = self.channel.tls(tls);
        self
    }

    /// Sets the channel options (frame limit, TLS, ...); their serializers are replaced by the
    /// container's (Arrow dates, then the extra serializers).
    pub fn channel(mut self, channel: ChannelOptions) -> Self {
        self.channel = channel;
        self
    }

    pub(crate) fn channel_options(&self) -> ChannelOptions {
        let serializers = self
            .extra_types
            .iter()
            .fold(Serializers::new().with_type(ARROW), |s, name| {
                s.with_type(name.clone())
            });
        self.channel.clone().serializers(serializers)
    }
}
