//! The RPC guide's math server as a dictionary of functions: a [`ServiceMap`] (Python's
//! `aiomas.rpc.ServiceDict`) maps names to functions chosen at run time.
//!
//! The client declares the interface it expects with `#[aiomas::proxy]`, which generates the
//! typed `MathProxy`. Prints `What’s 3 + 4? 7`.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, ServiceMap};

/// The interface of the remote math service, as the client sees it.
#[aiomas::proxy]
trait Math {
    async fn add(&self, a: i64, b: i64) -> i64;
}

/// The exposed function `add(a, b)`.
async fn add(mut args: Args) -> Result<i64, Exception> {
    let a: i64 = args.required("a")?;
    let b: i64 = args.required("b")?;
    args.finish()?;
    Ok(a + b)
}

/// Connects to the server and calls its `add()` function.
async fn client(addr: &Addr) -> aiomas::Result<()> {
    let rpc_con = rpc::open_connection(addr, ChannelOptions::default()).await?;
    let remote: MathProxy = rpc_con.remote_as();
    let rep = remote.add(3, 4).await?;
    println!("What’s 3 + 4? {rep}");
    rpc_con.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let math_service = ServiceMap::new().function("add", add);
    let server = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        math_service,
        ChannelOptions::default(),
    )
    .await?;
    client(server.addr()).await?;
    server.close().await;
    Ok(())
}
