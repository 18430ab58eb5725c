//! Bi-directional RPC, from the RPC guide: the client serves a service of its own on its
//! connection and passes a reference to it to the server, which calls it back through a proxy.
//!
//! Prints `Server reply: Client name is "Monty"`.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, FromProxy, Proxy};

/// The client is an RPC service, too.
struct Client {
    name: String,
}

#[aiomas::service]
impl Client {
    /// This method is exposed to the server.
    #[expose]
    fn get_client_name(&self) -> String {
        self.name.clone()
    }
}

impl Client {
    /// Connects to the server, serving this client on the connection.
    async fn run(self, addr: &Addr) -> aiomas::Result<()> {
        // Serve this client on the connection, so that the server can call it back:
        let rpc_con = rpc::open_connection_serving(addr, self, ChannelOptions::default()).await?;
        // We can now pass (a reference to) our service to the server:
        let me = ClientProxy::from_proxy(Proxy::from_ref(rpc_con.service_ref("")?));
        let server: ServerProxy = rpc_con.remote_as();
        let rep = server.server_method(me).await?;
        println!("Server reply: {rep}");
        rpc_con.close().await;
        Ok(())
    }
}

/// The server's root service.
struct Server;

#[aiomas::service]
impl Server {
    /// The client passes a reference to its service: we receive it as a typed proxy, which we
    /// can use to call the client.
    #[expose]
    async fn server_method(&self, client_proxy: ClientProxy) -> aiomas::Result<String> {
        let client_name = client_proxy.get_client_name().await?;
        Ok(format!("Client name is \"{client_name}\""))
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let server =
        rpc::start_server(Addr::tcp("127.0.0.1", 0), Server, ChannelOptions::default()).await?;
    let client = Client {
        name: "Monty".into(),
    };
    client.run(server.addr()).await?;
    server.close().await;
    Ok(())
}
