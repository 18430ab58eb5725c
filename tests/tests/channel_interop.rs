//! The channel layer against the REAL Python aiomas 2.0.1 (`tests/python/channel_peer.py`),
//! for every codec (json, msgpack, msgpack-blosc) over TCP and Unix sockets.
//!
//! - `rust_client_vs_python_server::<codec>_<transport>`: our client drives
//!   `channel_peer.py server` (echo of all kinds of values, Python tracebacks, 1,000 concurrent
//!   requests, call-backs served by us, the server closing mid-request).
//! - `python_client_vs_rust_server::<codec>_<transport>`: `channel_peer.py client` runs its
//!   self-checking scenario against a Rust server implementing the same commands.
//!
//! A Python peer that cannot be started fails the test (see [`aiomas_tests::python`]).

use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, Channel, ChannelOptions, Request, Server};
use aiomas::codec::Codec;
use aiomas::{Error, Value};
use aiomas_tests::{temp_socket_path, within, PythonPeer};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const PEER: &str = "channel_peer.py";

/// The most any test here may take as a whole (above the peer's own READY timeout; each
/// await inside has a tighter bound).
const TEST_LIMIT: f64 = 120.0;

/// Builds a list value.
macro_rules! list {
    ($($item:expr),* $(,)?) => { Value::List(vec![$(Value::from($item)),*]) };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Tcp,
    Unix,
}

impl Transport {
    /// The address to listen on: a free TCP port, or a fresh socket path.
    fn listen_addr(self, name: &str) -> Addr {
        match self {
            Transport::Tcp => Addr::tcp("127.0.0.1", 0),
            Transport::Unix => Addr::unix(temp_socket_path(name)),
        }
    }
}

/// `codec/transport`, for failure messages.
fn label(codec: Codec, transport: Transport) -> String {
    format!("{}/{transport:?}", codec.name())
}

fn options(codec: Codec) -> ChannelOptions {
    ChannelOptions::default().codec(codec)
}

