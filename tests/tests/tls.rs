//! Mutual TLS on the channel and RPC layers, Rust on both sides.
//!
//! Every test makes a throw-away PKI ([`aiomas_tests::Pki`], nothing secret is committed):
//! a CA, a server certificate for `localhost`, `127.0.0.1` and `::1`, a client certificate, an
//! unrelated CA with a certificate of its own, an expired certificate and one for another
//! name. Every await that depends on a peer is bounded in time.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, ChannelOptions};
use aiomas::rpc::{self, Args, ServiceMap};
use aiomas::tls::rustls::pki_types::pem::PemObject;
use aiomas::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use aiomas::tls::rustls::{self, ClientConfig, RootCertStore};
use aiomas::tls::{client_config, crypto_provider, server_config, SslCerts, TlsConfig};
use aiomas::{ConnectionErrorKind, Error, Value};
use aiomas_tests::{assert_works, echo_server, refusal, within, Pki, LOCAL_NAMES};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

// --- helpers -----------------------------------------------------------------------------

/// The PKI of every test here: [`Pki::server_and_client`], plus an `expired` certificate
/// and a `wrong-name` one (for `elsewhere.invalid`), both signed by the test CA.
fn pki() -> Pki {
    let pki = Pki::server_and_client();
    pki.expired_leaf("expired", LOCAL_NAMES);
    pki.leaf("wrong-name", &["elsewhere.invalid"]);
    pki
}

/// A client config of our own making: `versions`, the ciphers of `provider`, and the
/// client certificate `cert` (none if `None`); it trusts the test CA.
fn custom_client(
    pki: &Pki,
    versions: &[&'static rustls::SupportedProtocolVersion],
    provider: rustls::crypto::CryptoProvider,
    cert: Option<&str>,
) -> ChannelOptions {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(pki.path("ca.pem")).unwrap())
        .unwrap();
    let builder = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        None => builder.with_no_client_auth(),
        Some(name) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(pki.path(&format!("{name}.pem"))).unwrap()],
                PrivateKeyDer::from_pem_file(pki.path(&format!("{name}.key"))).unwrap(),
            )
            .unwrap(),
    };
    ChannelOptions::default().tls(TlsConfig::custom(None, Some(Arc::new(config))))
}

/// Asserts a connection error of kind `Tls` whose message contains `needle`.
fn assert_tls(err: &Error, needle: &str) {
    match err {
        Error::Connection(conn) if conn.kind() == ConnectionErrorKind::Tls => assert!(
            conn.to_string().contains(needle),
            "TLS error without {needle:?}: {conn}"
        ),
        other => panic!("expected a TLS connection error ({needle:?}), got {other:?}: {other}"),
    }
}

// --- mutual TLS that works ---------------------------------------------------------------

#[tokio::test]
async fn channel_echo_over_ipv4_ipv6_and_dns_name() {
    let pki = pki();
    for host in ["127.0.0.1", "::1"] {
        let server = echo_server(Addr::tcp(host, 0), pki.server()).await;
        assert_works(server.addr(), pki.client()).await;
        // The same certificate also names `localhost` (the client checks the DNS name).
        if host == "127.0.0.1" {
            let port = server.addr().port().unwrap();
            assert_works(&Addr::tcp("localhost", port), pki.client()).await;
        }
        within(10.0, "close", server.close()).await;
    }
}

#[tokio::test]
async fn many_requests_and_big_frames_over_tls() {
    let pki = pki();
    let server = echo_server(Addr::tcp("127.0.0.1", 0), pki.server()).await;
    let channel = channel::open_connection(server.addr(), pki.client())
        .await
        .unwrap();
    let big = "x".repeat(1 << 20);
    let requests: Vec<_> = (0..200)
        .map(|i| {
            let channel = channel.clone();
            tokio::spawn(async move { channel.send(i).await })
        })
        .collect();
    for (i, request) in requests.into_iter().enumerate() {
        let reply = within(20.0, "200 requests", request).await.unwrap();
        assert_eq!(reply.unwrap(), Value::from(i as i64));
    }
    let reply = within(20.0, "1 MiB echo", channel.send(big.as_str())).await;
    assert_eq!(reply.unwrap(), Value::from(big));
    channel.close().await;
    server.close().await;
}

#[tokio::test]
async fn rpc_over_tls_ipv4_and_ipv6() {
    let pki = pki();
    for host in ["127.0.0.1", "::1"] {
        let service = ServiceMap::new().function("add", |args: Args| async move {
            let (a, b): (i64, i64) = args.into_positional()?;
            Ok::<_, rpc::Exception>(a + b)
        });
        let server = rpc::start_server(Addr::tcp(host, 0), service, pki.server())
            .await
            .unwrap();
        let client = within(
            10.0,
            "rpc connect",
            rpc::open_connection(server.addr(), pki.client()),
        )
        .await
        .unwrap();
        let sum = within(
            10.0,
            "add",
            client.remote().call("add", vec![3.into(), 4.into()]),
        )
        .await;
        assert_eq!(sum.unwrap(), Value::from(7));
        client.close().await;
        within(10.0, "close", server.close()).await;
    }
}

