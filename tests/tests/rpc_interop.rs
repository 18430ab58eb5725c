//! RPC interop with the real Python aiomas 2.0.1 (SPEC sections 3 and 4), for every codec.
//!
//! - A Python client (`tests/python/rpc_peer.py client`) checks our `#[aiomas::service]`
//!   server: arguments by position and keyword, defaults, `Option`, `*args`/`**kwargs`,
//!   renamed methods, nested paths, Python's error texts, panics, round trips (structs arrive
//!   as dicts), concurrency, callbacks into the Python client (dynamic and typed proxy
//!   parameters), and a connection closed mid-call; our server reports every connection reset.
//! - Our client checks Python servers (a class-based root service and a `ServiceDict`) through
//!   typed `#[aiomas::proxy]` proxies and the dynamic [`Proxy`], and lets them call back the
//!   service it serves on its connection.
//!
//! Every test is bounded in time: a broken peer fails a test, it never hangs CI.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::rpc::{self, FromProxy, Proxy, RpcClient};
use aiomas::{Error, ServiceRef, Value};
use aiomas_tests::{remote_error, temp_socket_path, within, PythonPeer};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

const SCRIPT: &str = "rpc_peer.py";

// --- our server, called by the Python client -----------------------------------------------

/// An application error: it reaches Python as `MyError: <message>` (named after the type).
#[derive(Debug)]
struct MyError(String);

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Rust struct: it must arrive in Python as a dict with its field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: f64,
    label: String,
}

/// Any service with a `name()`: the Python client's, or ours.
#[aiomas::proxy]
trait Named {
    async fn name(&self) -> String;
}

/// The sub-service `addition`.
struct Addition;

#[aiomas::service]
impl Addition {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// The root service of our server: the interface of `rpc_peer.py`'s Python servers.
struct Calculator {
    addition: Addition,
}

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
        a + b
    }

    #[expose]
    fn echo(&self, value: Value) -> Value {
        value
    }

    #[expose]
    fn fail(&self, message: String) -> Result<(), MyError> {
        Err(MyError(message))
    }

    #[expose]
    async fn sleep(&self, dt: f64, value: Value) -> Value {
        tokio::time::sleep(Duration::from_secs_f64(dt)).await;
        value
    }

    #[expose]
    fn boom(&self) -> i64 {
        panic!("kaboom")
    }

    /// Python's `gather(first, *rest, **kw)`.
    #[expose]
    fn gather(
        &self,
        first: i64,
        #[args] rest: Vec<Value>,
        #[kwargs] kw: BTreeMap<String, Value>,
    ) -> (i64, Vec<Value>, BTreeMap<String, Value>) {
        (first, rest, kw)
    }

    /// Python's `maybe(x=None)`.
    #[expose]
    fn maybe(&self, x: Option<i64>) -> Option<i64> {
        x
    }

    #[expose(name = "mul")]
    async fn multiply(&self, a: i64, b: i64) -> i64 {
        a * b
    }

    /// A struct result: Python receives a dict.
    #[expose]
    fn point(&self, x: i64, y: f64) -> Point {
        Point {
            x,
            y,
            label: format!("P({x}, {y})"),
        }
    }

    /// Not exposed: remote callers get `LookupError: "....Calculator.secret" is not exposed`.
    #[allow(dead_code)]
    fn secret(&self) -> &'static str {
        "not for remote callers"
    }

    /// Calls `method` of a service that the caller passed us (bi-directional RPC).
    #[expose]
    async fn call_back(
        &self,
        proxy: Proxy,
        method: String,
        args: Vec<Value>,
    ) -> Result<Value, Error> {
        proxy.call(&method, args).await
    }

    /// Calls back through a typed proxy parameter.
    #[expose]
    async fn call_name(&self, proxy: NamedProxy) -> Result<String, Error> {
        proxy.name().await
    }

    #[expose(child)]
    fn addition(&self) -> &Addition {
        &self.addition
    }
}

