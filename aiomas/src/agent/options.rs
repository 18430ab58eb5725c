//! Settings of a container: codec, extra serializers, clock, frame limit, TLS.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::channel::ChannelOptions;
use crate::clock::{Clock, RealtimeClock};
use crate::codec::{Codec, MessageCodec, Serializers, ARROW};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

use super::lifecycle::{FailureHook, TaskFailure};

/// How long [`Container::connect`](super::Container::connect) waits for the remote container
/// to answer `validate_aid` by default. Anchor: tarpc's default call deadline, 10 s.
pub const DEFAULT_VALIDATE_TIMEOUT: Duration = Duration::from_secs(10);

/// Options for [`Container::create`](super::Container::create).
///
/// The builder calls compose in any order: [`channel`](Self::channel) sets the connection
/// settings (frame limit, retries, ...), while [`codec`](Self::codec) and `tls` set theirs on
/// top of it, whether they come before or after it. A codec or TLS config inside the channel
/// options is used only where the container's own setter was not called.
///
/// ```
/// use aiomas::agent::ContainerOptions;
/// use aiomas::channel::ChannelOptions;
/// use aiomas::codec::Codec;
///
/// let options = ContainerOptions::default()
///     .codec(Codec::MsgPack)
///     .extra_serializer("Point")
///     .channel(ChannelOptions::default().max_frame_size(64 * 1024 * 1024));
/// // The later `channel(...)` keeps the codec set before it.
/// assert_eq!(options.channel_options().get_codec(), Codec::MsgPack);
/// ```
#[derive(Clone)]
pub struct ContainerOptions {
    channel: ChannelOptions,
    codec: Option<Codec>,
    custom_codec: Option<Arc<dyn MessageCodec>>,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
    extra_types: Vec<Arc<str>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) validate_timeout: Duration,
    pub(crate) on_task_failure: Option<FailureHook>,
}

impl Default for ContainerOptions {
    fn default() -> Self {
        ContainerOptions {
            channel: ChannelOptions::default(),
            codec: None,
            custom_codec: None,
            #[cfg(feature = "tls")]
            tls: None,
            extra_types: Vec::new(),
            clock: Arc::new(RealtimeClock::new()),
            validate_timeout: DEFAULT_VALIDATE_TIMEOUT,
            on_task_failure: None,
        }
    }
}

impl fmt::Debug for ContainerOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerOptions")
            .field("channel", &self.channel_options())
            .field("clock_time", &self.clock.time())
            .finish()
    }
}

impl ContainerOptions {
    /// Sets the codec of all the container's connections (JSON by default), whatever
    /// [`channel`](Self::channel) sets before or after.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = Some(codec);
        self.custom_codec = None;
        self
    }

    /// Sets a codec of your own for all the container's connections (see
    /// [`MessageCodec`]), as [`codec`](Self::codec) sets a built-in one.
    pub fn custom_codec(mut self, codec: impl MessageCodec) -> Self {
        let channel = ChannelOptions::default().custom_codec(codec);
        self.codec = Some(channel.get_codec());
        self.custom_codec = channel.custom_codec;
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
    /// (Python's `ssl=SSLCerts(...)`), whatever [`channel`](Self::channel) sets before or
    /// after; build the config with [`TlsConfig::from_certs`](crate::tls::TlsConfig::from_certs).
    /// Needs the `tls` feature (on by default).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sets the default deadline of calls to other containers' agents
    /// ([`DEFAULT_CALL_TIMEOUT`](crate::channel::DEFAULT_CALL_TIMEOUT) by default; `None`: wait
    /// forever, as Python aiomas); proxies may override it with `with_timeout`. A channel
    /// setting: a later [`channel`](Self::channel) call replaces it.
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.channel = self.channel.call_timeout(timeout);
        self
    }

    /// Sets the connection settings (frame limit, retries, TLS handshake timeout, ...).
    ///
    /// It does not undo an earlier [`codec`](Self::codec) or `tls`: those win over the codec
    /// and TLS config of `channel`, in any order. The channel's extra serializers are replaced
    /// by the container's (Arrow dates, then the types of
    /// [`extra_serializer`](Self::extra_serializer)).
    pub fn channel(mut self, channel: ChannelOptions) -> Self {
        self.channel = channel;
        self
    }

    /// The channel options the container's connections get: the [`channel`](Self::channel)
    /// settings with the container's codec, TLS config and serializers applied.
    pub fn channel_options(&self) -> ChannelOptions {
        let serializers = self
            .extra_types
            .iter()
            .fold(Serializers::new().with_type(ARROW), |s, name| {
                s.with_type(name.clone())
            });
        let mut channel = self.channel.clone().serializers(serializers);
        if let Some(codec) = self.codec {
            channel = channel.codec(codec);
        }
        if let Some(custom) = &self.custom_codec {
            channel = channel.custom_codec_shared(custom.clone());
        }
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            channel = channel.tls(tls.clone());
        }
        channel
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Retry;

    #[test]
    fn a_later_channel_keeps_an_earlier_codec() {
        let options = ContainerOptions::default()
            .codec(Codec::MsgPack)
            .channel(ChannelOptions::default().max_frame_size(1234));
        let channel = options.channel_options();
        assert_eq!(channel.get_codec(), Codec::MsgPack);
        assert_eq!(channel.max_frame_size, 1234);
    }

    #[test]
    fn the_container_codec_wins_over_the_channel_codec_in_either_order() {
        let msgpack_channel = || ChannelOptions::default().codec(Codec::MsgPack);
        let before = ContainerOptions::default()
            .codec(Codec::Json)
            .channel(msgpack_channel());
        let after = ContainerOptions::default()
            .channel(msgpack_channel())
            .codec(Codec::Json);
        assert_eq!(before.channel_options().get_codec(), Codec::Json);
        assert_eq!(after.channel_options().get_codec(), Codec::Json);
    }

    #[test]
    fn the_channel_codec_applies_without_a_container_codec() {
        let options = ContainerOptions::default().channel(
            ChannelOptions::default()
                .codec(Codec::MsgPack)
                .retry(Retry::Forever),
        );
        let channel = options.channel_options();
        assert_eq!(channel.get_codec(), Codec::MsgPack);
        assert_eq!(channel.retry, Retry::Forever);
    }

    #[test]
    fn container_serializers_replace_the_channel_serializers() {
        let options = ContainerOptions::default()
            .extra_serializer("Point")
            .channel(ChannelOptions::default().serializers(Serializers::new().with_type("Other")));
        let serializers = options.channel_options().get_serializers().clone();
        assert_eq!(serializers.typeid(ARROW), Some(0));
        assert_eq!(serializers.typeid("Point"), Some(1));
        assert_eq!(serializers.typeid("Other"), None);
    }

    #[cfg(feature = "tls")]
    #[test]
    fn a_later_channel_keeps_an_earlier_tls_config() {
        let tls = TlsConfig::custom(None, None);
        let options = ContainerOptions::default()
            .tls(tls)
            .channel(ChannelOptions::default().max_frame_size(99));
        assert!(options.channel_options().get_tls().is_some());
        let plain = ContainerOptions::default().channel(ChannelOptions::default());
        assert!(plain.channel_options().get_tls().is_none());
    }

    #[test]
    fn debug_shows_the_effective_channel_settings() {
        let options = ContainerOptions::default().codec(Codec::MsgPack);
        let shown = format!("{options:?}");
        assert!(shown.contains("MsgPack"), "{shown}");
    }
}
