//! A throw-away PKI for the TLS tests, made with rcgen (nothing secret is committed).
//!
//! [`Pki::new`] makes a temp dir (removed on drop) with two CAs: `ca.pem`, the test CA, and
//! `other-ca.pem`, an unrelated one. Certificates are added by name: `<name>.pem` and
//! `<name>.key`, for the given subject alternative names, usable by servers and clients.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use aiomas::channel::ChannelOptions;
use aiomas::tls::{SslCerts, TlsConfig};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The names a certificate of a local server needs: `localhost`, `127.0.0.1` and `::1`.
pub const LOCAL_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// PEM files in a temp dir, removed on drop; see the [module docs](self).
pub struct Pki {
    dir: PathBuf,
    ca: Issuer<'static, KeyPair>,
    other_ca: Issuer<'static, KeyPair>,
}

/// A self-signed CA named `name`: its issuer and its certificate's PEM.
fn self_signed_ca(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (Issuer::new(params, key), pem)
}

impl Pki {
    /// A fresh temp dir with `ca.pem` (the test CA) and `other-ca.pem` (an unrelated CA).
    pub fn new() -> Pki {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aiomas-pki-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (ca, ca_pem) = self_signed_ca("aiomas test CA");
        let (other_ca, other_pem) = self_signed_ca("unrelated CA");
        let pki = Pki { dir, ca, other_ca };
        pki.write("ca.pem", &ca_pem);
        pki.write("other-ca.pem", &other_pem);
        pki
    }

    /// The PKI of the channel tests: `server` (for [`LOCAL_NAMES`]) and `client` (no names)
    /// signed by `ca.pem`, and `other` (for [`LOCAL_NAMES`]) signed by `other-ca.pem`.
    pub fn server_and_client() -> Pki {
        let pki = Pki::new();
        pki.leaf("server", LOCAL_NAMES);
        pki.leaf("client", &[]);
        pki.foreign_leaf("other", LOCAL_NAMES);
        pki
    }

    /// `<name>.pem` and `<name>.key` for `sans`, signed by `ca.pem`.
    pub fn leaf(&self, name: &str, sans: &[&str]) {
        self.sign(&self.ca, name, sans, false);
    }

    /// `<name>.pem` and `<name>.key` for `sans`, signed by the unrelated `other-ca.pem`.
    pub fn foreign_leaf(&self, name: &str, sans: &[&str]) {
        self.sign(&self.other_ca, name, sans, false);
    }

    /// `<name>.pem` and `<name>.key` for `sans`, signed by `ca.pem`, valid in 2000 only.
    pub fn expired_leaf(&self, name: &str, sans: &[&str]) {
        self.sign(&self.ca, name, sans, true);
    }

    fn sign(&self, issuer: &Issuer<'_, KeyPair>, name: &str, sans: &[&str], expired: bool) {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, issuer).unwrap();
        self.write(&format!("{name}.pem"), &cert.pem());
        self.write(&format!("{name}.key"), &key.serialize_pem());
    }

    /// Writes `text` to `file` in the PKI's dir.
    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.path(file), text).unwrap();
    }

    /// The path of `file` in the PKI's dir.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// [`path`](Self::path) as a command-line argument.
    pub fn arg(&self, file: &str) -> String {
        self.path(file).to_str().unwrap().to_owned()
    }

    /// `SslCerts(ca_file, <name>.pem, <name>.key)`: `name`'s certificate and key, trusting the
    /// CA in `ca_file`.
    pub fn certs(&self, ca_file: &str, name: &str) -> SslCerts {
        SslCerts::new(
            self.path(ca_file),
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.key")),
        )
    }

    /// The [`TlsConfig`] of [`certs`](Self::certs).
    pub fn tls(&self, ca_file: &str, name: &str) -> TlsConfig {
        TlsConfig::from_certs(&self.certs(ca_file, name)).unwrap()
    }

    /// Channel options with [`tls`](Self::tls).
    pub fn options(&self, ca_file: &str, name: &str) -> ChannelOptions {
        ChannelOptions::default().tls(self.tls(ca_file, name))
    }

    /// The options of a server with the `server` certificate, trusting `ca.pem`.
    pub fn server(&self) -> ChannelOptions {
        self.options("ca.pem", "server")
    }

    /// The options of a client with the `client` certificate, trusting `ca.pem`.
    pub fn client(&self) -> ChannelOptions {
        self.options("ca.pem", "client")
    }

    /// `--ca CA --cert CERT --key KEY` of a Python peer (Python's `SSLCerts`), as
    /// [`certs`](Self::certs).
    pub fn python_args(&self, ca_file: &str, name: &str) -> Vec<String> {
        vec![
            "--ca".into(),
            self.arg(ca_file),
            "--cert".into(),
            self.arg(&format!("{name}.pem")),
            "--key".into(),
            self.arg(&format!("{name}.key")),
        ]
    }
}

impl Default for Pki {
    fn default() -> Pki {
        Pki::new()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
