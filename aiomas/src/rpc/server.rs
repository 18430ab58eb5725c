//! Starting RPC servers and opening RPC connections.

use std::sync::Arc;

use super::client::{serve, Root};
use super::{RpcClient, Service};
use crate::channel::{self, Addr, ChannelOptions, Server};
use crate::{Error, ServiceRef};

/// Anything that can be served as a root service: a service value, or a shared one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be served: it is not an RPC service",
    label = "not a service",
    note = "add `#[aiomas::service]` (or `#[aiomas::agent]`) to an `impl` block of the type with `#[expose]`d methods, or serve a `ServiceMap`; an `Arc` of a service works too"
)]
pub trait IntoService {
    /// The service, shared.
    fn into_service(self) -> Arc<dyn Service>;
}

impl<S: Service> IntoService for S {
    fn into_service(self) -> Arc<dyn Service> {
        Arc::new(self)
    }
}

impl<S: Service> IntoService for Arc<S> {
    fn into_service(self) -> Arc<dyn Service> {
        self
    }
}

impl IntoService for Arc<dyn Service> {
    fn into_service(self) -> Arc<dyn Service> {
        self
    }
}

/// RPC connections carry service references: Python's `RpcClient` registers its fallback
/// serializer last, after the extra serializers.
fn rpc_options(options: ChannelOptions) -> ChannelOptions {
    let serializers = options.get_serializers().clone().with_service_refs();
    options.serializers(serializers)
}

/// A running RPC server, from [`start_server`].
///
/// ```
/// use aiomas::channel::{Addr, ChannelOptions};
/// use aiomas::{rpc, Home};
///
/// struct Hello;
///
/// #[aiomas::service]
/// impl Hello {
///     #[expose]
///     fn hi(&self) -> String {
///         "hi".into()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let server = rpc::start_server(Addr::local("rpc-server-docs"), Hello, ChannelOptions::default()).await?;
/// assert_eq!(server.addr(), &Addr::local("rpc-server-docs"));
/// // What a peer gets when this side passes its root service along.
/// let root = server.service_ref("");
/// assert!(root.path.is_empty() && matches!(root.home, Home::Local(_)));
/// server.close().await;
/// # Ok(())
/// # }
/// ```
pub struct RpcServer {
    server: Server,
    root: Arc<Root>,
}

impl std::fmt::Debug for RpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcServer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl RpcServer {
    /// The address the server listens on (with the real port if bound to port 0).
    pub fn addr(&self) -> &Addr {
        self.server.addr()
    }

    /// A reference to the served service at `path` (`""` for the root), to pass to peers.
    pub fn service_ref(&self, path: &str) -> ServiceRef {
        self.root.reference(path)
    }

    /// Stops accepting, closes all connections and waits for their tasks.
    pub async fn close(&self) {
        self.server.close().await;
    }
}

/// Serves `service` on `addr`: every connection can call its exposed functions.
///
/// ```
/// use aiomas::channel::{Addr, ChannelOptions};
/// use aiomas::rpc::{self, Args, ServiceMap};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let service = ServiceMap::new().function("add", |args: Args| async move {
///     let (a, b): (i64, i64) = args.into_positional()?;
///     Ok::<_, rpc::Exception>(a + b)
/// });
/// let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), service, ChannelOptions::default()).await?;
/// let client = rpc::open_connection(server.addr(), ChannelOptions::default()).await?;
/// let sum = client.remote().call("add", vec![3.into(), 4.into()]).await?;
/// assert_eq!(sum, 7.into());
/// client.close().await;
/// server.close().await;
/// # Ok(())
/// # }
/// ```
pub async fn start_server(
    addr: Addr,
    service: impl IntoService,
    options: ChannelOptions,
) -> Result<RpcServer, Error> {
    start_server_with(addr, service, options, |_| {}).await
}