/// Starts our server on `addr` and runs the Python client against it; it must exit 0.
///
/// The server also watches its connections: every one the Python client opened must be
/// reported as reset once the client has gone.
async fn python_client_against_our_server(addr: Addr, codec: Codec) {
    let options = ChannelOptions::default().codec(codec);
    let connected = Arc::new(Mutex::new(0_usize));
    let (reset_tx, mut resets) = tokio::sync::mpsc::unbounded_channel();
    let counter = connected.clone();
    let server = within(
        10.0,
        "start our server",
        rpc::start_server_with(
            addr,
            Calculator { addition: Addition },
            options,
            move |client: RpcClient| {
                *counter.lock().unwrap() += 1;
                let reset_tx = reset_tx.clone();
                client.on_connection_reset(move |err| {
                    let _ = reset_tx.send(err.to_string());
                });
            },
        ),
    )
    .await
    .expect("start our server");
    let addr = server.addr().to_string();
    PythonPeer::run_checks(
        SCRIPT,
        &[
            "client",
            &addr,
            "--codec",
            codec.name(),
            "--fail-kind",
            "MyError",
        ],
    )
    .await;

    // The client opened two connections (one closed mid-call) and closed both.
    let connections = *connected.lock().unwrap();
    assert_eq!(connections, 2, "connections made by the Python client");
    for n in 0..connections {
        within(
            5.0,
            &format!("connection reset {} of {connections}", n + 1),
            resets.recv(),
        )
        .await
        .expect("a reset report");
    }
    within(10.0, "closing our server", server.close()).await;
}

#[tokio::test]
async fn python_client_calls_our_server_json() {
    python_client_against_our_server(Addr::tcp("127.0.0.1", 0), Codec::Json).await;
}

#[tokio::test]
async fn python_client_calls_our_server_msgpack() {
    python_client_against_our_server(Addr::tcp("127.0.0.1", 0), Codec::MsgPack).await;
}

#[tokio::test]
async fn python_client_calls_our_server_msgpack_blosc() {
    python_client_against_our_server(Addr::tcp("127.0.0.1", 0), Codec::MsgPackBlosc).await;
}

#[tokio::test]
async fn python_client_calls_our_server_unix_socket() {
    let path = temp_socket_path("rpc-py-client");
    python_client_against_our_server(Addr::unix(&path), Codec::MsgPack).await;
    let _ = std::fs::remove_file(path);
}

// --- our client, calling Python servers ----------------------------------------------------

/// The Python sub-service `addition`.
#[aiomas::proxy]
trait PyAddition {
    async fn add(&self, a: i64, b: i64) -> i64;
}

/// The Python root service (`Calculator` or its `ServiceDict` twin).
#[aiomas::proxy]
trait PyCalculator {
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn echo(&self, value: Value) -> Value;
    async fn fail(&self, message: String);
    async fn call_back(&self, proxy: ServiceRef, method: String, args: Vec<Value>) -> Value;
    async fn gather(
        &self,
        first: i64,
        #[args] rest: Vec<Value>,
        #[kwargs] kw: BTreeMap<String, Value>,
    ) -> (i64, Vec<Value>, BTreeMap<String, Value>);
    async fn maybe(&self, x: Option<i64>) -> Option<i64>;
    async fn mul(&self, a: i64, b: i64) -> i64;
    async fn point(&self, x: i64, y: f64) -> Point;
    async fn call_name(&self, proxy: NamedProxy) -> String;
    fn addition(&self) -> PyAdditionProxy;
}

/// The Python `echo`, typed for structs.
#[aiomas::proxy]
trait PyEcho {
    async fn echo(&self, value: Point) -> Point;
}

/// The sub-service of what our client serves.
struct ClientSub;

#[aiomas::service]
impl ClientSub {
    #[expose]
    fn name(&self) -> String {
        "sub of Ferris".into()
    }
}

/// What our client serves on its connection, so that the Python server can call it back.
struct RustClient {
    sub: ClientSub,
}

#[aiomas::service]
impl RustClient {
    #[expose]
    fn name(&self) -> String {
        "Ferris".into()
    }

    #[expose]
    async fn greet(&self, who: String, #[default("!".to_owned())] punctuation: String) -> String {
        tokio::time::sleep(Duration::from_millis(1)).await;
        format!("Hello, {who}{punctuation}")
    }

    #[expose]
    fn fail(&self, message: String) -> Result<(), MyError> {
        Err(MyError(message))
    }

    #[expose(child)]
    fn sub(&self) -> &ClientSub {
        &self.sub
    }
}

/// Asserts that `result` is a remote exception `kind: message`.
fn assert_remote<T: fmt::Debug>(what: &str, result: Result<T, Error>, kind: &str, message: &str) {
    let remote = remote_error(what, result);
    assert_eq!(
        (remote.kind(), remote.message()),
        (Some(kind), message),
        "{what}: traceback was:\n{}",
        remote.traceback()
    );
}

