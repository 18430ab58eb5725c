//! Settings of a container: codec, extra serializers, clock, frame limit.

use std::sync::Arc;

use crate::channel::ChannelOptions;
use crate::clock::{Clock, RealtimeClock};
use crate::codec::{Codec, Serializers, ARROW};
use crate::tls::TlsConfig;

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
}

impl Default for ContainerOptions {
    fn default() -> Self {
        ContainerOptions {
            channel: ChannelOptions::default(),
            extra_types: Vec::new(),
            clock: Arc::new(RealtimeClock::new()),
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
