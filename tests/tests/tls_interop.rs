//! Mutual TLS between our channels and the real Python aiomas 2.0.1.
//!
//! The Python side (`tests/python/tls_peer.py`) uses aiomas' own `make_ssl_server_context` and
//! `make_ssl_client_context` (TLS 1.2, `ECDH+AESGCM`) with PEM files that each test makes with
//! rcgen in a temp dir ([`Pki::server_and_client`]). Python speaks TLS 1.2 only, so every
//! connection here negotiates TLS 1.2.

use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, Server};
use aiomas::codec::Codec;
use aiomas::{ConnectionErrorKind, Error, Value};
use aiomas_tests::{assert_works, echo_server, join_args, refusal, within, Pki, PythonPeer};

const PEER: &str = "tls_peer.py";

// --- helpers -----------------------------------------------------------------------------

fn assert_tls(err: &Error, what: &str) {
    match err {
        Error::Connection(conn) if conn.kind() == ConnectionErrorKind::Tls => {}
        other => panic!("{what}: expected a TLS connection error, got {other:?}: {other}"),
    }
    eprintln!("{what}: {err}");
}

/// Our TLS server ([`echo_server`] with the `server` certificate).
async fn rust_server(pki: &Pki, host: &str, codec: Codec) -> Server {
    echo_server(Addr::tcp(host, 0), pki.server().codec(codec)).await
}

/// Runs `tls_peer.py client` against `addr` and checks its report.
async fn python_client_ok(pki: &Pki, addr: &Addr, codec: Codec) {
    let tail = pki.python_args("ca.pem", "client");
    let addr = addr.to_string();
    let args = join_args(&["client", &addr, "--codec", codec.name()], &tail);
    let stdout = PythonPeer::run_checks(PEER, &args).await;
    assert!(stdout.contains("TLS TLSv1.2 ECDHE-"), "{stdout}");
    assert!(stdout.trim_end().ends_with("checks"), "{stdout}");
}

// --- Rust client, Python server ----------------------------------------------------------

async fn rust_client_vs_python_server(codec: Codec, listen: &str) {
    let pki = Pki::server_and_client();
    let tail = pki.python_args("ca.pem", "server");
    let peer = PythonPeer::start_async(
        PEER,
        &join_args(&["server", listen, "--codec", codec.name()], &tail),
    )
    .await;
    let addr: Addr = peer.addr().parse().unwrap();

    let good = || pki.client().codec(codec);
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
    let err = refusal(&addr, pki.options("ca.pem", "other").codec(codec)).await;
    assert_tls(&err, "client certificate from another CA");
    assert!(err.to_string().contains("refused"), "{err}");
    // We refuse Python's server certificate if we trust only the other CA.
    let err = within(10.0, "untrusted server", async {
        channel::open_connection(&addr, pki.options("other-ca.pem", "other").codec(codec)).await
    })
    .await
    .unwrap_err();
    assert_tls(&err, "server certificate from an untrusted CA");
    assert!(
        err.to_string().contains("not signed by the trusted CA"),
        "{err}"
    );

    // The Python server still serves good clients.
    assert_works(&addr, good()).await;
    peer.stop_ok_async().await;
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
    let pki = Pki::server_and_client();
    let server = rust_server(&pki, "127.0.0.1", Codec::Json).await;
    python_client_ok(&pki, server.addr(), Codec::Json).await;
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_rust_server_msgpack_ipv6() {
    let pki = Pki::server_and_client();
    let server = rust_server(&pki, "::1", Codec::MsgPack).await;
    python_client_ok(&pki, server.addr(), Codec::MsgPack).await;
    server.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_server_refuses_python_clients_and_stays_up() {
    let pki = Pki::server_and_client();
    let server = rust_server(&pki, "127.0.0.1", Codec::Json).await;
    let addr = server.addr().to_string();
    let other = pki.python_args("ca.pem", "other");
    let no_cert = vec!["--ca".to_owned(), pki.arg("ca.pem")];
    for (what, tail) in [("cert from the other CA", &other), ("no cert", &no_cert)] {
        let peer = PythonPeer::spawn(PEER, &join_args(&["refused", &addr], tail));
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
    let pki = Pki::server_and_client();
    let peer = PythonPeer::start_async("channel_peer.py", &["server", "127.0.0.1:0"]).await;
    let addr: Addr = peer.addr().parse().unwrap();
    let options = pki
        .client()
        .codec(Codec::Json)
        .tls_handshake_timeout(Duration::from_millis(500));
    let err = within(10.0, "connect", channel::open_connection(&addr, options))
        .await
        .unwrap_err();
    assert_tls(&err, "TLS client on a plain Python server");
    peer.stop_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_python_client_on_rust_tls_port_fails_promptly() {
    let pki = Pki::server_and_client();
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
