//! The RPC runtime without the macros: path resolution, Python's error texts, argument
//! binding, panics, service references and callbacks, on hand-written services.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::rpc::{self, Args, Exception, Proxy, Route, Service, ServiceMap};
use aiomas::{Error, Value};

/// A hand-written service, shaped like what `#[aiomas::service]` generates.
struct Calculator {
    calls: AtomicUsize,
}

impl Calculator {
    fn add(&self, a: i64, b: i64) -> i64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        a + b
    }
}

impl Service for Calculator {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match name {
            "add" => Route::method(move |mut args: Args| async move {
                let a: i64 = args.required("a")?;
                let b: i64 = args.or_default("b", || 0)?;
                args.finish()?;
                rpc::__private::encode(&self.add(a, b))
            }),
            "div" => Route::method(move |mut args: Args| async move {
                let a: i64 = args.required("a")?;
                let b: i64 = args.required("b")?;
                args.finish()?;
                if b == 0 {
                    return Err(Exception::new("ZeroDivisionError", "division by zero"));
                }
                rpc::__private::encode(&(a / b))
            }),
            "boom" => Route::method(move |_args: Args| async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                panic!("kaboom")
            }),
            // Not `async`: the server runs it inline, and catches its panic there.
            "boom_now" => Route::inline(move |_args: Args| panic!("kaboom now")),
            "add_now" => Route::inline(move |mut args: Args| {
                let a: i64 = args.required("a")?;
                let b: i64 = args.required("b")?;
                args.finish()?;
                Ok(Value::from(self.add(a, b)))
            }),
            "call_me_back" => Route::method(move |mut args: Args| async move {
                let peer: Proxy = args.required("peer")?;
                args.finish()?;
                let name = peer.call("name", vec![]).await.map_err(Exception::from)?;
                rpc::__private::encode(&format!("Client name is {name}"))
            }),
            "secret" => Route::NotExposed,
            _ => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "Calculator"
    }

    fn module_path(&self) -> &'static str {
        "tests::rpc_runtime"
    }
}

fn root() -> ServiceMap {
    let sub = ServiceMap::new().function("sub", |args: Args| async move {
        let (a, b): (i64, i64) = args.into_positional()?;
        Ok::<_, Exception>(a - b)
    });
    ServiceMap::new()
        .service(
            "calc",
            Calculator {
                calls: AtomicUsize::new(0),
            },
        )
        .service("subtraction", sub)
}

async fn with_server<F, Fut>(codec: Codec, test: F)
where
    F: FnOnce(rpc::RpcClient) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let options = ChannelOptions::default().codec(codec);
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), options.clone())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), options).await.unwrap();
    tokio::time::timeout(Duration::from_secs(20), test(client.clone()))
        .await
        .expect("test timed out");
    client.close().await;
    server.close().await;
}

/// Keyword arguments of a call.
type Keywords = Vec<(String, Value)>;

fn remote_message(err: Error) -> String {
    match err {
        Error::Remote(remote) => format!("{}: {}", remote.kind().unwrap_or("?"), remote.message()),
        other => panic!("expected a remote error, got {other:?}"),
    }
}

#[tokio::test]
async fn positional_keyword_and_default_arguments() {
    with_server(Codec::Json, |client| async move {
        let calc = client.remote().child("calc");
        assert_eq!(
            calc.call("add", vec![3.into(), 4.into()]).await.unwrap(),
            Value::from(7)
        );
        assert_eq!(
            calc.call_kw("add", vec![3.into()], vec![("b".into(), 4.into())])
                .await
                .unwrap(),
            Value::from(7)
        );
        assert_eq!(
            calc.call("add", vec![3.into()]).await.unwrap(),
            Value::from(3)
        );
        let sum: i64 = calc
            .invoke(
                "add",
                vec![],
                vec![("a".into(), 1.into()), ("b".into(), 2.into())],
            )
            .await
            .unwrap();
        assert_eq!(sum, 3);
        let diff = client
            .remote()
            .call("subtraction/sub", vec![4.into(), 3.into()])
            .await
            .unwrap();
        assert_eq!(diff, Value::from(1));
    })
    .await;
}

