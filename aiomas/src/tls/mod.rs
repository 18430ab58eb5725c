//! Transport security: mutual TLS over TCP, on rustls (feature `tls`, on by default).
//!
//! Python aiomas secures a deployment with one private root CA: every machine holds the CA
//! certificate and a certificate of its own, signed by that CA, and both ends of a connection
//! authenticate each other against the CA (and nothing else). This module builds the
//! [rustls](https://docs.rs/rustls) configurations for that policy:
//!
//! - [`server_config`] and [`client_config`]: the counterparts of Python's
//!   `make_ssl_server_context(cafile, certfile, keyfile)` and `make_ssl_client_context(...)`;
//! - [`TlsConfig::from_certs`] with [`SslCerts`] (Python's `SSLCerts` named tuple): both sides
//!   at once, as a container needs them (a server socket and outgoing connections);
//! - [`TlsConfig::custom`]: any rustls configuration of your own.
//!
//! Pass the result to [`ChannelOptions::tls`](crate::channel::ChannelOptions::tls); it works for
//! the channel and the RPC layer alike:
//!
//! ```no_run
//! use aiomas::channel::{self, Addr, ChannelOptions};
//! use aiomas::tls::{SslCerts, TlsConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> aiomas::Result<()> {
//! let tls = TlsConfig::from_certs(&SslCerts::new("ca.pem", "device.pem", "device.key"))?;
//! let options = ChannelOptions::default().tls(tls);
//! let server = channel::start_server(Addr::tcp("127.0.0.1", 5555), options.clone(), |channel| async move {
//!     if let Ok(request) = channel.recv().await {
//!         request.reply("cya").unwrap();
//!     }
//! })
//! .await?;
//! let channel = channel::open_connection(server.addr(), options).await?;
//! assert_eq!(channel.send("ohai").await?, "cya".into());
//! # Ok(())
//! # }
//! ```
//!
//! # Policy
//!
//! - Protocol versions TLS 1.3 and TLS 1.2. Python's contexts speak TLS 1.2 only, so a Python
//!   peer negotiates TLS 1.2; two Rust peers negotiate TLS 1.3.
//! - Cipher suites: AES-GCM with ephemeral (EC)DHE only, like Python's `ECDH+AESGCM`
//!   (see [`CIPHER_SUITES`]). ChaCha20-Poly1305 is left out, in TLS 1.3 too, so both protocol
//!   versions offer the same ciphers as Python. Key exchange: X25519, P-256, P-384; every
//!   connection uses fresh keys (Python's `OP_SINGLE_ECDH_USE`); rustls has no TLS
//!   compression (Python's `OP_NO_COMPRESSION`).
//! - The server requires a client certificate and verifies it against the CA only.
//! - The client verifies the server against the CA only and checks its name: the host of the
//!   address it connects to must be one of the certificate's subject alternative names (a DNS
//!   name, or an IP address for `127.0.0.1`, `[::1]`, ...). The common name is not looked at.
//!
//! # Where TLS applies
//!
//! TLS wraps TCP connections only. A TLS configuration on a Unix-socket or local-queue address
//! is refused with a [`ConnectionErrorKind::Tls`](crate::ConnectionErrorKind::Tls) error rather
//! than silently ignored (Python hands `ssl` to `create_unix_connection`, which fails for lack
//! of a host name to check, and its local queue ignores it).
//!
//! # Failures
//!
//! A failed handshake is [`Error::Connection`] with kind
//! [`Tls`](crate::ConnectionErrorKind::Tls) and a message that says what was wrong (unknown CA,
//! expired certificate, name mismatch, no client certificate, a peer that does not speak TLS,
//! a handshake that timed out). With TLS 1.3 a client has finished its handshake before the
//! server has checked the client's certificate: a refused client certificate then fails the
//! first request (same error kind) rather than the connect. A server logs failed handshakes
//! (`tracing`, level warn), drops the connection and keeps serving. A client that does not speak
//! TLS is dropped without an answer (a TLS alert would be misread as a frame header), so its
//! requests fail promptly with a `Closed` or `Reset` connection error. Handshakes are bounded
//! by [`ChannelOptions::tls_handshake_timeout`](crate::channel::ChannelOptions::tls_handshake_timeout)
//! on both sides; a server runs each one in the connection's own task, so a client that never
//! speaks holds up nobody else.

mod config;
mod stream;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

pub use rustls;
use rustls::{ClientConfig, ServerConfig};

