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
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let map = ServiceMap::new();
    /// assert!(map.names().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a child service under `name` (chaining form of [`add`](Self::add)).
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let math = ServiceMap::new().function("neg", |args: Args| async move {
    ///     let (x,): (i64,) = args.into_positional()?;
    ///     Ok::<_, Exception>(-x)
    /// });
    /// let root = ServiceMap::new().service("math", math); // callers use the path "math/neg"
    /// assert!(root.contains("math"));
    /// ```
    pub fn service(self, name: impl Into<String>, service: impl IntoService) -> Self {
        self.add(name, service);
        self
    }

    /// Adds an exposed function under `name` (chaining form of
    /// [`add_function`](Self::add_function)).
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = ServiceMap::new().function("hello", |args: Args| async move {
    ///     let (name,): (String,) = args.into_positional()?;
    ///     Ok::<_, Exception>(format!("Hello, {name}!"))
    /// });
    /// assert_eq!(root.names(), ["hello"]);
    /// ```
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
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = ServiceMap::new();
    /// assert!(!root.add("child", ServiceMap::new()));
    /// assert!(root.add("child", ServiceMap::new())); // replaced
    /// ```
    pub fn add(&self, name: impl Into<String>, service: impl IntoService) -> bool {
        self.insert(name.into(), Entry::Service(service.into_service()))
    }

    /// Adds (or replaces) an exposed function under `name`, also while the map is served. It
    /// receives the call's [`Args`]; its result is sent back, its error becomes an exception
    /// reply. Returns `true` if it replaced an entry.
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = std::sync::Arc::new(ServiceMap::new());
    /// // Serve `root.clone()`, and add functions as the system grows:
    /// root.add_function("ping", |_: Args| async { Ok::<_, Exception>("pong") });
    /// assert!(root.contains("ping"));
    /// ```
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
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = ServiceMap::new().function("ping", |_: Args| async { Ok::<_, Exception>("pong") });
    /// assert!(root.remove("ping"));
    /// assert!(!root.remove("ping"));
    /// ```
    pub fn remove(&self, name: &str) -> bool {
        self.write().remove(name).is_some()
    }

    /// Whether there is an entry `name`.
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = ServiceMap::new().service("child", ServiceMap::new());
    /// assert!(root.contains("child") && !root.contains("other"));
    /// ```
    pub fn contains(&self, name: &str) -> bool {
        self.read().contains_key(name)
    }

    /// The names of all entries, sorted.
    ///
    /// ```
    /// # use aiomas::rpc::{self, Args, Exception, ServiceMap};
    /// let root = ServiceMap::new().service("b", ServiceMap::new()).service("a", ServiceMap::new());
    /// assert_eq!(root.names(), ["a", "b"]);
    /// ```
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