#[tokio::test]
async fn tls12_client_like_python_is_served() {
    let pki = pki();
    let server = echo_server(Addr::tcp("127.0.0.1", 0), pki.server()).await;
    let tls12 = custom_client(
        &pki,
        &[&rustls::version::TLS12],
        crypto_provider(),
        Some("client"),
    );
    assert_works(server.addr(), tls12).await;
    server.close().await;
}

#[tokio::test]
async fn separate_server_and_client_configs() {
    let pki = pki();
    let server_only = TlsConfig::custom(
        Some(
            server_config(
                pki.path("ca.pem"),
                pki.path("server.pem"),
                pki.path("server.key"),
            )
            .unwrap(),
        ),
        None,
    );
    let client_only = TlsConfig::custom(
        None,
        Some(
            client_config(
                pki.path("ca.pem"),
                pki.path("client.pem"),
                pki.path("client.key"),
            )
            .unwrap(),
        ),
    );
    let server = echo_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default().tls(server_only.clone()),
    )
    .await;
    assert_works(
        server.addr(),
        ChannelOptions::default().tls(client_only.clone()),
    )
    .await;
    // Each lacks the other side.
    let err = channel::open_connection(server.addr(), ChannelOptions::default().tls(server_only))
        .await
        .unwrap_err();
    assert_tls(&err, "no client side");
    let err = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default().tls(client_only),
        |_| async {},
    )
    .await
    .expect_err("a server without a server config");
    assert_tls(&err, "no server side");
    server.close().await;
}

// --- the rejection matrix: typed errors, and the server keeps serving ---------------------

#[tokio::test]
async fn server_refuses_bad_clients_and_keeps_serving() {
    let pki = pki();
    let server = echo_server(Addr::tcp("127.0.0.1", 0), pki.server()).await;
    let addr = server.addr().clone();
    let tls13 = &[&rustls::version::TLS13][..];
    let tls12 = &[&rustls::version::TLS12][..];
    let chacha_only = rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            rustls::crypto::ring::cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..rustls::crypto::ring::default_provider()
    };
    let cases: Vec<(&str, ChannelOptions, &str)> = vec![
        (
            "no client certificate (TLS 1.3)",
            custom_client(&pki, tls13, crypto_provider(), None),
            "requires a certificate",
        ),
        (
            "no client certificate (TLS 1.2)",
            custom_client(&pki, tls12, crypto_provider(), None),
            "requires a certificate",
        ),
        (
            "client certificate from another CA",
            pki.options("ca.pem", "other"),
            "does not trust our certificate's CA",
        ),
        (
            "client certificate from another CA (TLS 1.2)",
            custom_client(&pki, tls12, crypto_provider(), Some("other")),
            "does not trust our certificate's CA",
        ),
        (
            "expired client certificate",
            pki.options("ca.pem", "expired"),
            "refused our certificate as expired",
        ),
        (
            "ChaCha20 only",
            custom_client(
                &pki,
                &[&rustls::version::TLS13, &rustls::version::TLS12],
                chacha_only,
                Some("client"),
            ),
            "refused the handshake",
        ),
    ];
    for (case, options, needle) in cases {
        let err = refusal(&addr, options).await;
        assert_tls(&err, needle);
        eprintln!("{case}: {err}");
        assert_works(&addr, pki.client()).await;
    }
    server.close().await;
}

#[tokio::test]
async fn client_refuses_bad_servers() {
    let pki = pki();
    let cases = [
        ("other", "not signed by the trusted CA"),
        ("expired", "has expired"),
        ("wrong-name", "not valid for the name"),
    ];
    for (server_cert, needle) in cases {
        // The server trusts the test CA, so only the client's check can fail.
        let server = echo_server(
            Addr::tcp("127.0.0.1", 0),
            pki.options("ca.pem", server_cert),
        )
        .await;
        let err = within(
            10.0,
            "connect",
            channel::open_connection(server.addr(), pki.client()),
        )
        .await
        .expect_err("a client accepted a bad server certificate");
        assert_tls(&err, needle);
        eprintln!("server with {server_cert}.pem: {err}");
        server.close().await;
    }
}