/// Values that must survive a round trip through Python's `echo`.
fn echo_values(codec: Codec) -> Vec<Value> {
    let map = |entries: Vec<(Value, Value)>| Value::Map(entries);
    let mut values = vec![
        Value::Nil,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(0),
        Value::Int(-1),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::UInt(u64::MAX),
        Value::Float(1.0),
        Value::Float(-0.5),
        Value::Float(std::f64::consts::PI),
        Value::Float(-1e300),
        Value::from(""),
        Value::from("äöü ✓ 日本 🦀"),
        Value::from("aiomas ".repeat(50_000)),
        Value::List(vec![]),
        map(vec![]),
        Value::List((0..10_000).map(Value::from).collect()),
        map(vec![
            (
                "a".into(),
                Value::List(vec![
                    1.into(),
                    2.into(),
                    map(vec![("b".into(), Value::Nil)]),
                ]),
            ),
            ("c".into(), map(vec![("d".into(), "e".into())])),
            (
                "schlüssel 🔑".into(),
                Value::List(vec![Value::List(vec![])]),
            ),
        ]),
    ];
    if codec != Codec::Json {
        values.push(Value::Bytes(vec![0, 255, 1, 254]));
        values.push(map(vec![
            (1.into(), "one".into()),
            ((-2).into(), "two".into()),
        ]));
    }
    values
}

/// Our client against a Python server started with `--service <service>` on `listen`.
async fn our_client_against_python_server(listen: &str, codec: Codec, service: &str) {
    let peer = PythonPeer::start_async(
        SCRIPT,
        &[
            "server",
            listen,
            "--codec",
            codec.name(),
            "--service",
            service,
        ],
    )
    .await;
    let addr: Addr = peer.addr().parse().expect("the peer's address");
    let options = ChannelOptions::default().codec(codec);
    let client = within(
        10.0,
        "connect to the Python server",
        rpc::open_connection_serving(&addr, RustClient { sub: ClientSub }, options),
    )
    .await
    .expect("connect to the Python server");

    within(60.0, "the checks against the Python server", async {
        typed_calls(&client, codec).await;
        dynamic_calls(&client).await;
        python_errors(&client, service).await;
        concurrent_calls(&client).await;
        callbacks(&client).await;
    })
    .await;

    within(10.0, "closing our client", client.close()).await;
    peer.stop_ok_async().await;
}

/// Calls through the typed proxies.
async fn typed_calls(client: &RpcClient, codec: Codec) {
    let remote: PyCalculatorProxy = client.remote_as();
    assert_eq!(remote.add(3, 4).await.unwrap(), 7);
    assert_eq!(remote.add(-3, 1).await.unwrap(), -2);
    assert_eq!(remote.addition().add(1, 2).await.unwrap(), 3);
    assert_eq!(remote.mul(6, 7).await.unwrap(), 42);
    assert_eq!(remote.maybe(Some(5)).await.unwrap(), Some(5));
    assert_eq!(remote.maybe(None).await.unwrap(), None);
    let kw = BTreeMap::from([("x".to_owned(), Value::from(4))]);
    assert_eq!(
        remote
            .gather(1, vec![2.into(), 3.into()], kw.clone())
            .await
            .unwrap(),
        (1, vec![2.into(), 3.into()], kw)
    );
    assert_eq!(
        remote.gather(1, vec![], BTreeMap::new()).await.unwrap(),
        (1, vec![], BTreeMap::new())
    );
    assert_eq!(
        remote.point(1, 2.5).await.unwrap(),
        Point {
            x: 1,
            y: 2.5,
            label: "P(1, 2.5)".into()
        }
    );
    for value in echo_values(codec) {
        let got = remote.echo(value.clone()).await.unwrap();
        assert_eq!(got, value, "echo changed the value");
    }

    let point = Point {
        x: -7,
        y: 0.25,
        label: "ünï".into(),
    };
    let echo: PyEchoProxy = client.remote_as();
    assert_eq!(echo.echo(point.clone()).await.unwrap(), point);
    // A struct is a dict in Python (not a list): it comes back as a map with its field names.
    let raw = client
        .remote()
        .call("echo", vec![aiomas::to_value(&point).unwrap()])
        .await
        .unwrap();
    assert_eq!(raw.get("x"), Some(&Value::from(-7)), "{raw}");
    assert_eq!(raw.get("label"), Some(&Value::from("ünï")), "{raw}");

    assert_remote(
        "typed fail()",
        remote.fail("boom ü \"quoted\"".into()).await,
        "ValueError",
        "boom ü \"quoted\"",
    );
    let remote_err = remote_error("typed fail()", remote.fail("x".into()).await);
    assert!(
        remote_err
            .traceback()
            .starts_with("Traceback (most recent call last):"),
        "{}",
        remote_err.traceback()
    );
}

