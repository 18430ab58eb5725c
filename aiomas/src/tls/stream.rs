//! TLS handshakes on channel streams, bounded in time, and clear messages for their failures.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, InvalidMessage};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use crate::channel::{Addr, ChannelOptions, Stream};
use crate::error::{ConnectionError, ConnectionErrorKind};
use crate::Error;

/// The first byte of every TLS record that opens a handshake (content type 22).
const HANDSHAKE_RECORD: u8 = 0x16;

fn tls_error(message: String) -> Error {
    ConnectionError::new(ConnectionErrorKind::Tls, message).into()
}

/// Refuses TLS on transports other than TCP (see the module docs).
fn check_tcp(addr: &Addr) -> Result<&str, Error> {
    match addr {
        Addr::Tcp { host, .. } => Ok(host),
        _ => Err(tls_error(format!(
            "TLS is only available on TCP connections, not on {addr} \
             (a Unix socket or local queue); remove the TLS config or use a TCP address"
        ))),
    }
}

/// Wraps `io` into a [`Stream`] again, keeping the peer's name.
fn into_stream<S>(io: S, peer: String) -> Stream
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (reader, writer) = tokio::io::split(io);
    Stream {
        reader: Box::new(reader),
        writer: Box::new(writer),
        peer,
    }
}

/// The client side: checks the options before connecting, then does the handshake.
pub(crate) struct Connector {
    connector: TlsConnector,
    name: ServerName<'static>,
    timeout: Duration,
}

impl Connector {
    /// `None` without TLS; an error if TLS cannot be used towards `addr`.
    pub(crate) fn new(addr: &Addr, options: &ChannelOptions) -> Result<Option<Connector>, Error> {
        let Some(tls) = &options.tls else {
            return Ok(None);
        };
        let host = check_tcp(addr)?;
        let config = tls.client().ok_or_else(|| {
            tls_error(format!(
                "cannot connect to {addr}: the TLS config has no client side \
                 (use TlsConfig::from_certs, or TlsConfig::custom with a client config)"
            ))
        })?;
        let name = ServerName::try_from(host)
            .map_err(|_| tls_error(format!("{host:?} is not a valid TLS server name")))?
            .to_owned();
        Ok(Some(Connector {
            connector: TlsConnector::from(config.clone()),
            name,
            timeout: options.tls_handshake_timeout,
        }))
    }

    /// Runs the handshake over `stream` (connected to `addr`).
    pub(crate) async fn connect(&self, stream: Stream, addr: &Addr) -> Result<Stream, Error> {
        let Stream {
            reader,
            writer,
            peer,
        } = stream;
        let answered = Arc::new(AtomicBool::new(false));
        let reader = Watch {
            inner: reader,
            answered: answered.clone(),
        };
        let io = tokio::io::join(reader, writer);
        let handshake = self.connector.connect(self.name.clone(), io);
        let result = tokio::time::timeout(self.timeout, handshake).await;
        let answered = answered.load(Ordering::Relaxed);
        match result {
            Ok(Ok(tls)) => Ok(into_stream(tls, peer)),
            Ok(Err(err)) if answered && err.kind() == io::ErrorKind::UnexpectedEof => {
                Err(tls_error(format!(
                    "TLS handshake with {addr} failed: the server hung up after seeing our \
                     certificate; it probably refused it (not signed by the CA it trusts, or \
                     expired)"
                )))
            }
            Ok(Err(err)) => Err(tls_error(format!(
                "TLS handshake with {addr} failed: {}",
                describe_io(&err, Side::Client)
            ))),
            Err(_) => Err(tls_error(format!(
                "TLS handshake with {addr} timed out after {:?} ({})",
                self.timeout,
                if answered {
                    "the server answered, but did not finish the handshake"
                } else {
                    "the server sent nothing back; does it speak TLS?"
                }
            ))),
        }
    }
}

/// A reader that notes whether the peer has sent anything yet.
struct Watch<R> {
    inner: R,
    answered: Arc<AtomicBool>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Watch<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.answered.store(true, Ordering::Relaxed);
        }
        polled
    }
}

/// The server side, shared by the connection tasks of a server.
#[derive(Clone)]
pub(crate) struct Acceptor {
    acceptor: TlsAcceptor,
    timeout: Duration,
}

impl Acceptor {
    /// `None` without TLS; an error if TLS cannot be used on `addr`.
    pub(crate) fn new(addr: &Addr, options: &ChannelOptions) -> Result<Option<Acceptor>, Error> {
        let Some(tls) = &options.tls else {
            return Ok(None);
        };
        check_tcp(addr)?;
        let config = tls.server().ok_or_else(|| {
            tls_error(format!(
                "cannot serve on {addr}: the TLS config has no server side \
                 (use TlsConfig::from_certs, or TlsConfig::custom with a server config)"
            ))
        })?;
        Ok(Some(Acceptor {
            acceptor: TlsAcceptor::from(config.clone()),
            timeout: options.tls_handshake_timeout,
        }))
    }

