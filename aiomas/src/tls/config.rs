//! Building the rustls configurations: PEM files in, mutual-TLS policy out.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedCipherSuite};

use crate::Error;

/// The accepted cipher suites, strongest first: AES-GCM with ephemeral ECDHE for TLS 1.2
/// (Python's `ECDH+AESGCM`), and the AES-GCM suites of TLS 1.3 (whose key exchange is always
/// ephemeral). ChaCha20-Poly1305 is not accepted.
pub static CIPHER_SUITES: &[SupportedCipherSuite] = &[
    ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ring::cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

static PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The rustls crypto provider of this module: *ring*, restricted to [`CIPHER_SUITES`].
///
/// Use it for [`TlsConfig::custom`](super::TlsConfig::custom) configurations that should keep
/// the policy.
///
/// ```
/// let provider = aiomas::tls::crypto_provider();
/// assert_eq!(provider.cipher_suites.len(), aiomas::tls::CIPHER_SUITES.len());
/// ```
pub fn crypto_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: CIPHER_SUITES.to_vec(),
        ..ring::default_provider()
    }
}

/// A server configuration like Python's `make_ssl_server_context(cafile, certfile, keyfile)`:
/// it authenticates with `cert` and `key`, and requires every client to present a certificate
/// signed by the CA in `ca`.
///
/// Fails with [`Error::Io`] if a file cannot be read, and with [`Error::Value`] if it holds no
/// usable certificate or key.
///
/// ```no_run
/// let server = aiomas::tls::server_config("ca.pem", "device.pem", "device.key")?;
/// # Ok::<_, aiomas::Error>(())
/// ```
pub fn server_config(
    ca: impl AsRef<Path>,
    cert: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> Result<Arc<ServerConfig>, Error> {
    Material::load(ca.as_ref(), cert.as_ref(), key.as_ref())?.server_config()
}

/// A client configuration like Python's `make_ssl_client_context(cafile, certfile, keyfile)`:
/// it accepts only servers whose certificate is signed by the CA in `ca` and valid for the host
/// it connects to, and authenticates itself with `cert` and `key`.
///
/// Fails like [`server_config`].
///
/// ```no_run
/// let client = aiomas::tls::client_config("ca.pem", "device.pem", "device.key")?;
/// # Ok::<_, aiomas::Error>(())
/// ```
pub fn client_config(
    ca: impl AsRef<Path>,
    cert: impl AsRef<Path>,
    key: impl AsRef<Path>,
) -> Result<Arc<ClientConfig>, Error> {
    Material::load(ca.as_ref(), cert.as_ref(), key.as_ref())?.client_config()
}

/// The parsed contents of the three PEM files.
pub(super) struct Material {
    roots: Arc<RootCertStore>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Material {
    pub(super) fn load(ca: &Path, cert: &Path, key: &Path) -> Result<Material, Error> {
        let mut roots = RootCertStore::empty();
        for root in certificates(ca, "CA")? {
            roots.add(root).map_err(|err| {
                invalid(
                    ca,
                    &format!("cannot use its certificate as a trust anchor: {err}"),
                )
            })?;
        }
        let chain = certificates(cert, "certificate")?;
        let pem = read(key)?;
        let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|err| {
            invalid(
                key,
                &format!("no unencrypted private key (PKCS#8, PKCS#1 or SEC1 PEM) found: {err}"),
            )
        })?;
        Ok(Material {
            roots: Arc::new(roots),
            chain,
            key,
        })
    }

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(crypto_provider())
    }

    pub(super) fn server_config(&self) -> Result<Arc<ServerConfig>, Error> {
        let provider = Self::provider();
        let verifier =
            WebPkiClientVerifier::builder_with_provider(self.roots.clone(), provider.clone())
                .build()
                .map_err(|err| Error::Value(format!("cannot verify clients: {err}")))?;
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .map_err(config_error)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(config_error)?;
        Ok(Arc::new(config))
    }

    pub(super) fn client_config(&self) -> Result<Arc<ClientConfig>, Error> {
        let config = ClientConfig::builder_with_provider(Self::provider())
            .with_protocol_versions(PROTOCOL_VERSIONS)
            .map_err(config_error)?
            .with_root_certificates(self.roots.clone())
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())
            .map_err(config_error)?;
        Ok(Arc::new(config))
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|err| {
        std::io::Error::new(err.kind(), format!("cannot read {}: {err}", path.display())).into()
    })
}

/// Every certificate in the PEM file at `path`; at least one.
fn certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(path, &format!("bad PEM: {err}")))?;
    if certs.is_empty() {
        return Err(invalid(
            path,
            &format!("no {what} (BEGIN CERTIFICATE) found"),
        ));
    }
    Ok(certs)
}

fn invalid(path: &Path, why: &str) -> Error {
    Error::Value(format!("invalid TLS file {}: {why}", path.display()))
}

fn config_error(err: rustls::Error) -> Error {
    Error::Value(format!("invalid TLS configuration: {err}"))
}
