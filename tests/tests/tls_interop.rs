//! Mutual TLS between our channels and the real Python aiomas 2.0.1 (SPEC section 8).
//!
//! The Python side (`tests/python/tls_peer.py`) uses aiomas' own `make_ssl_server_context` and
//! `make_ssl_client_context` (TLS 1.2, `ECDH+AESGCM`) with PEM files that each test makes with
//! rcgen in a temp dir. Python speaks TLS 1.2 only, so every connection here negotiates TLS 1.2.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, ChannelOptions, Server};
use aiomas::codec::Codec;
use aiomas::tls::{SslCerts, TlsConfig};
use aiomas::{ConnectionErrorKind, Error, Value};
use aiomas_tests::{within, PythonPeer};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

const PEER: &str = "tls_peer.py";

// --- a throw-away PKI --------------------------------------------------------------------

/// `ca.pem` with `server` (for localhost, 127.0.0.1, ::1) and `client` certificates, and an
/// unrelated `other-ca.pem` with an `other` certificate; removed on drop.
struct Pki {
    dir: PathBuf,
}

fn ca(name: &str) -> (Issuer<'static, KeyPair>, String) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let pem = params.self_signed(&key).unwrap().pem();
    (Issuer::new(params, key), pem)
}

impl Pki {
    fn new() -> Pki {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aiomas-tls-interop-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Pki { dir };
        let (good, good_pem) = ca("aiomas test CA");
        let (other, other_pem) = ca("unrelated CA");
        std::fs::write(pki.path("ca.pem"), good_pem).unwrap();
        std::fs::write(pki.path("other-ca.pem"), other_pem).unwrap();
        let names = ["localhost", "127.0.0.1", "::1"];
        pki.leaf(&good, "server", &names);
        pki.leaf(&good, "client", &[]);
        pki.leaf(&other, "other", &names);
        pki
    }

