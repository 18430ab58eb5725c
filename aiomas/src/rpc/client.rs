//! One RPC connection: the proxy to the peer's root service, and the task that serves ours.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;

use tokio::task::JoinSet;
use tracing::debug;

use super::service::call;
use super::{Args, Exception, FromProxy, Proxy, Service};
use crate::channel::{Channel, Request, Requests};
use crate::{Error, Home, ServiceRef, Value};

/// A root service served on connections, with the id that service references carry.
pub(crate) struct Root {
    pub(crate) id: u64,
    pub(crate) service: Arc<dyn Service>,
}

impl Root {
    pub(crate) fn new(service: Arc<dyn Service>) -> Arc<Root> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Root {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            service,
        })
    }

    /// A reference to the service at `path` under this root, to pass to a peer.
    pub(crate) fn reference(&self, path: &str) -> ServiceRef {
        ServiceRef {
            path: path.to_owned(),
            home: Home::Local(self.id),
        }
    }
}

type ResetCallback = Box<dyn Fn(&Error) + Send + Sync>;

/// Who is told when the peer goes away.
#[derive(Default)]
pub(crate) struct ResetWatch {
    callback: Mutex<Option<ResetCallback>>,
    closing: AtomicBool,
}

/// An RPC connection, from [`open_connection`](super::open_connection) or handed to a server's
/// client-connected callback. Cheap to clone.
#[derive(Clone)]
pub struct RpcClient {
    channel: Channel,
    root: Option<Arc<Root>>,
    reset: Arc<ResetWatch>,
}

impl RpcClient {
    /// A client that serves `root` (if any) in a task of its own, for as long as the connection
    /// lives: proxies keep it alive after the client is dropped, and the peer is still served.
    pub(crate) fn spawn(channel: Channel, root: Option<Arc<Root>>) -> RpcClient {
        let reset = Arc::new(ResetWatch::default());
        tokio::spawn(serve(
            channel.take_requests(),
            root.clone(),
            reset.clone(),
            None,
        ));
        RpcClient {
            channel,
            root,
            reset,
        }
    }

    /// A client for a server-side connection, which the server serves itself.
    pub(crate) fn borrowed(channel: Channel, root: Arc<Root>) -> (RpcClient, Arc<ResetWatch>) {
        let reset = Arc::new(ResetWatch::default());
        let client = RpcClient {
            channel,
            root: Some(root),
            reset: reset.clone(),
        };
        (client, reset)
    }

    /// A dynamic proxy for the peer's root service.
    pub fn remote(&self) -> Proxy {
        Proxy::new(self.channel.clone(), "")
    }

    /// A typed proxy for the peer's root service, e.g. `client.remote_as::<CalculatorProxy>()`.
    pub fn remote_as<P: FromProxy>(&self) -> P {
        P::from_proxy(self.remote())
    }

    /// The underlying channel.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// The service this connection serves to the peer, if any (Python's `RpcClient.service`
    /// is the task serving it). To change it while it is served, serve an `Arc<ServiceMap>` and
    /// keep a clone (see [`ServiceMap::add`](super::ServiceMap::add)).
    pub fn service(&self) -> Option<&Arc<dyn Service>> {
        self.root.as_ref().map(|root| &root.service)
    }

    /// A reference to our own service at `path` (`""` for the root), to pass to the peer so it
    /// can call us back. Fails if this connection serves no service.
    pub fn service_ref(&self, path: &str) -> Result<ServiceRef, Error> {
        self.root.as_ref().map(|root| root.reference(path)).ok_or_else(|| {
            Error::Value("this connection serves no RPC service; open it with a service to be called back".into())
        })
    }