async fn connect(addr: &Addr, codec: Codec, ctx: &str) -> Channel {
    within(
        10.0,
        &format!("{ctx}: open_connection"),
        channel::open_connection(addr, options(codec)),
    )
    .await
    .unwrap_or_else(|err| panic!("{ctx}: cannot connect to {addr}: {err}"))
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Values that must come back from a Python echo exactly as sent (`Value` equality: types,
/// map order and all).
fn echo_values(codec: Codec) -> Vec<(&'static str, Value)> {
    let mut deep = Value::from("bottom");
    for _ in 0..60 {
        deep = list![deep];
    }
    let mut values = vec![
        (
            "nested",
            Value::Map(vec![
                (
                    "a".into(),
                    list![1, 2, Value::Map(vec![("b".into(), Value::Nil)])],
                ),
                ("c".into(), Value::Map(vec![("d".into(), "e".into())])),
                ("f".into(), list![list![list![]]]),
                ("zz".into(), list![true, 1.5, "mixed", Value::Nil]),
            ]),
        ),
        (
            "map order",
            Value::Map(vec![
                ("z".into(), 1.into()),
                ("a".into(), 2.into()),
                ("m".into(), 3.into()),
            ]),
        ),
        ("deep", deep),
        ("unicode", "äöü ✓ 日本 🦀 \u{10FFFF}".into()),
        (
            "escapes",
            "\"quoted\" \\ / \n\r\t \u{0} \u{1f} \u{7f}".into(),
        ),
        ("empty string", "".into()),
        ("long string", "aiomas ✓ ".repeat(60_000).into()),
        ("int 0", 0.into()),
        ("int -1", (-1).into()),
        ("int 2**31", (1i64 << 31).into()),
        ("int -2**31-1", (-(1i64 << 31) - 1).into()),
        ("int 2**32", (1i64 << 32).into()),
        ("i64::MIN", i64::MIN.into()),
        ("i64::MAX", i64::MAX.into()),
        ("2**63", (1u64 << 63).into()),
        ("u64::MAX", u64::MAX.into()),
        ("float 0.5", 0.5.into()),
        ("float 1.0", 1.0.into()),
        ("float -0.0", (-0.0).into()),
        ("float -1e300", (-1e300).into()),
        // JSON too: Python writes and reads NaN/Infinity tokens, and so do we.
        ("infinities", list![f64::INFINITY, f64::NEG_INFINITY]),
        ("float 5e-324", 5e-324.into()),
        ("float pi", std::f64::consts::PI.into()),
        ("float 2**53+2", 9_007_199_254_740_994.0.into()),
        ("true", true.into()),
        ("false", false.into()),
        ("none", Value::Nil),
        ("empty list", list![]),
        ("empty map", Value::Map(vec![])),
        (
            "list of everything",
            list![Value::Nil, true, -7, 2.25, "s", list![], Value::Map(vec![])],
        ),
    ];
    if codec == Codec::Json {
        let big = |digits: &str| Value::BigInt(digits.parse().unwrap());
        values.extend([
            // Issue 8: these bent before (big ints became floats, "\0NaN" became NaN).
            (
                "big ints",
                list![
                    big("18446744073709551616"),
                    big("-9223372036854775809"),
                    big("1267650600228229401496703205376"),
                    big("-10000000000000000000000000000000000000000"),
                    Value::from(i128::MIN),
                ],
            ),
            (
                "infinities and marker lookalikes",
                list![
                    f64::INFINITY,
                    "\u{0}NaN",
                    "\u{0}Infinity",
                    "\u{0}-Infinity",
                    f64::NEG_INFINITY,
                    "\\u0000NaN",
                    "NaN"
                ],
            ),
        ]);
    } else {
        values.extend([
            ("bytes", Value::Bytes(b"\x00\xff".repeat(100))),
            ("empty bytes", Value::Bytes(vec![])),
            ("all byte values", Value::Bytes((0..=255).collect())),
            (
                "bytes nested",
                list![
                    Value::Bytes(vec![1]),
                    Value::Map(vec![("b".into(), Value::Bytes(vec![2, 3]))])
                ],
            ),
            (
                "int keys",
                Value::Map(vec![
                    (1.into(), "one".into()),
                    ((-2).into(), "minus two".into()),
                ]),
            ),
            (
                "large bytes",
                Value::Bytes((0..300_000u32).map(|i| (i % 251) as u8).collect()),
            ),
        ]);
    }
    values
}

// --- our client vs the Python server ---------------------------------------

/// Serves Python's call-backs on our side of the connection: `["echo", x]` -> `x`,
/// `["fail", msg]` -> `ValueError: msg`. Returns the error `recv` ended with.
async fn serve_call_backs(channel: Channel) -> Error {
    loop {
        let request = match channel.recv().await {
            Ok(request) => request,
            Err(err) => return err,
        };
        tokio::spawn(async move {
            let content = request.content().clone();
            let items = content.as_list().unwrap_or_default();
            let _ = match (items.first().and_then(Value::as_str), items) {
                (Some("echo"), [_, x]) => request.reply(x.clone()),
                (Some("fail"), [_, msg]) => request.fail("ValueError", msg.as_str().unwrap_or("?")),
                _ => request.fail("LookupError", &format!("unknown command {content}")),
            };
        });
    }
}

async fn rust_client_vs_python_server(codec: Codec, transport: Transport) {
    let ctx = label(codec, transport);
    let ctx = ctx.as_str();
    let listen = transport.listen_addr("py-server").to_string();
    let peer = PythonPeer::start_async(PEER, &["server", &listen, "--codec", codec.name()]).await;
    let addr: Addr = peer
        .addr()
        .parse()
        .unwrap_or_else(|err| panic!("{ctx}: READY address {:?}: {err}", peer.addr()));
    match (transport, &addr) {
        (Transport::Tcp, Addr::Tcp { port, .. }) => assert_ne!(*port, 0, "{ctx}: real port"),
        (Transport::Unix, Addr::Unix(path)) => assert_eq!(path.to_str(), Some(listen.as_str())),
        _ => panic!("{ctx}: Python listens on {addr}, expected a {transport:?} address"),
    }
    let client = connect(&addr, codec, ctx).await;
    let serving = tokio::spawn(serve_call_backs(client.clone()));

    // Echo: every value comes back exactly.
    for (what, value) in echo_values(codec) {
        let reply = within(
            10.0,
            &format!("{ctx}: echo {what}"),
            client.send(list!["echo", value.clone()]),
        )
        .await;
        let reply = reply.unwrap_or_else(|err| panic!("{ctx}: echo {what} failed: {err}"));
        assert_eq!(reply, value, "{ctx}: echo {what} changed the value");
    }

    // NaN is not equal to itself: check it apart.
    let nan = within(
        10.0,
        &format!("{ctx}: echo NaN"),
        client.send(list!["echo", list![f64::NAN, "\u{0}NaN"]]),
    )
    .await;
    let nan = nan.unwrap_or_else(|err| panic!("{ctx}: echo NaN failed: {err}"));
    let nan = nan.as_list().unwrap_or_default();
    assert!(
        nan.len() == 2 && nan[0].as_f64().is_some_and(f64::is_nan),
        "{ctx}: NaN came back as {nan:?}"
    );
    assert_eq!(
        nan[1],
        Value::from("\u{0}NaN"),
        "{ctx}: the string next to NaN"
    );

    // Python's exception: the real traceback, last line `ValueError: msg`.
    let msg = "boom ✓ from rust";
    let result = within(
        10.0,
        &format!("{ctx}: fail"),
        client.send(list!["fail", msg]),
    )
    .await;
    let Err(Error::Remote(remote)) = result else {
        panic!("{ctx}: expected Error::Remote, got {result:?}");
    };
    let traceback = remote.traceback();
    assert!(
        traceback.starts_with("Traceback (most recent call last):"),
        "{ctx}: {traceback}"
    );
    assert!(
        traceback.contains("cmd_fail"),
        "{ctx}: a Python traceback names the function: {traceback}"
    );
    let last = traceback.trim_end().lines().last().unwrap_or_default();
    assert_eq!(
        last,
        format!("ValueError: {msg}"),
        "{ctx}: last line of {traceback}"
    );
    assert_eq!(remote.kind(), Some("ValueError"), "{ctx}");
    assert_eq!(remote.message(), msg, "{ctx}");
    assert_eq!(remote.origin(), client.peer(), "{ctx}: origin");

    let result = within(
        10.0,
        &format!("{ctx}: unknown command"),
        client.send(list!["no such command"]),
    )
    .await;
    match result {
        Err(Error::Remote(remote)) => {
            assert_eq!(remote.kind(), Some("LookupError"), "{ctx}: {remote}")
        }
        other => panic!("{ctx}: expected a LookupError, got {other:?}"),
    }

    // 1,000 concurrent requests, answered out of order, each with its own reply.
    let mut rng = Rng(0x5eed_1234);
    let mut calls = JoinSet::new();
    for i in 0..1000u64 {
        let client = client.clone();
        let dt = rng.unit() * 0.05;
        calls.spawn(async move { (i, client.send(list!["sleep", dt, i]).await) });
    }
    let mut order = Vec::with_capacity(1000);
    within(30.0, &format!("{ctx}: 1000 concurrent sleeps"), async {
        while let Some(joined) = calls.join_next().await {
            let (i, reply) = joined.expect("request task");
            let reply = reply.unwrap_or_else(|err| panic!("{ctx}: sleep {i} failed: {err}"));
            assert_eq!(reply, Value::from(i), "{ctx}: reply to sleep request {i}");
            order.push(i);
        }
    })
    .await;
    assert!(
        order.windows(2).any(|w| w[0] > w[1]),
        "{ctx}: replies should come out of order"
    );

    // Python calls us back on the same connection while our request is pending.
    let reply = within(
        10.0,
        &format!("{ctx}: call_back echo"),
        client.send(list!["call_back", list!["echo", "ping"]]),
    )
    .await;
    assert_eq!(
        reply.unwrap_or_else(|err| panic!("{ctx}: call_back: {err}")),
        list!["called_back", "ping"],
        "{ctx}"
    );
    let reply = within(
        10.0,
        &format!("{ctx}: call_back fail"),
        client.send(list!["call_back", list!["fail", "no from rust"]]),
    )
    .await;
    let reply = reply.unwrap_or_else(|err| panic!("{ctx}: call_back fail: {err}"));
    let items = reply.as_list().unwrap_or_default();
    assert_eq!(
        items.first(),
        Some(&Value::from("remote_error")),
        "{ctx}: {reply}"
    );
    let python_saw = items.get(1).and_then(Value::as_str).unwrap_or_default();
    assert_eq!(
        python_saw.trim_end().lines().last(),
        Some("ValueError: no from rust"),
        "{ctx}: Python's remote_traceback of our failure: {python_saw:?}"
    );
    let mut call_backs = JoinSet::new();
    for i in 0..50 {
        let client = client.clone();
        call_backs
            .spawn(async move { (i, client.send(list!["call_back", list!["echo", i]]).await) });
    }
    within(20.0, &format!("{ctx}: concurrent call_backs"), async {
        while let Some(joined) = call_backs.join_next().await {
            let (i, reply) = joined.unwrap();
            assert_eq!(
                reply.unwrap(),
                list!["called_back", i],
                "{ctx}: call_back {i}"
            );
        }
    })
    .await;

    // The server closes the connection mid-request: everything pending fails promptly.
    let slow = tokio::spawn({
        let client = client.clone();
        async move { client.send(list!["sleep", 60, "never"]).await }
    });
    let started = Instant::now();
    let result = within(10.0, &format!("{ctx}: close"), client.send(list!["close"])).await;
    assert!(
        matches!(result, Err(Error::Connection(_))),
        "{ctx}: the request the server closed on: expected Error::Connection, got {result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{ctx}: took {:?}",
        started.elapsed()
    );
    let slow = within(5.0, &format!("{ctx}: pending sleep"), slow)
        .await
        .unwrap();
    assert!(
        matches!(slow, Err(Error::Connection(_))),
        "{ctx}: pending sleep: {slow:?}"
    );
    let ended = within(5.0, &format!("{ctx}: our recv"), serving)
        .await
        .unwrap();
    assert!(
        matches!(ended, Error::Connection(_)),
        "{ctx}: our recv ended with {ended:?}"
    );
    assert!(client.is_closed());

    // The Python server still serves new connections.
    let again = connect(&addr, codec, ctx).await;
    let reply = within(
        10.0,
        &format!("{ctx}: echo on a new connection"),
        again.send(list!["echo", "again"]),
    )
    .await;
    assert_eq!(reply.unwrap(), Value::from("again"), "{ctx}");
    within(10.0, &format!("{ctx}: close"), again.close()).await;

    // It ends cleanly and saw nothing it could not understand.
    let output = peer.stop_async().await;
    assert!(
        output.status.success()
            && !output.stderr.contains("connection dropped")
            && !output.stderr.contains("Traceback"),
        "{ctx}: the Python server had trouble ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        output.stdout,
        output.stderr
    );
}

// --- the Python client vs our server ----------------------------------------

/// Our server for `channel_peer.py client`: the commands of `channel_peer.py server`.
/// Reports the error each connection's `recv` ended with.
async fn start_command_server(
    addr: Addr,
    codec: Codec,
) -> (Server, mpsc::UnboundedReceiver<Error>) {
    let (ended_tx, ended) = mpsc::unbounded_channel();
    let server = channel::start_server(addr, options(codec), move |channel| {
        let ended_tx = ended_tx.clone();
        async move {
            loop {
                match channel.recv().await {
                    Ok(request) => {
                        tokio::spawn(run_command(request));
                    }
                    Err(err) => {
                        let _ = ended_tx.send(err);
                        return;
                    }
                }
            }
        }
    })
    .await
    .expect("start our command server");
    (server, ended)
}

async fn run_command(request: Request) {
    let content = request.content().clone();
    let items = content.as_list().unwrap_or_default();
    let _ = match (items.first().and_then(Value::as_str), items) {
        (Some("echo"), [_, x]) => request.reply(x.clone()),
        (Some("fail"), [_, msg]) => request.fail("ValueError", msg.as_str().unwrap_or("?")),
        (Some("sleep"), [_, dt, x]) => {
            let dt = dt.as_f64().unwrap_or(0.0).clamp(0.0, 60.0);
            tokio::time::sleep(Duration::from_secs_f64(dt)).await;
            request.reply(x.clone())
        }
        (Some("close"), [_]) => {
            if let Some(channel) = request.channel() {
                channel.close().await;
            }
            Ok(())
        }
        (Some("call_back"), [_, x]) => {
            let Some(channel) = request.channel() else {
                return;
            };
            match channel.send(x.clone()).await {
                Ok(reply) => request.reply(list!["called_back", reply]),
                Err(Error::Remote(remote)) => {
                    request.reply(list!["remote_error", remote.traceback()])
                }
                Err(err) => request.fail(err.python_kind(), &err.to_string()),
            }
        }
        _ => request.fail("LookupError", &format!("unknown command {content:.200}")),
    };
}

async fn python_client_vs_rust_server(codec: Codec, transport: Transport) {
    let ctx = label(codec, transport);
    let ctx = ctx.as_str();
    let (server, mut ended) = start_command_server(transport.listen_addr("rs-server"), codec).await;
    let addr = server.addr().clone();

    let peer = PythonPeer::spawn(
        PEER,
        &["client", &addr.to_string(), "--codec", codec.name()],
    );
    let stdout = peer.wait_ok_async().await;
    let last = stdout.trim_end().lines().last().unwrap_or_default();
    let checks: usize = last
        .strip_prefix("OK ")
        .and_then(|rest| rest.strip_suffix(" checks"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{ctx}: expected a last line `OK <n> checks`, got:\n{stdout}"));
    let expected = if codec == Codec::Json { 22 } else { 23 };
    assert!(
        checks >= expected,
        "{ctx}: only {checks} checks ran (expected {expected}):\n{stdout}"
    );
    assert!(!stdout.contains("FAIL"), "{ctx}:\n{stdout}");

    // Both of the client's connections ended as connections end, not as protocol errors:
    // everything Python sent, we understood.
    for _ in 0..2 {
        let err = within(
            10.0,
            &format!("{ctx}: a connection of the Python client ends"),
            ended.recv(),
        )
        .await
        .expect("handlers alive");
        assert!(
            matches!(err, Error::Connection(_)),
            "{ctx}: a connection ended with {err:?}"
        );
    }

    // Our server is still alive.
    let client = connect(&addr, codec, ctx).await;
    let reply = within(
        10.0,
        &format!("{ctx}: echo after the Python client"),
        client.send(list!["echo", "alive"]),
    )
    .await;
    assert_eq!(reply.unwrap(), Value::from("alive"), "{ctx}");
    client.close().await;
    within(15.0, &format!("{ctx}: Server::close"), server.close()).await;
}

// --- the 2 x 6 tests --------------------------------------------------------

macro_rules! interop_tests {
    ($($name:ident => $codec:expr, $transport:expr;)*) => {
        /// Our client against `channel_peer.py server`.
        mod rust_client_vs_python_server {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    within(
                        TEST_LIMIT,
                        concat!("test rust_client_vs_python_server::", stringify!($name)),
                        rust_client_vs_python_server($codec, $transport),
                    )
                    .await;
                }
            )*
        }

        /// `channel_peer.py client` against our server.
        mod python_client_vs_rust_server {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    within(
                        TEST_LIMIT,
                        concat!("test python_client_vs_rust_server::", stringify!($name)),
                        python_client_vs_rust_server($codec, $transport),
                    )
                    .await;
                }
            )*
        }
    };
}