pub use config::{client_config, crypto_provider, server_config, CIPHER_SUITES};
pub(crate) use stream::{connection_error, Acceptor, Connector};

use crate::Error;

/// The file names of the CA certificate, this machine's certificate (chain) and its private
/// key, all PEM, like Python's `aiomas.SSLCerts(cafile, certfile, keyfile)`.
///
/// ```
/// let certs = aiomas::tls::SslCerts::new("ca.pem", "device.pem", "device.key");
/// assert_eq!(certs.ca, std::path::Path::new("ca.pem"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SslCerts {
    /// The root CA certificate(s) that peers' certificates must be signed by.
    pub ca: PathBuf,
    /// This machine's certificate, optionally followed by intermediate certificates.
    pub cert: PathBuf,
    /// The private key of `cert` (PKCS#8, PKCS#1 or SEC1; not encrypted).
    pub key: PathBuf,
}

impl SslCerts {
    /// Bundles the three file names.
    pub fn new(ca: impl Into<PathBuf>, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        SslCerts {
            ca: ca.into(),
            cert: cert.into(),
            key: key.into(),
        }
    }
}

/// The TLS settings of a connection or server: a rustls server configuration (for servers), a
/// client configuration (for outgoing connections), or both (a container needs both).
///
/// Cheap to clone (the configurations are shared).
///
/// ```
/// use std::sync::Arc;
///
/// use aiomas::channel::ChannelOptions;
/// use aiomas::tls::{self, TlsConfig};
///
/// // Any rustls configs work; build them on the module's provider to keep its cipher policy.
/// let roots = tls::rustls::RootCertStore::empty();
/// let client = tls::rustls::ClientConfig::builder_with_provider(Arc::new(tls::crypto_provider()))
///     .with_safe_default_protocol_versions()
///     .unwrap()
///     .with_root_certificates(roots)
///     .with_no_client_auth();
/// let tls = TlsConfig::custom(None, Some(Arc::new(client)));
/// assert!(tls.client().is_some() && tls.server().is_none());
/// let options = ChannelOptions::default().tls(tls);
/// assert!(options.get_tls().is_some());
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    server: Option<Arc<ServerConfig>>,
    client: Option<Arc<ClientConfig>>,
}

impl TlsConfig {
    /// Both sides from one set of PEM files, with the policy of [`server_config`] and
    /// [`client_config`] (Python's `Container.create(..., ssl=SSLCerts(...))`).
    ///
    /// Fails with [`Error::Io`] if a file cannot be read, and with [`Error::Value`] if it
    /// holds no usable certificate or key.
    ///
    /// ```no_run
    /// use aiomas::tls::{SslCerts, TlsConfig};
    /// let tls = TlsConfig::from_certs(&SslCerts::new("ca.pem", "device.pem", "device.key"))?;
    /// assert!(tls.server().is_some() && tls.client().is_some());
    /// # Ok::<_, aiomas::Error>(())
    /// ```
    pub fn from_certs(certs: &SslCerts) -> Result<TlsConfig, Error> {
        let material = config::Material::load(&certs.ca, &certs.cert, &certs.key)?;
        Ok(TlsConfig {
            server: Some(material.server_config()?),
            client: Some(material.client_config()?),
        })
    }

    /// Any rustls configurations of your own (Python's `ssl=(server_ctx, client_ctx)`).
    ///
    /// A server needs `server`, a connecting side needs `client`; the side that is missing is
    /// an error where it would be used. Build them on [`crypto_provider`] to keep the cipher
    /// policy of this module.
    ///
    /// ```no_run
    /// use aiomas::tls::{client_config, TlsConfig};
    /// let client_only = TlsConfig::custom(None, Some(client_config("ca.pem", "device.pem", "device.key")?));
    /// assert!(client_only.server().is_none());
    /// # Ok::<_, aiomas::Error>(())
    /// ```
    pub fn custom(server: Option<Arc<ServerConfig>>, client: Option<Arc<ClientConfig>>) -> Self {
        TlsConfig { server, client }
    }

    /// The configuration for accepting connections, if any.
    pub fn server(&self) -> Option<&Arc<ServerConfig>> {
        self.server.as_ref()
    }

    /// The configuration for opening connections, if any.
    pub fn client(&self) -> Option<&Arc<ClientConfig>> {
        self.client.as_ref()
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("server", &self.server.is_some())
            .field("client", &self.client.is_some())
            .finish()
    }
}