/// Like [`start_server`], calling `client_connected` with an [`RpcClient`] for each new
/// connection (to call the client back, or to watch it with
/// [`on_connection_reset`](RpcClient::on_connection_reset)).
///
/// ```
/// # use aiomas::channel::{Addr, ChannelOptions};
/// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// let (tx, mut rx) = tokio::sync::mpsc::channel(1);
/// let service = ServiceMap::new();
/// let server = rpc::start_server_with(Addr::local("start-with-docs"), service, ChannelOptions::default(), move |client| {
///     let _ = tx.try_send(client); // e.g. keep it to call the client back
/// })
/// .await?;
/// let _client = rpc::open_connection(server.addr(), ChannelOptions::default()).await?;
/// let connected = tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await.unwrap();
/// assert!(connected.is_some());
/// # Ok(())
/// # }
/// ```
pub async fn start_server_with(
    addr: Addr,
    service: impl IntoService,
    options: ChannelOptions,
    client_connected: impl Fn(RpcClient) + Send + Sync + 'static,
) -> Result<RpcServer, Error> {
    start_server_with_root(
        addr,
        Root::new(service.into_service()),
        options,
        client_connected,
    )
    .await
}

/// Serves an existing root (a container serves its root on its server and on the connections
/// it opens, so references to its agents are valid on both).
pub(crate) async fn start_server_with_root(
    addr: Addr,
    root: Arc<Root>,
    options: ChannelOptions,
    client_connected: impl Fn(RpcClient) + Send + Sync + 'static,
) -> Result<RpcServer, Error> {
    let served = root.clone();
    let on_client = move |channel: channel::Channel| {
        let (client, reset) = RpcClient::borrowed(channel.clone(), served.clone());
        client_connected(client);
        serve(
            channel.take_requests(),
            Some(served.clone()),
            reset,
            Some(channel),
        )
    };
    let server = Server::start(addr, rpc_options(options), Some(root.id), on_client).await?;
    Ok(RpcServer { server, root })
}

/// Connects to an RPC server; the peer cannot call us (see [`open_connection_serving`]).
///
/// ```
/// # use aiomas::channel::{Addr, ChannelOptions};
/// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// # let add = |args: Args| async move {
/// #     let (a, b): (i64, i64) = args.into_positional()?;
/// #     Ok::<_, Exception>(a + b)
/// # };
/// # let service = ServiceMap::new().function("add", add).service("math", ServiceMap::new().function("add", add));
/// # let server = rpc::start_server(Addr::local("open-docs"), service, ChannelOptions::default()).await?;
/// # let client = rpc::open_connection(server.addr(), ChannelOptions::default()).await?;
/// assert_eq!(client.remote().call("add", vec![1.into(), 2.into()]).await?, 3.into());
/// assert!(client.service().is_none());
/// # Ok(())
/// # }
/// ```
pub async fn open_connection(addr: &Addr, options: ChannelOptions) -> Result<RpcClient, Error> {
    let channel = channel::open_serving(addr, &rpc_options(options), None).await?;
    Ok(RpcClient::spawn(channel, None))
}

/// Connects to an RPC server and serves `service` on the connection, so the peer can call
/// back (pass [`RpcClient::service_ref`] to it).
///
/// ```
/// # use aiomas::channel::{Addr, ChannelOptions};
/// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // The server calls back whoever connected: the client's `ping`.
/// let server = rpc::start_server_with(Addr::local("serving-docs"), ServiceMap::new(), ChannelOptions::default(), |client| {
///     tokio::spawn(async move {
///         let _ = client.remote().call("ping", vec![]).await;
///     });
/// })
/// .await?;
/// let (tx, rx) = tokio::sync::oneshot::channel();
/// let tx = std::sync::Mutex::new(Some(tx));
/// let mine = ServiceMap::new().function("ping", move |_: Args| {
///     if let Some(tx) = tx.lock().unwrap().take() {
///         let _ = tx.send(());
///     }
///     async { Ok::<_, Exception>("pong") }
/// });
/// let client = rpc::open_connection_serving(server.addr(), mine, ChannelOptions::default()).await?;
/// tokio::time::timeout(std::time::Duration::from_secs(5), rx).await.unwrap().unwrap();
/// assert!(client.service_ref("").is_ok());
/// # Ok(())
/// # }
/// ```
pub async fn open_connection_serving(
    addr: &Addr,
    service: impl IntoService,
    options: ChannelOptions,
) -> Result<RpcClient, Error> {
    open_connection_with_root(addr, Root::new(service.into_service()), options).await
}

/// Connects and serves an existing root on the connection.
pub(crate) async fn open_connection_with_root(
    addr: &Addr,
    root: Arc<Root>,
    options: ChannelOptions,
) -> Result<RpcClient, Error> {
    let channel = channel::open_serving(addr, &rpc_options(options), Some(root.id)).await?;
    Ok(RpcClient::spawn(channel, Some(root)))
}