    /// Registers `callback`, called once with the error when the peer closes or resets the
    /// connection (not when we close it ourselves). Replaces an earlier callback.
    pub fn on_connection_reset(&self, callback: impl Fn(&Error) + Send + Sync + 'static) {
        *self
            .reset
            .callback
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Box::new(callback));
    }

    /// Closes the connection and stops serving it. Calls being handled get a moment (2 s) to
    /// send their replies first; an exposed method that closes its own connection therefore
    /// waits that long for itself, and its reply is not sent.
    pub async fn close(&self) {
        self.reset.closing.store(true, Ordering::SeqCst);
        self.channel.close().await;
    }
}

impl fmt::Debug for RpcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RpcClient")
            .field("peer", &self.channel.peer())
            .finish()
    }
}

/// Serves `root` on a connection's requests until the connection ends. A server keeps the
/// connection open meanwhile (`keep_open`); a client's connection lives as long as its handles.
///
/// The calls belong to the connection: once it is gone (the peer hung up, it was closed, the
/// server closed), those still running are aborted, and nothing of them remains.
pub(crate) async fn serve(
    mut requests: Requests,
    root: Option<Arc<Root>>,
    reset: Arc<ResetWatch>,
    keep_open: Option<Channel>,
) {
    let mut calls = JoinSet::new();
    while let Some(request) = next_request(&mut requests, &mut calls).await {
        // Run the call inline until it first waits: replies of calls that complete at once
        // then leave together in one write. Calls that wait go on in their own task, so they
        // still run concurrently.
        let mut call = Box::pin(handle(root.clone(), request));
        let finished =
            std::future::poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx).is_ready())).await;
        if !finished {
            calls.spawn(call);
        }
    }
    // A closing connection gives running calls a moment to reply; then they are aborted.
    let ended = requests.ended();
    tokio::select! {
        () = async { while calls.join_next().await.is_some() {} } => {}
        () = ended.cancelled() => {}
    }
    calls.shutdown().await;
    drop(keep_open);
    let err = requests.failure();
    debug!(peer = %requests.peer(), "RPC connection ended: {err}");
    if !reset.closing.load(Ordering::SeqCst) {
        if let Some(callback) = reset
            .callback
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            callback(&err);
        }
    }
}

/// The next request, reaping the calls that finished meanwhile.
async fn next_request(requests: &mut Requests, calls: &mut JoinSet<()>) -> Option<Request> {
    loop {
        if calls.is_empty() {
            return requests.next().await;
        }
        tokio::select! {
            biased;
            request = requests.next() => return request,
            Some(_) = calls.join_next() => {}
        }
    }
}

async fn handle(root: Option<Arc<Root>>, mut request: Request) {
    let outcome = match (parse_call(request.take_content()), &root) {
        (Err(exc), _) => Err(exc),
        (Ok(_), None) => Err(Exception::lookup(
            "No RPC service is served on this side of the connection",
        )),
        (Ok((path, args)), Some(root)) => call(&*root.service, &path, args).await,
    };
    let sent = match outcome {
        Ok(value) => request.reply(value),
        Err(exc) => request.fail(exc.kind(), exc.message()),
    };
    if let Err(err) = sent {
        debug!("could not send a reply: {err}");
    }
}

/// Splits a request's content `[path, args, kwargs]`.
fn parse_call(content: Value) -> Result<(String, Args), Exception> {
    let malformed = || Exception::type_error("an RPC request must be [path, args, kwargs]");
    let Value::List(parts) = content else {
        return Err(malformed());
    };
    let Ok([path, args, kwargs]) = <[Value; 3]>::try_from(parts) else {
        return Err(malformed());
    };
    let (Value::Str(path), Value::List(args)) = (path, args) else {
        return Err(malformed());
    };
    let kwargs = match kwargs {
        Value::Map(entries) => entries
            .into_iter()
            .map(|(k, v)| match k {
                Value::Str(k) => Ok((k, v)),
                other => Err(Exception::type_error(format!(
                    "keywords must be strings, not {other}"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Value::Nil => Vec::new(),
        _ => return Err(malformed()),
    };
    let function = path.rsplit('/').next().unwrap_or_default().to_owned();
    Ok((path, Args::new(function, args, kwargs)))
}
