//! What the RPC benches call: a raw channel server and an RPC server with one `add`, over
//! loopback TCP, connected once.

use aiomas::channel::{self, Addr, Channel, ChannelOptions};
use aiomas::rpc::{self, Proxy, RpcClient};
use aiomas::Value;

/// The served service: one exposed `add`.
pub struct Adder;

#[aiomas::service]
impl Adder {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// `["add", [1, 2], {}]`: an RPC request's content, built afresh for each call (as the
/// proxies do).
pub fn raw_request() -> Value {
    Value::List(vec![
        Value::Str("add".to_owned()),
        Value::List(vec![Value::Int(1), Value::Int(2)]),
        Value::Map(Vec::new()),
    ])
}

/// Everything the benchmark calls, connected once.
pub struct Clients {
    pub raw: Channel,
    pub typed: AdderProxy,
    pub dynamic: Proxy,
    // Kept alive (and closed at the end) with the connections above.
    pub rpc_client: RpcClient,
    pub raw_server: channel::Server,
    pub rpc_server: rpc::RpcServer,
}

pub async fn connect() -> Clients {
    let raw_server = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default(),
        |channel| async move {
            while let Ok(request) = channel.recv().await {
                let _ = request.reply(Value::Int(3));
            }
        },
    )
    .await
    .expect("raw server starts");
    let raw = channel::open_connection(raw_server.addr(), ChannelOptions::default())
        .await
        .expect("raw client connects");

    let rpc_server = rpc::start_server(Addr::tcp("127.0.0.1", 0), Adder, ChannelOptions::default())
        .await
        .expect("RPC server starts");
    let rpc_client = rpc::open_connection(rpc_server.addr(), ChannelOptions::default())
        .await
        .expect("RPC client connects");
    let typed = rpc_client.remote_as::<AdderProxy>();
    let dynamic = rpc_client.remote();

    // Sanity: every variant really answers 3.
    assert_eq!(raw.send(raw_request()).await.unwrap(), Value::Int(3));
    assert_eq!(typed.add(1, 2).await.unwrap(), 3);
    assert_eq!(
        dynamic.call("add", vec![1.into(), 2.into()]).await.unwrap(),
        Value::Int(3)
    );

    Clients {
        raw,
        typed,
        dynamic,
        rpc_client,
        raw_server,
        rpc_server,
    }
}
