//! Container-level TLS interop with the real Python aiomas 2.0.1 (SPEC sections 5 and 8).
//!
//! The Python containers are made with Python's own `Container.create(..., ssl=SSLCerts(CA,
//! CERT, KEY))` (`tests/python/tls_agent_peer.py`: TLS 1.2, `ECDH+AESGCM`, mutual
//! authentication, host names checked); ours with
//! `ContainerOptions::default().tls(TlsConfig::from_certs(&SslCerts::new(CA, CERT, KEY)))` in
//! the test process, serving the `Echo` agent of the interop examples
//! (`examples/shared/echo.rs`).
//!
//! - A Python TLS container's agent calls our TLS container's agent (JSON over IPv4, MsgPack
//!   over IPv6): `agent_peer.py`'s whole client scenario, including our agent's calls back into
//!   the Python container by URL (our container as TLS client), plus checks that both
//!   connections between the containers are TLS 1.2 with ECDHE AES-GCM and carry our
//!   container's certificate.
//! - Our TLS container calls a Python TLS container's agent (same codecs and address families)
//!   through a typed `#[aiomas::proxy]` proxy and a dynamic one; the Python agent calls us back
//!   on that connection and by URL (the Python container as TLS client), and reports which
//!   certificates it saw.
//! - Refusals at container level, both ways: Python containers whose certificate comes from an
//!   unrelated CA cannot call our agent (Python sees an `ssl.SSLError`), and our container keeps
//!   serving a good Python container right after each; our containers with such a certificate
//!   cannot connect to a Python TLS container ([`ConnectionErrorKind::Tls`]), not even on a
//!   second attempt, and the Python container keeps serving a good one of ours.
//!
//! `agent_interop.rs` already has the Python agent calling the `interop_peer --tls` binary with
//! MsgPackBlosc; this file adds the other codecs, `ContainerOptions::tls`, the Rust-to-Python
//! direction and the refusals. Certificates are made with rcgen in a temp dir by each test.
//! Every test is bounded in time: a broken peer fails a test, it never hangs CI.

// The agent that `interop_peer` serves; this file uses a part of it.
#[allow(dead_code)]
#[path = "../../examples/shared/echo.rs"]
mod echo;

use aiomas::agent::{AgentHandle, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};
use aiomas::codec::Codec;
use aiomas::rpc::FromProxy;
use aiomas::{ConnectionErrorKind, Date, Error, ServiceRef, Value};
use aiomas_tests::{
    check_concurrent_adds, check_dynamic_proxy, join_args, no_such_agent, remote_error, within,
    Pki, PythonPeer, LOCAL_NAMES,
};

use echo::Echo;

const PEER: &str = "tls_agent_peer.py";

/// The common names of the three leaf certificates.
const RUST_CN: &str = "rust-container";
const PYTHON_CN: &str = "python-container";
const FOREIGN_CN: &str = "foreign-container";

// --- a throw-away PKI --------------------------------------------------------------------

/// `ca.pem` with two certificates signed by it, `rust-container` (ours) and
/// `python-container`, and the unrelated `other-ca.pem` with a `foreign-container`
/// certificate. Every certificate is valid for `localhost`, `127.0.0.1` and `::1`, as a server
/// and as a client (a container is both). Removed on drop.
fn pki() -> Pki {
    let pki = Pki::new();
    pki.leaf(RUST_CN, LOCAL_NAMES);
    pki.leaf(PYTHON_CN, LOCAL_NAMES);
    pki.foreign_leaf(FOREIGN_CN, LOCAL_NAMES);
    pki
}

/// Options of one of our containers that trusts `ca_file` and presents `name`'s certificate.
fn options(pki: &Pki, ca_file: &str, name: &str, codec: Codec) -> ContainerOptions {
    ContainerOptions::default()
        .codec(codec)
        .tls(pki.tls(ca_file, name))
}

// --- helpers -----------------------------------------------------------------------------

/// Where a test's containers listen.
#[derive(Clone, Copy)]
enum Family {
    V4,
    V6,
}

impl Family {
    /// The host for our containers.
    fn host(self) -> &'static str {
        match self {
            Family::V4 => "127.0.0.1",
            Family::V6 => "::1",
        }
    }

    /// `ADDR` for a Python container (port 0: a free port).
    fn python_listen(self) -> &'static str {
        match self {
            Family::V4 => "127.0.0.1:0",
            Family::V6 => "[::1]:0",
        }
    }
}