    /// Runs the handshake over an accepted `stream`; the error explains why it failed.
    pub(crate) async fn accept(&self, stream: Stream) -> Result<Stream, String> {
        match tokio::time::timeout(self.timeout, self.handshake(stream)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the client did not complete the TLS handshake within {:?}",
                self.timeout
            )),
        }
    }

    async fn handshake(&self, stream: Stream) -> Result<Stream, String> {
        let Stream {
            mut reader,
            writer,
            peer,
        } = stream;
        // Look at the first byte before rustls does: a plain aiomas client (its first bytes
        // are a frame length) is dropped without an answer, so it sees its connection close
        // instead of a TLS alert that it would misread as a frame header.
        let mut first = [0; 1];
        match reader.read(&mut first).await {
            Ok(0) => return Err("the client closed the connection before the handshake".into()),
            Ok(_) if first[0] != HANDSHAKE_RECORD => {
                return Err(format!(
                    "the client does not speak TLS (first byte {:#04x}; a plain aiomas client?)",
                    first[0]
                ))
            }
            Ok(_) => {}
            Err(err) => return Err(format!("reading the client hello failed: {err}")),
        }
        let io = tokio::io::join(io::Cursor::new(first).chain(reader), writer);
        match self.acceptor.accept(io).await {
            Ok(tls) => Ok(into_stream(tls, peer)),
            Err(err) => Err(describe_io(&err, Side::Server)),
        }
    }
}

/// A TLS error that ended an established connection (e.g. a TLS 1.3 server refusing our
/// certificate after our handshake completed), as a connection error of kind `Tls`.
pub(crate) fn connection_error(err: &io::Error) -> Option<ConnectionError> {
    let tls = err.get_ref()?.downcast_ref::<rustls::Error>()?;
    Some(ConnectionError::new(
        ConnectionErrorKind::Tls,
        format!("TLS error: {}", describe(tls, Side::Either)),
    ))
}

/// Which end we are: the words for "the peer" differ.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
    /// An established connection, where we do not know.
    Either,
}

fn describe_io(err: &io::Error, side: Side) -> String {
    match err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        Some(tls) => describe(tls, side),
        None if err.kind() == io::ErrorKind::UnexpectedEof => format!(
            "the {} closed the connection during the handshake (does it speak TLS?)",
            peer_word(side)
        ),
        None => err.to_string(),
    }
}

fn peer_word(side: Side) -> &'static str {
    match side {
        Side::Client => "server",
        Side::Server => "client",
        Side::Either => "peer",
    }
}

/// A sentence on what went wrong, followed by rustls' own words.
fn describe(err: &rustls::Error, side: Side) -> String {
    use rustls::Error as E;
    use AlertDescription as A;
    use CertificateError as C;
    let peer = peer_word(side);
    let why = match err {
        E::NoCertificatesPresented => format!("the {peer} sent no certificate"),
        E::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => format!("the {peer}'s certificate is not signed by the trusted CA"),
            C::Expired | C::ExpiredContext { .. } => {
                format!("the {peer}'s certificate has expired")
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                format!("the {peer}'s certificate is not valid yet")
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("the {peer}'s certificate is not valid for the name connected to")
            }
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                format!("the {peer}'s certificate is not meant for this use (extended key usage)")
            }
            _ => format!("the {peer}'s certificate was refused"),
        },
        E::AlertReceived(alert) => match alert {
            A::CertificateRequired => {
                format!("the {peer} requires a certificate, and none was sent")
            }
            A::UnknownCA => format!("the {peer} does not trust our certificate's CA"),
            A::CertificateExpired => format!("the {peer} refused our certificate as expired"),
            A::BadCertificate | A::CertificateUnknown | A::UnsupportedCertificate => {
                format!("the {peer} refused our certificate")
            }
            A::HandshakeFailure => format!(
                "the {peer} refused the handshake (no common cipher suite or protocol version, \
                 or a missing certificate)"
            ),
            A::ProtocolVersion => format!("the {peer} supports none of our protocol versions"),
            _ => format!("the {peer} sent a fatal alert"),
        },
        E::InvalidMessage(InvalidMessage::InvalidContentType)
        | E::InvalidMessage(InvalidMessage::UnknownProtocolVersion) => {
            format!("the {peer} does not speak TLS")
        }
        E::PeerIncompatible(_) => format!("the {peer} has no cipher suite or version in common"),
        _ => "TLS failure".to_owned(),
    };
    format!("{why} ({err})")
}
