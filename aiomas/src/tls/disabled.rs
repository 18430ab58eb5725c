//! Stands in for the TLS layer when the crate is built without its `tls` feature: the public
//! `tls` module and the `tls(...)` option setters are absent, so no connection can ask for TLS,
//! and the channel layer's hooks below are no-ops that cannot be reached with a handshake.

use std::convert::Infallible;
use std::io;

use crate::channel::{Addr, ChannelOptions, Stream};
use crate::error::ConnectionError;
use crate::Error;

/// Never built: without the feature, no connection has a TLS client side.
pub(crate) struct Connector(Infallible);

impl Connector {
    pub(crate) fn new(_addr: &Addr, _options: &ChannelOptions) -> Result<Option<Connector>, Error> {
        Ok(None)
    }

    pub(crate) async fn connect(&self, _stream: Stream, _addr: &Addr) -> Result<Stream, Error> {
        match self.0 {}
    }
}

/// Never built: without the feature, no server has a TLS server side.
#[derive(Clone)]
pub(crate) struct Acceptor(Infallible);

impl Acceptor {
    pub(crate) fn new(_addr: &Addr, _options: &ChannelOptions) -> Result<Option<Acceptor>, Error> {
        Ok(None)
    }

    pub(crate) async fn accept(&self, _stream: Stream) -> Result<Stream, String> {
        match self.0 {}
    }
}

/// No I/O error comes from a TLS session in a build without TLS.
pub(crate) fn connection_error(_err: &io::Error) -> Option<ConnectionError> {
    None
}
