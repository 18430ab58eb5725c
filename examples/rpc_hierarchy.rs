//! Hierarchies of RPC services, from the RPC guide: a root [`ServiceMap`] holds a dictionary
//! service `addition` and a typed service `subtraction` (dictionary and class-based services
//! mix freely). Clients reach sub-services through child proxies: `remote.addition().add(..)`.
//!
//! Prints `What’s 3 + 4? 7` and `What’s 4 - 3? 1`.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, ServiceMap};

/// The exposed function `add(a, b)` of the dictionary service `addition`.
async fn add(mut args: Args) -> Result<i64, Exception> {
    let a: i64 = args.required("a")?;
    let b: i64 = args.required("b")?;
    args.finish()?;
    Ok(a + b)
}

/// A sub-service for subtraction.
struct SubService;

#[aiomas::service]
impl SubService {
    #[expose]
    fn sub(&self, a: i64, b: i64) -> i64 {
        a - b
    }
}

/// The client's view of the `addition` service.
#[aiomas::proxy]
trait Adding {
    async fn add(&self, a: i64, b: i64) -> i64;
}

/// The client's view of the root service: two child services.
#[aiomas::proxy]
trait Root {
    fn addition(&self) -> AddingProxy;
    fn subtraction(&self) -> SubServiceProxy;
}

/// Calls a method of each sub-service.
async fn client(addr: &Addr) -> aiomas::Result<()> {
    let rpc_con = rpc::open_connection(addr, ChannelOptions::default()).await?;
    let remote: RootProxy = rpc_con.remote_as();
    // Call the addition service:
    let rep = remote.addition().add(3, 4).await?;
    println!("What’s 3 + 4? {rep}");
    // Call the subtraction service:
    let rep = remote.subtraction().sub(4, 3).await?;
    println!("What’s 4 - 3? {rep}");
    rpc_con.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let adding_service = ServiceMap::new().function("add", add);
    // A service map with two sub-services:
    let root_service = ServiceMap::new()
        .service("addition", adding_service)
        .service("subtraction", SubService);
    let server = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        root_service,
        ChannelOptions::default(),
    )
    .await?;
    client(server.addr()).await?;
    server.close().await;
    Ok(())
}
