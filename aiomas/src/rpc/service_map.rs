//! A service whose names are chosen at run time: Python's `ServiceDict`.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Serialize;

use super::service::BoxFuture;
use super::{Args, Exception, IntoService, Proxy, Reply, Route, Service, Typed};

type Function = Arc<dyn Fn(Args) -> BoxFuture<'static, Result<Reply, Exception>> + Send + Sync>;

enum Entry {
    Service(Arc<dyn Service>),
    Function(Function),
}

/// A map of names to child services and functions, like Python's `ServiceDict`.
///
/// Build it with the chaining methods, or change it while it is served: share it
/// (`Arc<ServiceMap>` is a service too) and [`add`](Self::add) or [`remove`](Self::remove)
/// entries at any time, as Python's `Router.add` / `set_sub_router` and `ServiceDict` do.
/// A call resolves its path when it arrives; calls already running on a removed entry finish.
///
/// ```
/// use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
/// use aiomas::rpc::{Args, ServiceMap};
///
/// let math = ServiceMap::new().function("add", |args: Args| async move {
///     let (a, b): (i64, i64) = args.into_positional()?;
///     Ok::<_, aiomas::rpc::Exception>(a + b)
/// });
/// let root = Arc::new(ServiceMap::new());
/// // e.g. after `rpc::start_server(addr, root.clone(), options)`:
/// root.add("addition", math);
/// assert!(root.contains("addition"));
/// assert!(root.remove("addition"));
/// ```
#[derive(Default)]
pub struct ServiceMap {
    entries: RwLock<HashMap<String, Entry>>,
}

impl ServiceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a child service under `name` (chaining form of [`add`](Self::add)).
    pub fn service(self, name: impl Into<String>, service: impl IntoService) -> Self {
        self.add(name, service);
        self
    }

    /// Adds an exposed function under `name` (chaining form of
    /// [`add_function`](Self::add_function)).
    pub fn function<F, Fut, T, E>(self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display + 'static,
    {
        self.add_function(name, f);
        self
    }

    /// Adds (or replaces) the child service under `name`, also while the map is served:
    /// Python's `Router.set_sub_router(service.router, name)`. Returns `true` if it replaced
    /// an entry.
    pub fn add(&self, name: impl Into<String>, service: impl IntoService) -> bool {
        self.insert(name.into(), Entry::Service(service.into_service()))
    }

    /// Adds (or replaces) an exposed function under `name`, also while the map is served. It
    /// receives the call's [`Args`]; its result is sent back, its error becomes an exception
    /// reply. Returns `true` if it replaced an entry.
    pub fn add_function<F, Fut, T, E>(&self, name: impl Into<String>, f: F) -> bool
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display + 'static,
    {
        let function: Function = Arc::new(move |args| {
            let reply_to = args.reply_to();
            let call = f(args);
            Box::pin(async move { reply_to.reply_for(call.await) })
        });
        self.insert(name.into(), Entry::Function(function))
    }

    /// Removes the entry `name`; later calls to it fail with Python's "not found" error.
    /// Returns `false` if there was none.
    pub fn remove(&self, name: &str) -> bool {
        self.write().remove(name).is_some()
    }

    /// Whether there is an entry `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }

    /// The names of all entries, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().cloned().collect();
        names.sort();
        names
    }

    fn insert(&self, name: String, entry: Entry) -> bool {
        self.write().insert(name, entry).is_some()
    }

    // The lock is never held across an await or a user callback, so a poisoned lock only
    // means a panic in `HashMap` itself; the map is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.entries.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.entries.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Service for ServiceMap {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match self.read().get(name) {
            Some(Entry::Service(service)) => Route::Shared(service.clone()),
            Some(Entry::Function(function)) => {
                let function = function.clone();
                Route::Method(Box::new(move |args| function(args)))
            }
            None => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "ServiceDict"
    }

    fn module_path(&self) -> &'static str {
        "aiomas.rpc"
    }
}

impl Typed for ServiceMap {
    type Proxy = Proxy;
}

impl fmt::Debug for ServiceMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}
