//! The first example of the RPC guide: a client calls the `add()` method of a `MathServer`.
//!
//! `#[aiomas::service]` makes `MathServer` an RPC service (Python: `router =
//! aiomas.rpc.Service()`), `#[expose]` lets clients call `add()`, and the macro generates the
//! typed `MathServerProxy` that the client calls it through.
//!
//! Prints `What’s 3 + 4? 7`.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc;

/// The root service of the server.
struct MathServer;

#[aiomas::service]
impl MathServer {
    /// Exposed methods can be called by clients.
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// Connects to the server and calls its `add()` method.
async fn client(addr: &Addr) -> aiomas::Result<()> {
    let rpc_con = rpc::open_connection(addr, ChannelOptions::default()).await?;
    // A typed proxy to the remote service:
    let remote: MathServerProxy = rpc_con.remote_as();
    let rep = remote.add(3, 4).await?;
    println!("What’s 3 + 4? {rep}");
    rpc_con.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    // Port 0 picks a free port (the guide uses 5555).
    let server = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        MathServer,
        ChannelOptions::default(),
    )
    .await?;
    client(server.addr()).await?;
    server.close().await;
    Ok(())
}