#[tokio::test]
async fn tls_client_against_plain_servers_fails_instead_of_hanging() {
    let pki = pki();
    // A plain aiomas server reads the ClientHello as a frame header, refuses it and closes.
    let plain = echo_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default()).await;
    let err = within(
        10.0,
        "connect",
        channel::open_connection(plain.addr(), pki.client()),
    )
    .await
    .unwrap_err();
    assert_tls(&err, "closed the connection during the handshake");
    assert_works(plain.addr(), ChannelOptions::default()).await;
    plain.close().await;

    // A server that waits for more bytes (Python aiomas does) hits the handshake timeout.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = Addr::tcp("127.0.0.1", silent.local_addr().unwrap().port());
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let options = pki
        .client()
        .tls_handshake_timeout(Duration::from_millis(300));
    let err = within(10.0, "connect", channel::open_connection(&addr, options))
        .await
        .unwrap_err();
    assert_tls(&err, "timed out");
    assert!(started.elapsed() < Duration::from_secs(5));
    holder.abort();
}

#[tokio::test]
async fn plain_client_on_tls_port_fails_promptly() {
    let pki = pki();
    let server = echo_server(Addr::tcp("127.0.0.1", 0), pki.server()).await;
    let started = Instant::now();
    let channel = channel::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let err = within(5.0, "plain request", channel.send("ohai"))
        .await
        .unwrap_err();
    match &err {
        Error::Connection(conn) => assert!(
            matches!(
                conn.kind(),
                ConnectionErrorKind::Closed | ConnectionErrorKind::Reset
            ),
            "{conn:?}"
        ),
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_works(server.addr(), pki.client()).await;
    server.close().await;
}

#[tokio::test]
async fn silent_peers_do_not_block_others_and_are_dropped() {
    let pki = pki();
    let timeout = Duration::from_millis(500);
    let server = echo_server(
        Addr::tcp("127.0.0.1", 0),
        pki.server().tls_handshake_timeout(timeout),
    )
    .await;
    let port = server.addr().port().unwrap();
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // Good clients are served at once, long before the silent ones time out.
    let started = Instant::now();
    for _ in 0..3 {
        assert_works(server.addr(), pki.client()).await;
    }
    assert!(
        started.elapsed() < timeout,
        "good clients waited {:?}",
        started.elapsed()
    );
    // After the handshake timeout the server hangs up on every silent peer.
    for stream in &mut silent {
        let mut byte = [0; 1];
        let read = within(5.0, "silent peer dropped", stream.read(&mut byte)).await;
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    assert!(started.elapsed() >= timeout);
    assert_works(server.addr(), pki.client()).await;
    server.close().await;
}

#[tokio::test]
async fn close_does_not_wait_for_pending_handshakes() {
    let pki = pki();
    let server = echo_server(Addr::tcp("127.0.0.1", 0), pki.server()).await;
    let mut silent = TcpStream::connect(("127.0.0.1", server.addr().port().unwrap()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    within(10.0, "close", server.close()).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let mut byte = [0; 1];
    let read = within(5.0, "dropped", silent.read(&mut byte)).await;
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
}

// --- configuration errors ----------------------------------------------------------------

#[tokio::test]
async fn tls_is_refused_on_unix_sockets_and_local_queues() {
    let pki = pki();
    let socket = pki.path("s.sock");
    for addr in [Addr::unix(&socket), Addr::local("tls-test")] {
        let err = channel::start_server(addr.clone(), pki.server(), |_| async {})
            .await
            .expect_err("TLS server on a non-TCP address");
        assert_tls(&err, "only available on TCP");
        let err = channel::open_connection(&addr, pki.client())
            .await
            .unwrap_err();
        assert_tls(&err, "only available on TCP");
    }
    assert!(!socket.exists());
}

#[test]
fn bad_files_are_clear_errors() {
    let pki = pki();
    let certs = |ca: &Path, cert: &Path, key: &Path| SslCerts::new(ca, cert, key);
    let ca = pki.path("ca.pem");
    let cert = pki.path("server.pem");
    let key = pki.path("server.key");
    let missing = pki.path("missing.pem");
    let err = TlsConfig::from_certs(&certs(&missing, &cert, &key)).unwrap_err();
    assert!(
        matches!(err, Error::Io(_)) && err.to_string().contains("missing.pem"),
        "{err}"
    );

    pki.write("garbage.pem", "not a certificate\n");
    let err = TlsConfig::from_certs(&certs(&pki.path("garbage.pem"), &cert, &key)).unwrap_err();
    assert!(
        matches!(err, Error::Value(_)) && err.to_string().contains("no CA"),
        "{err}"
    );

    let err = TlsConfig::from_certs(&certs(&ca, &cert, &cert)).unwrap_err();
    assert!(
        err.to_string().contains("no unencrypted private key"),
        "{err}"
    );

    let err = TlsConfig::from_certs(&certs(&ca, &cert, &pki.path("client.key"))).unwrap_err();
    assert!(matches!(err, Error::Value(_)), "{err}");
}