/// Calls by path through the dynamic proxy, with keywords and Python's defaults.
async fn dynamic_calls(client: &RpcClient) {
    let remote = client.remote();
    let kw = |pairs: &[(&str, i64)]| -> Vec<(String, Value)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect()
    };
    assert_eq!(
        remote
            .call_kw("add", vec![3.into()], kw(&[("b", 4)]))
            .await
            .unwrap(),
        Value::from(7)
    );
    assert_eq!(
        remote
            .call_kw("add", vec![], kw(&[("b", 4), ("a", 3)]))
            .await
            .unwrap(),
        Value::from(7)
    );
    // `b=0` is Python's default.
    assert_eq!(
        remote
            .call_kw("add", vec![], kw(&[("a", 1)]))
            .await
            .unwrap(),
        Value::from(1)
    );
    assert_eq!(
        remote.call("add", vec![5.into()]).await.unwrap(),
        Value::from(5)
    );
    assert_eq!(
        remote
            .child("addition")
            .call_kw("add", vec![], kw(&[("a", 1), ("b", 2)]))
            .await
            .unwrap(),
        Value::from(3)
    );
    assert_eq!(
        remote
            .call("addition/add", vec![2.into(), 2.into()])
            .await
            .unwrap(),
        Value::from(4)
    );
    let sum: i64 = remote
        .invoke("add", vec![40.into()], kw(&[("b", 2)]))
        .await
        .unwrap();
    assert_eq!(sum, 42);
}

/// Python's exceptions arrive as `Error::Remote` with their kind and message.
async fn python_errors(client: &RpcClient, service: &str) {
    let remote = client.remote();
    assert_remote(
        "unknown name",
        remote.call("nope", vec![]).await,
        "LookupError",
        r#"Name "nope" not found in """#,
    );
    assert_remote(
        "unknown nested name",
        remote.child("addition").call("nope", vec![]).await,
        "LookupError",
        r#"Name "nope" not found in "addition""#,
    );
    let unexposed = match service {
        "class" => r#""__main__.Calculator.secret" is not exposed"#,
        _ => r#""aiomas.rpc.ServiceDict.secret" is not exposed"#,
    };
    assert_remote(
        "not exposed",
        remote.call("secret", vec![]).await,
        "LookupError",
        unexposed,
    );
    for (what, args) in [
        ("missing argument", vec![]),
        ("too many arguments", vec![1.into(), 2.into(), 3.into()]),
    ] {
        let err = remote_error(what, remote.call("add", args).await);
        assert_eq!(err.kind(), Some("TypeError"), "{what}: {}", err.traceback());
        assert!(err.message().contains("add()"), "{what}: {}", err.message());
    }
    let err = remote_error(
        "unexpected keyword",
        remote
            .call_kw("add", vec![1.into()], vec![("c".into(), 2.into())])
            .await,
    );
    assert_eq!(err.kind(), Some("TypeError"), "{}", err.traceback());
    assert!(err.message().contains("'c'"), "{}", err.message());
    assert_remote(
        "fail()",
        remote
            .call_kw("fail", vec![], vec![("message".into(), "kw".into())])
            .await,
        "ValueError",
        "kw",
    );
    assert_remote(
        "boom()",
        remote.call("boom", vec![]).await,
        "RuntimeError",
        "kaboom",
    );
    // The typed result does not fit: a local deserialization error, not a remote one.
    let typed: Result<String, Error> = remote.invoke("add", vec![1.into()], vec![]).await;
    assert!(matches!(typed, Err(Error::Deserialization(_))), "{typed:?}");
    // And the server keeps serving.
    assert_eq!(
        remote.call("add", vec![1.into(), 1.into()]).await.unwrap(),
        Value::from(2)
    );
}

