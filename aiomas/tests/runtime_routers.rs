//! Service maps that change while they are served (Python's `Router.add` / `set_sub_router`),
//! and the service an RPC connection serves (Python's `RpcClient.service`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, RpcClient, RpcServer, Service, ServiceMap};
use aiomas::{Error, Value};

fn adder() -> ServiceMap {
    ServiceMap::new().function("add", |args: Args| async move {
        let (a, b): (i64, i64) = args.into_positional()?;
        Ok::<_, Exception>(a + b)
    })
}

fn remote_message(err: Error) -> String {
    match err {
        Error::Remote(remote) => format!("{}: {}", remote.kind().unwrap_or(""), remote.message()),
        other => panic!("expected a remote error, got {other}"),
    }
}

/// Serves `root` and connects to it.
async fn serve(root: Arc<ServiceMap>) -> (RpcServer, RpcClient) {
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root, ChannelOptions::default())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    (server, client)
}

#[tokio::test]
async fn entries_come_and_go_while_served() {
    let root = Arc::new(ServiceMap::new());
    let (server, client) = serve(root.clone()).await;
    let extra = client.remote().child("extra");
    let args = || vec![Value::from(1), Value::from(2)];

    let err = extra.call("add", args()).await.unwrap_err();
    assert_eq!(
        remote_message(err),
        r#"LookupError: Name "extra" not found in """#
    );

    assert!(!root.add("extra", adder()));
    assert_eq!(extra.call("add", args()).await.unwrap(), Value::from(3));
    assert_eq!(root.names(), ["extra"]);

    // Replacing an entry takes effect for the next call.
    let doubler = ServiceMap::new().function("add", |args: Args| async move {
        let (a, b): (i64, i64) = args.into_positional()?;
        Ok::<_, Exception>(2 * (a + b))
    });
    assert!(root.add("extra", doubler));
    assert_eq!(extra.call("add", args()).await.unwrap(), Value::from(6));

    assert!(root.remove("extra"));
    assert!(!root.remove("extra"));
    let err = extra.call("add", args()).await.unwrap_err();
    assert_eq!(
        remote_message(err),
        r#"LookupError: Name "extra" not found in """#
    );

    client.close().await;
    server.close().await;
}

#[tokio::test]
async fn a_call_in_flight_on_a_removed_entry_finishes() {
    let root = Arc::new(ServiceMap::new());
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let started_tx = Mutex::new(Some(started_tx));
    let (release_tx, release) = tokio::sync::oneshot::channel::<()>();
    let release = Arc::new(tokio::sync::Mutex::new(Some(release)));
    root.add_function("slow", move |_args: Args| {
        if let Some(tx) = started_tx.lock().unwrap().take() {
            let _ = tx.send(());
        }
        let release = release.clone();
        async move {
            if let Some(rx) = release.lock().await.take() {
                let _ = rx.await;
            }
            Ok::<_, Exception>("done")
        }
    });
    let (server, client) = serve(root.clone()).await;
    let remote = client.remote();
    let call = tokio::spawn(async move { remote.call("slow", vec![]).await });
    tokio::time::timeout(Duration::from_secs(5), started)
        .await
        .expect("the call starts")
        .unwrap();
    assert!(root.remove("slow"));
    release_tx.send(()).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the call finishes")
        .unwrap();
    assert_eq!(result.unwrap(), Value::from("done"));
    let err = client.remote().call("slow", vec![]).await.unwrap_err();
    assert_eq!(
        remote_message(err),
        r#"LookupError: Name "slow" not found in """#
    );
    client.close().await;
    server.close().await;
}

#[tokio::test]
async fn a_connection_exposes_the_service_it_serves() {
    let root = Arc::new(adder());
    let seen: Arc<Mutex<Vec<RpcClient>>> = Arc::default();
    let on_client = seen.clone();
    let server = rpc::start_server_with(
        Addr::tcp("127.0.0.1", 0),
        root.clone(),
        ChannelOptions::default(),
        move |client| on_client.lock().unwrap().push(client),
    )
    .await
    .unwrap();
    let plain = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    assert!(plain.service().is_none(), "this connection serves nothing");
    let mine: Arc<dyn Service> = Arc::new(ServiceMap::new());
    let serving =
        rpc::open_connection_serving(server.addr(), mine.clone(), ChannelOptions::default())
            .await
            .unwrap();
    assert!(Arc::ptr_eq(serving.service().unwrap(), &mine));

    // Both connections reached the server: each server-side client serves `root`.
    plain
        .remote()
        .call("add", vec![1.into(), 1.into()])
        .await
        .unwrap();
    serving
        .remote()
        .call("add", vec![1.into(), 1.into()])
        .await
        .unwrap();
    let root_dyn: Arc<dyn Service> = root;
    let served = seen.lock().unwrap().clone();
    assert_eq!(served.len(), 2);
    for client in served {
        let service = client
            .service()
            .expect("a server's connection serves its root");
        // Same allocation: the root itself, not a copy.
        assert!(std::ptr::addr_eq(
            Arc::as_ptr(service),
            Arc::as_ptr(&root_dyn)
        ));
    }
    plain.close().await;
    serving.close().await;
    server.close().await;
}