/// Our TLS container (`rust-container` certificate) with an `Echo` agent.
async fn our_container(pki: &Pki, family: Family, codec: Codec) -> (Container, AgentHandle<Echo>) {
    let container = within(
        10.0,
        "create our TLS container",
        Container::create(
            Addr::tcp(family.host(), 0),
            options(pki, "ca.pem", RUST_CN, codec),
        ),
    )
    .await
    .expect("create our TLS container");
    let echo = container.spawn(Echo::new).unwrap();
    (container, echo)
}

/// A good Python TLS container (`python-container` certificate) runs the client scenario
/// against our `Echo` agent at `url`.
async fn good_python_client(pki: &Pki, url: &str, family: Family, codec: Codec) {
    let tail = pki.python_args("ca.pem", PYTHON_CN);
    let head = [
        "client",
        url,
        "--codec",
        codec.name(),
        "--listen",
        family.python_listen(),
        "--peer-cn",
        RUST_CN,
    ];
    let stdout = PythonPeer::run_checks(PEER, &join_args(&head, &tail)).await;
    // Both connections between the containers (Python's to ours and ours to Python's) are
    // TLS 1.2 with ECDHE and carry our certificate: `TLS <in|out> <version> <cipher> <CN>`.
    let tls: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|line| line.starts_with("TLS "))
        .map(|line| line.split(' ').collect())
        .collect();
    for direction in ["out", "in"] {
        assert!(tls.iter().any(|l| l[1] == direction), "{stdout}");
    }
    for line in &tls {
        assert_eq!(line.len(), 5, "{stdout}");
        assert_eq!(line[2], "TLSv1.2", "{stdout}");
        assert!(line[3].starts_with("ECDHE-"), "{stdout}");
        assert_eq!(line[4], RUST_CN, "{stdout}");
    }
}

/// Calls `count()` of the `Echo` agent at `url` from `container` (its own, here: a TLS
/// connection between two of our containers' ends).
async fn count(container: &Container, url: &str) -> i64 {
    within(10.0, "count()", async {
        let echo = container.connect(url, Retry::Never).await.unwrap();
        echo.call("count", vec![]).await.unwrap()
    })
    .await
    .as_i64()
    .expect("count() returns an int")
}

fn assert_tls_error(result: Result<impl std::fmt::Debug, Error>, needle: &str, what: &str) {
    match result {
        Err(Error::Connection(err)) if err.kind() == ConnectionErrorKind::Tls => {
            assert!(
                err.to_string().contains(needle),
                "{what}: expected {needle:?} in {err}"
            );
            eprintln!("{what}: {err}");
        }
        other => panic!("{what}: expected a TLS connection error, got {other:?}"),
    }
}

// --- a Python TLS container's agent calls our TLS container's agent ------------------------