    fn leaf(&self, issuer: &Issuer<'_, KeyPair>, name: &str, sans: &[&str]) {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, issuer).unwrap();
        std::fs::write(self.path(&format!("{name}.pem")), cert.pem()).unwrap();
        std::fs::write(self.path(&format!("{name}.key")), key.serialize_pem()).unwrap();
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn arg(&self, file: &str) -> String {
        self.path(file).to_str().unwrap().to_owned()
    }

    /// Command-line arguments for `tls_peer.py`: trust `ca_file`, use `name`'s cert and key.
    fn peer_args(&self, ca_file: &str, name: &str) -> Vec<String> {
        vec![
            "--ca".into(),
            self.arg(ca_file),
            "--cert".into(),
            self.arg(&format!("{name}.pem")),
            "--key".into(),
            self.arg(&format!("{name}.key")),
        ]
    }

    fn options(&self, ca_file: &str, name: &str, codec: Codec) -> ChannelOptions {
        let certs = SslCerts::new(
            self.path(ca_file),
            self.path(&format!("{name}.pem")),
            self.path(&format!("{name}.key")),
        );
        ChannelOptions::default()
            .codec(codec)
            .tls(TlsConfig::from_certs(&certs).unwrap())
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// --- helpers -----------------------------------------------------------------------------

fn args<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect()
}

fn assert_tls(err: &Error, what: &str) {
    match err {
        Error::Connection(conn) if conn.kind() == ConnectionErrorKind::Tls => {}
        other => panic!("{what}: expected a TLS connection error, got {other:?}: {other}"),
    }
    eprintln!("{what}: {err}");
}

/// Our TLS server: `"ohai"` -> `"cya"`, anything else echoed.
async fn rust_server(pki: &Pki, host: &str, codec: Codec) -> Server {
    channel::start_server(
        Addr::tcp(host, 0),
        pki.options("ca.pem", "server", codec),
        |channel| async move {
            while let Ok(request) = channel.recv().await {
                let reply = match request.content() {
                    Value::Str(s) if s == "ohai" => Value::from("cya"),
                    other => other.clone(),
                };
                let _ = request.reply(reply);
            }
        },
    )
    .await
    .expect("start_server")
}

/// Runs `tls_peer.py client` against `addr` and checks its report.
async fn python_client_ok(pki: &Pki, addr: &Addr, codec: Codec) {
    let tail = pki.peer_args("ca.pem", "client");
    let addr = addr.to_string();
    let peer = PythonPeer::spawn(
        PEER,
        &args(&["client", &addr, "--codec", codec.name()], &tail),
    );
    let stdout = within(90.0, "the Python TLS client", peer.wait_ok_async()).await;
    assert!(stdout.contains("TLS TLSv1.2 ECDHE-"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checks"), "{stdout}");
}

// --- Rust client, Python server ----------------------------------------------------------

async fn rust_client_vs_python_server(codec: Codec, listen: &str) {
    let pki = Pki::new();
    let tail = pki.peer_args("ca.pem", "server");
    let peer = PythonPeer::start_async(
        PEER,
        &args(&["server", listen, "--codec", codec.name()], &tail),
    )
    .await;
    let addr: Addr = peer.addr().parse().unwrap();

    let good = || pki.options("ca.pem", "client", codec);
    let channel = within(10.0, "connect", channel::open_connection(&addr, good()))
        .await
        .unwrap_or_else(|err| panic!("cannot connect to the Python TLS server: {err}"));
    let reply = within(10.0, "ohai", channel.send("ohai")).await.unwrap();
    assert_eq!(reply, Value::from("cya"));
    let value = Value::List(vec![
        "echo".into(),
        Value::List(vec![1.into(), "äöü".into()]),
    ]);
    let reply = within(10.0, "echo", channel.send(value)).await.unwrap();
    assert_eq!(reply, Value::List(vec![1.into(), "äöü".into()]));
    let info = within(10.0, "tls", channel.send(Value::List(vec!["tls".into()])))
        .await
        .unwrap();
    let info = info.as_list().unwrap_or_default();
    assert_eq!(info[0], Value::from("TLSv1.2"), "{info:?}");
    let cipher = info[1].as_str().unwrap_or_default();
    assert!(
        cipher.starts_with("ECDHE-") && cipher.contains("GCM"),
        "{cipher}"
    );
    channel.close().await;

    // Python refuses our client certificate from another CA, and one we do not send.
    let err = within(10.0, "other CA", async {
        match channel::open_connection(&addr, pki.options("ca.pem", "other", codec)).await {
            Err(err) => err,
            Ok(channel) => channel.send("ohai").await.unwrap_err(),
        }
    })
    .await;
    assert_tls(&err, "client certificate from another CA");
    assert!(err.to_string().contains("refused"), "{err}");
    // We refuse Python's server certificate if we trust only the other CA.
    let err = within(10.0, "untrusted server", async {
        channel::open_connection(&addr, pki.options("other-ca.pem", "other", codec)).await
    })
    .await
    .unwrap_err();
    assert_tls(&err, "server certificate from an untrusted CA");
    assert!(
        err.to_string().contains("not signed by the trusted CA"),
        "{err}"
    );

    // The Python server still serves good clients.
    let channel = within(10.0, "reconnect", channel::open_connection(&addr, good()))
        .await
        .unwrap();
    assert_eq!(
        within(10.0, "ohai", channel.send("ohai")).await.unwrap(),
        "cya".into()
    );
    channel.close().await;
    let output = peer.stop_async().await;
    assert!(output.status.success(), "{output:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_python_server_json_ipv4() {
    rust_client_vs_python_server(Codec::Json, "127.0.0.1:0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_python_server_msgpack_ipv6() {
    rust_client_vs_python_server(Codec::MsgPack, "[::1]:0").await;
}

// --- Python client, Rust server ----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_rust_server_json_ipv4() {
    let pki = Pki::new();
    let server = rust_server(&pki, "127.0.0.1", Codec::Json).await;
    python_client_ok(&pki, server.addr(), Codec::Json).await;
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_rust_server_msgpack_ipv6() {
    let pki = Pki::new();
    let server = rust_server(&pki, "::1", Codec::MsgPack).await;
    python_client_ok(&pki, server.addr(), Codec::MsgPack).await;
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_server_refuses_python_clients_and_stays_up() {
    let pki = Pki::new();
    let server = rust_server(&pki, "127.0.0.1", Codec::Json).await;
    let addr = server.addr().to_string();
    let other = pki.peer_args("ca.pem", "other");
    let no_cert = vec!["--ca".to_owned(), pki.arg("ca.pem")];
    for (what, tail) in [("cert from the other CA", &other), ("no cert", &no_cert)] {
        let peer = PythonPeer::spawn(PEER, &args(&["refused", &addr], tail));
        let stdout = within(90.0, what, peer.wait_ok_async()).await;
        assert!(stdout.contains("REFUSED"), "{what}: {stdout}");
        eprintln!("Python client with {what}: {}", stdout.trim_end());
        python_client_ok(&pki, server.addr(), Codec::Json).await;
    }
    server.close().await;
}

// --- TLS against plain peers: errors, not hangs ------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_tls_client_vs_plain_python_server_times_out() {
    let pki = Pki::new();
    let peer = PythonPeer::start_async("channel_peer.py", &["server", "127.0.0.1:0"]).await;
    let addr: Addr = peer.addr().parse().unwrap();
    let options = pki
        .options("ca.pem", "client", Codec::Json)
        .tls_handshake_timeout(Duration::from_millis(500));
    let err = within(10.0, "connect", channel::open_connection(&addr, options))
        .await
        .unwrap_err();
    assert_tls(&err, "TLS client on a plain Python server");
    peer.stop_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_python_client_on_rust_tls_port_fails_promptly() {
    let pki = Pki::new();
    let server = rust_server(&pki, "127.0.0.1", Codec::Json).await;
    let started = Instant::now();
    let peer = PythonPeer::spawn("channel_peer.py", &["client", &server.addr().to_string()]);
    let output = within(60.0, "plain Python client", peer.stop_async()).await;
    assert!(!output.status.success(), "{output:?}");
    assert!(output.stdout.contains("FAIL"), "{output:?}");
    // Python starts in well under a second; its request timeout (10 s) must not be what ended it.
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    python_client_ok(&pki, server.addr(), Codec::Json).await;
    server.close().await;
}