interop_tests! {
    json_tcp => Codec::Json, Transport::Tcp;
    json_unix => Codec::Json, Transport::Unix;
    msgpack_tcp => Codec::MsgPack, Transport::Tcp;
    msgpack_unix => Codec::MsgPack, Transport::Unix;
    msgpack_blosc_tcp => Codec::MsgPackBlosc, Transport::Tcp;
    msgpack_blosc_unix => Codec::MsgPackBlosc, Transport::Unix;
}

/// IPv6: the Python server prints `[::1]:PORT`, which we parse and reach.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_vs_python_server_over_ipv6() {
    within(
        TEST_LIMIT,
        "test rust_client_vs_python_server_over_ipv6",
        ipv6_echo(),
    )
    .await;
}

async fn ipv6_echo() {
    let peer = PythonPeer::start_async(PEER, &["server", "[::1]:0", "--codec", "msgpack"]).await;
    assert!(peer.addr().starts_with("[::1]:"), "READY {}", peer.addr());
    let addr: Addr = peer.addr().parse().expect("the READY address");
    let client = connect(&addr, Codec::MsgPack, "ipv6").await;
    let value = list!["v6", Value::Bytes(vec![6]), u64::MAX];
    let reply = within(10.0, "ipv6 echo", client.send(list!["echo", value.clone()])).await;
    assert_eq!(reply.unwrap(), value);
    client.close().await;
    peer.stop_ok_async().await;
}