async fn python_calls_our_container(family: Family, codec: Codec) {
    let pki = pki();
    let (container, echo) = our_container(&pki, family, codec).await;
    let url = echo.ctx().addr().to_owned();
    good_python_client(&pki, &url, family, codec).await;
    // agent_peer.py's scenario called count() four times.
    assert_eq!(count(&container, &url).await, 5);
    within(20.0, "shut our container down", container.shutdown()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tls_container_calls_our_tls_container_json() {
    python_calls_our_container(Family::V4, Codec::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_tls_container_calls_our_tls_container_msgpack_ipv6() {
    python_calls_our_container(Family::V6, Codec::MsgPack).await;
}

// --- our TLS container's agent calls a Python TLS container's agent ------------------------

/// The interface of `tls_agent_peer.py`'s `TlsAgent`.
#[aiomas::proxy]
trait TlsAgent {
    async fn greet(&self, who: String) -> String;
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn fail(&self, message: String) -> Value;
    async fn echo(&self, value: Value) -> Value;
    async fn tomorrow(&self, date: Date) -> Date;
    async fn ping(&self) -> u64;
    async fn call_back(&self, proxy: ServiceRef, method: String, args: Vec<Value>) -> Value;
    async fn call_url(&self, url: String, method: String, args: Vec<Value>) -> Value;
    /// `[direction, TLS version, cipher, peer's common name]` per open connection.
    async fn tls_connections(&self) -> Vec<(String, String, String, Option<String>)>;
}

/// A Python TLS container (`python-container` certificate) serving a `TlsAgent`; `codec`
/// and `family` as given.
async fn python_server(pki: &Pki, family: Family, codec: Codec) -> PythonPeer {
    let tail = pki.python_args("ca.pem", PYTHON_CN);
    let head = ["server", family.python_listen(), "--codec", codec.name()];
    PythonPeer::start_async(PEER, &join_args(&head, &tail)).await
}

/// Every connection the Python agent reports is TLS 1.2 with ECDHE AES-GCM, from or to a
/// container with `cn`'s certificate; returns the directions.
async fn python_sees(agent: &TlsAgentProxy, cn: &str) -> Vec<String> {
    let connections = agent.tls_connections().await.unwrap();
    assert!(!connections.is_empty());
    for (direction, version, cipher, peer) in &connections {
        assert_eq!(version, "TLSv1.2", "{direction}: {connections:?}");
        assert!(
            cipher.starts_with("ECDHE-") && cipher.contains("GCM"),
            "{direction}: {connections:?}"
        );
        assert_eq!(peer.as_deref(), Some(cn), "{direction}: {connections:?}");
    }
    connections.into_iter().map(|c| c.0).collect()
}

async fn our_container_calls_python(family: Family, codec: Codec) {
    let pki = pki();
    let peer = python_server(&pki, family, codec).await;
    let url = peer.addr().to_owned();
    let (container, echo) = our_container(&pki, family, codec).await;
    let echo_url = echo.ctx().addr().to_owned();

    within(60.0, "calls into the Python TLS container", async {
        // Typed.
        let agent: TlsAgentProxy = container.connect_as(&url, Retry::Never).await.unwrap();
        assert_eq!(agent.to_string(), format!("TlsAgentProxy('{url}')"));
        assert_eq!(
            python_sees(&agent, RUST_CN).await,
            ["in"],
            "our connection, with our certificate"
        );
        assert_eq!(agent.greet("TLS".into()).await.unwrap(), "Hello, TLS!");
        assert_eq!(agent.add(i64::MAX - 1, 1).await.unwrap(), i64::MAX);
        let value = Value::Map(vec![
            (
                "ünïcødé".into(),
                Value::List(vec![1.into(), Value::Nil, 2.5.into()]),
            ),
            ("big".into(), Value::UInt(u64::MAX)),
            ("long".into(), Value::from("tls ".repeat(100_000))),
        ]);
        assert_eq!(agent.echo(value.clone()).await.unwrap(), value);
        let date: Date = "2016-02-28T12:00:00.250000+01:00".parse().unwrap();
        let next = agent.tomorrow(date).await.unwrap();
        assert_eq!(next.to_string(), "2016-02-29T12:00:00.250000+01:00");
        assert_eq!(agent.ping().await.unwrap(), 1);
        let err = remote_error("fail()", agent.fail("boom over TLS".into()).await);
        assert_eq!(err.kind(), Some("ValueError"), "{err}");
        assert_eq!(err.message(), "boom over TLS");

        // The Python agent calls us back on our connection...
        let got = agent
            .call_back(echo.ctx().me(), "count".into(), vec![])
            .await
            .unwrap();
        assert_eq!(got, Value::from(1));
        // ... and through our agent's URL: the Python container connects to ours (TLS client).
        let got = agent
            .call_url(echo_url.clone(), "count".into(), vec![])
            .await
            .unwrap();
        assert_eq!(got, Value::from(2));
        let got = agent
            .call_url(echo_url.clone(), "echo".into(), vec!["äöü".into()])
            .await
            .unwrap();
        assert_eq!(got, Value::from("äöü"));
        let mut directions = python_sees(&agent, RUST_CN).await;
        directions.sort();
        assert_eq!(directions, ["in", "out"], "both with our certificate");

        // Dynamic, with keyword arguments; it shares the typed proxy's connection.
        check_dynamic_proxy(&container, &url, agent.proxy(), "TlsAgentProxy", "TLS").await;

        // Concurrent calls over one TLS connection.
        check_concurrent_adds(|i| {
            let agent = agent.clone();
            async move { agent.add(i, i).await.unwrap() }
        })
        .await;

        // A missing agent: the TLS connection is fine, the agent is not there.
        no_such_agent(&container, &url).await;
        assert_eq!(agent.ping().await.unwrap(), 2);
    })
    .await;

    within(20.0, "shut our container down", container.shutdown()).await;
    peer.stop_ok_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_tls_container_calls_a_python_tls_container_json() {
    our_container_calls_python(Family::V4, Codec::Json).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_tls_container_calls_a_python_tls_container_msgpack_ipv6() {
    our_container_calls_python(Family::V6, Codec::MsgPack).await;
}

// --- refusals ----------------------------------------------------------------------------

/// Python containers with a certificate from an unrelated CA cannot call our agent; a good
/// Python container can, right after each of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_containers_with_foreign_certs_cannot_call_our_container() {
    let pki = pki();
    let codec = Codec::Json;
    let (container, echo) = our_container(&pki, Family::V4, codec).await;
    let url = echo.ctx().addr().to_owned();
    let cases = [
        // The whole PKI is foreign: Python refuses our certificate.
        ("other-ca.pem", "verify", "CERTIFICATE_VERIFY_FAILED"),
        // Python trusts our CA, but we refuse its certificate.
        ("ca.pem", "alert", "ALERT"),
    ];
    for (ca_file, expect, needle) in cases {
        let tail = pki.python_args(ca_file, FOREIGN_CN);
        let head = ["refused", &url, "--codec", codec.name(), "--expect", expect];
        let stdout = PythonPeer::run_checks(PEER, &join_args(&head, &tail)).await;
        let refused = stdout
            .lines()
            .find(|line| line.starts_with("REFUSED "))
            .unwrap_or_else(|| panic!("no REFUSED line:\n{stdout}"));
        assert!(
            refused.contains("SSL") && refused.to_uppercase().contains(needle),
            "trusting {ca_file}: {refused}"
        );
        eprintln!("Python container trusting {ca_file} with a foreign certificate: {refused}");
        // Our container keeps serving: a good Python container, on a fresh agent.
        let fresh = container.spawn(Echo::new).unwrap();
        good_python_client(&pki, fresh.ctx().addr(), Family::V4, codec).await;
    }
    assert_eq!(
        count(&container, &url).await,
        1,
        "the refused containers never reached it"
    );
    within(20.0, "shut our container down", container.shutdown()).await;
}

/// Our containers with a certificate from an unrelated CA cannot connect to a Python TLS
/// container, on the first attempt nor on a second one; a good container of ours can, right
/// after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_containers_with_foreign_certs_cannot_connect_to_a_python_container() {
    let pki = pki();
    let codec = Codec::MsgPack;
    let peer = python_server(&pki, Family::V4, codec).await;
    let url = peer.addr().to_owned();
    let cases = [
        // Trusts the Python container's CA, but Python refuses our certificate.
        ("ca.pem", "refused"),
        // The whole PKI is foreign: we refuse the Python container's certificate.
        ("other-ca.pem", "not signed by the trusted CA"),
    ];
    within(60.0, "refusals and a good container", async {
        for (ca_file, needle) in cases {
            let bad = Container::create(
                Addr::tcp("127.0.0.1", 0),
                options(&pki, ca_file, FOREIGN_CN, codec),
            )
            .await
            .unwrap();
            let what = format!("our container trusting {ca_file} with a foreign certificate");
            assert_tls_error(bad.connect(&url, Retry::Never).await, needle, &what);
            // A failed handshake is not cached: the next attempt fails the same way.
            let typed = bad.connect_as::<TlsAgentProxy>(&url, Retry::Never).await;
            assert_tls_error(typed, needle, &format!("{what}, again"));
            bad.shutdown().await;

            // The Python container keeps serving a good container of ours.
            let good = Container::create(
                Addr::tcp("127.0.0.1", 0),
                options(&pki, "ca.pem", RUST_CN, codec),
            )
            .await
            .unwrap();
            let agent: TlsAgentProxy = good.connect_as(&url, Retry::Never).await.unwrap();
            assert_eq!(agent.greet("again".into()).await.unwrap(), "Hello, again!");
            // Only good connections were ever made: all of them with our certificate.
            assert!(python_sees(&agent, RUST_CN).await.contains(&"in".into()));
            good.shutdown().await;
        }
    })
    .await;

    peer.stop_ok_async().await;
}