#[tokio::test]
async fn lookup_errors_use_pythons_wording() {
    with_server(Codec::MsgPack, |client| async move {
        let remote = client.remote();
        let err = remote.call("nope", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            r#"LookupError: Name "nope" not found in """#
        );
        let err = remote.call("calc/nope", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            r#"LookupError: Name "nope" not found in "calc""#
        );
        let err = remote.call("calc/secret", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            r#"LookupError: "tests.rpc_runtime.Calculator.secret" is not exposed"#
        );
        let err = remote.call("calc/add/deeper", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            r#"LookupError: Name "deeper" not found in "calc/add""#
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_arguments_are_type_errors_naming_the_function() {
    with_server(Codec::Json, |client| async move {
        let calc = client.remote().child("calc");
        let cases: Vec<(Vec<Value>, Keywords, &str)> = vec![
            (
                vec![],
                vec![],
                "TypeError: add() missing 1 required positional argument: 'a'",
            ),
            (
                vec![1.into(), 2.into(), 3.into()],
                vec![],
                "TypeError: add() takes 2 positional arguments but 3 were given",
            ),
            (
                vec![1.into()],
                vec![("c".into(), 1.into())],
                "TypeError: add() got an unexpected keyword argument 'c'",
            ),
            (
                vec![1.into()],
                vec![("a".into(), 1.into())],
                "TypeError: add() got multiple values for argument 'a'",
            ),
        ];
        for (args, kwargs, expected) in cases {
            let err = calc.call_kw("add", args, kwargs).await.unwrap_err();
            assert_eq!(remote_message(err), expected);
        }
        let err = calc.call("add", vec!["x".into()]).await.unwrap_err();
        let message = remote_message(err);
        assert!(
            message.starts_with("TypeError: add() argument 'a': invalid type: string \"x\""),
            "{message}"
        );
    })
    .await;
}

#[tokio::test]
async fn application_errors_and_panics_become_exceptions_and_the_server_keeps_serving() {
    with_server(Codec::MsgPackBlosc, |client| async move {
        let calc = client.remote().child("calc");
        let err = calc
            .call("div", vec![1.into(), 0.into()])
            .await
            .unwrap_err();
        assert_eq!(remote_message(err), "ZeroDivisionError: division by zero");
        let err = calc.call("boom", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            "RuntimeError: calc/boom() panicked: kaboom"
        );
        let err = calc.call("boom_now", vec![]).await.unwrap_err();
        assert_eq!(
            remote_message(err),
            "RuntimeError: calc/boom_now() panicked: kaboom now"
        );
        assert_eq!(
            calc.call("div", vec![9.into(), 3.into()]).await.unwrap(),
            Value::from(3)
        );
        assert_eq!(
            calc.call("add_now", vec![4.into(), 5.into()])
                .await
                .unwrap(),
            Value::from(9)
        );
        let err = calc.call("add_now", vec![4.into()]).await.unwrap_err();
        assert!(
            remote_message(err).starts_with("TypeError: add_now() missing"),
            "a synchronous function's binding errors are exceptions too"
        );
    })
    .await;
}

/// The client of the RPC guide's bi-directional example.
struct Monty;

impl Service for Monty {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match name {
            "name" => Route::method(|args: Args| async move {
                args.finish()?;
                rpc::__private::encode("Monty")
            }),
            _ => Route::NotFound,
        }
    }
    fn class_name(&self) -> &'static str {
        "Client"
    }
}

#[tokio::test]
async fn service_references_allow_callbacks() {
    let options = ChannelOptions::default().codec(Codec::MsgPack);
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), options.clone())
        .await
        .unwrap();
    let client = rpc::open_connection_serving(server.addr(), Monty, options.clone())
        .await
        .unwrap();
    let me = Value::from(client.service_ref("").unwrap());
    let reply = client
        .remote()
        .call("calc/call_me_back", vec![me])
        .await
        .unwrap();
    assert_eq!(reply, Value::from("Client name is \"Monty\""));

    // A client that serves nothing cannot hand out references.
    let plain = rpc::open_connection(server.addr(), options).await.unwrap();
    assert!(plain.service_ref("").is_err());
    // A reference to a service this connection does not serve is a serialization error.
    let foreign = Value::from(client.service_ref("").unwrap());
    let err = plain
        .remote()
        .call("calc/call_me_back", vec![foreign])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Serialization(_)), "{err:?}");
    plain.close().await;
    client.close().await;
    server.close().await;
}

#[tokio::test]
async fn connection_reset_is_reported_once() {
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), ChannelOptions::default())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    client.on_connection_reset(move |err| {
        if let Some(tx) = tx.lock().unwrap().take() {
            let _ = tx.send(err.to_string());
        }
    });
    server.close().await;
    let reason = tokio::time::timeout(Duration::from_secs(5), rx)
        .await
        .expect("no reset reported")
        .unwrap();
    assert!(!reason.is_empty());
    assert!(client
        .remote()
        .call("calc/add", vec![1.into()])
        .await
        .is_err());
}

#[tokio::test]
async fn many_concurrent_calls_on_one_connection() {
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), ChannelOptions::default())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let calc = Arc::new(client.remote().child("calc"));
    let calls = (0..1000i64).map(|i| {
        let calc = calc.clone();
        tokio::spawn(async move { calc.call("add", vec![i.into(), 1.into()]).await })
    });
    for (i, call) in calls.enumerate() {
        assert_eq!(call.await.unwrap().unwrap(), Value::from(i as i64 + 1));
    }
    client.close().await;
    server.close().await;
}

#[tokio::test]
async fn a_proxy_outliving_its_client_keeps_the_connection_served() {
    let options = ChannelOptions::default();
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), options.clone())
        .await
        .unwrap();
    let client = rpc::open_connection_serving(server.addr(), Monty, options)
        .await
        .unwrap();
    let me = Value::from(client.service_ref("").unwrap());
    let calc = client.remote().child("calc");
    drop(client);
    // The server calls us back over the connection the proxy keeps open.
    let reply = tokio::time::timeout(Duration::from_secs(5), calc.call("call_me_back", vec![me]))
        .await
        .expect("callback hung: the dropped client stopped serving")
        .unwrap();
    assert_eq!(reply, Value::from("Client name is \"Monty\""));
    server.close().await;
}

#[tokio::test]
async fn dropping_a_server_stops_accepting_but_keeps_accepted_connections() {
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), ChannelOptions::default())
        .await
        .unwrap();
    let addr = server.addr().clone();
    let client = rpc::open_connection(&addr, ChannelOptions::default())
        .await
        .unwrap();
    // One call first, so the connection is accepted (not just in the listen backlog).
    let first = client
        .remote()
        .call("calc/add", vec![1.into(), 1.into()])
        .await;
    assert_eq!(first.unwrap(), Value::from(2));
    drop(server);
    let sum = tokio::time::timeout(
        Duration::from_secs(5),
        client.remote().call("calc/add", vec![1.into(), 2.into()]),
    )
    .await
    .unwrap();
    assert_eq!(sum.unwrap(), Value::from(3));
    client.close().await;
}