/// Many calls in flight at once; Python answers them out of order.
async fn concurrent_calls(client: &RpcClient) {
    let mut calls = JoinSet::new();
    for i in 0..200_i64 {
        let remote = client.remote();
        let dt = ((i * 7919) % 50) as f64 / 1000.0;
        calls.spawn(async move {
            let got = remote.call("sleep", vec![dt.into(), i.into()]).await;
            (i, got)
        });
    }
    while let Some(joined) = calls.join_next().await {
        let (i, got) = joined.expect("a call task");
        assert_eq!(got.unwrap(), Value::from(i));
    }
}

/// Python calls back the service our client serves on its connection.
async fn callbacks(client: &RpcClient) {
    let remote: PyCalculatorProxy = client.remote_as();
    let me = client.service_ref("").expect("our client serves a service");
    assert_eq!(
        remote
            .call_back(me.clone(), "name".into(), vec![])
            .await
            .unwrap(),
        Value::from("Ferris")
    );
    assert_eq!(
        remote
            .call_back(me.clone(), "greet".into(), vec!["Python".into()])
            .await
            .unwrap(),
        Value::from("Hello, Python!")
    );
    assert_eq!(
        remote
            .call_back(
                me.clone(),
                "greet".into(),
                vec!["Python".into(), "?".into()]
            )
            .await
            .unwrap(),
        Value::from("Hello, Python?")
    );
    let sub = client
        .service_ref("sub")
        .expect("a reference to our sub-service");
    assert_eq!(
        remote
            .call_back(sub.clone(), "name".into(), vec![])
            .await
            .unwrap(),
        Value::from("sub of Ferris")
    );
    let typed = NamedProxy::from_proxy(Proxy::from_ref(me.clone()));
    assert_eq!(remote.call_name(typed).await.unwrap(), "Ferris");
    let typed = NamedProxy::from_proxy(Proxy::from_ref(sub.clone()));
    assert_eq!(remote.call_name(typed).await.unwrap(), "sub of Ferris");
    // Python cannot send a proxy back to the side it points to.
    let err = remote_error(
        "echo a service reference",
        remote.echo(Value::from(me.clone())).await,
    );
    assert!(
        err.kind()
            .is_some_and(|kind| kind.ends_with("SerializationError")),
        "{}",
        err.traceback()
    );
    // Our error, raised in Python's call_back, comes back to us with its kind.
    assert_remote(
        "call_back fail()",
        remote
            .call_back(me.clone(), "fail".into(), vec!["from rust".into()])
            .await,
        "MyError",
        "from rust",
    );
    assert_remote(
        "call_back an unknown name",
        remote.call_back(me.clone(), "nope".into(), vec![]).await,
        "LookupError",
        r#"Name "nope" not found in """#,
    );

    let mut calls = JoinSet::new();
    for i in 0..50 {
        let remote = remote.clone();
        let me = me.clone();
        calls.spawn(async move {
            let got = remote
                .call_back(me, "greet".into(), vec![i.to_string().into()])
                .await;
            (i, got)
        });
    }
    while let Some(joined) = calls.join_next().await {
        let (i, got) = joined.expect("a call_back task");
        assert_eq!(got.unwrap(), Value::from(format!("Hello, {i}!")));
    }
}

#[tokio::test]
async fn our_client_calls_python_class_service_json() {
    our_client_against_python_server("127.0.0.1:0", Codec::Json, "class").await;
}

#[tokio::test]
async fn our_client_calls_python_class_service_msgpack() {
    our_client_against_python_server("127.0.0.1:0", Codec::MsgPack, "class").await;
}

#[tokio::test]
async fn our_client_calls_python_class_service_msgpack_blosc() {
    our_client_against_python_server("127.0.0.1:0", Codec::MsgPackBlosc, "class").await;
}

#[tokio::test]
async fn our_client_calls_python_dict_service_json() {
    our_client_against_python_server("127.0.0.1:0", Codec::Json, "dict").await;
}

#[tokio::test]
async fn our_client_calls_python_dict_service_msgpack() {
    our_client_against_python_server("127.0.0.1:0", Codec::MsgPack, "dict").await;
}

#[tokio::test]
async fn our_client_calls_python_dict_service_msgpack_blosc() {
    our_client_against_python_server("127.0.0.1:0", Codec::MsgPackBlosc, "dict").await;
}

#[tokio::test]
async fn our_client_calls_python_service_unix_socket() {
    let path = temp_socket_path("rpc-py-server");
    let listen = path.to_str().expect("a UTF-8 socket path");
    our_client_against_python_server(listen, Codec::Json, "class").await;
}
