//! A service whose names are chosen at run time: Python's `ServiceDict`.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use super::service::BoxFuture;
use super::{Args, Exception, Proxy, Route, Service, Typed};
use crate::Value;

type Function = Arc<dyn Fn(Args) -> BoxFuture<'static, Result<Value, Exception>> + Send + Sync>;

enum Entry {
    Service(Arc<dyn Service>),
    Function(Function),
}

/// A map of names to child services and functions, like Python's `ServiceDict`.
///
/// ```
/// use aiomas::rpc::{Args, ServiceMap};
///
/// let math = ServiceMap::new().function("add", |args: Args| async move {
///     let (a, b): (i64, i64) = args.into_positional()?;
///     Ok::<_, aiomas::rpc::Exception>(a + b)
/// });
/// let root = ServiceMap::new().service("addition", math);
/// # let _ = root;
/// ```
#[derive(Default)]
pub struct ServiceMap {
    entries: HashMap<String, Entry>,
}

impl ServiceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a child service under `name`.
    pub fn service(mut self, name: impl Into<String>, service: impl Service) -> Self {
        self.entries
            .insert(name.into(), Entry::Service(Arc::new(service)));
        self
    }

    /// Adds a shared child service under `name`.
    pub fn shared_service(mut self, name: impl Into<String>, service: Arc<dyn Service>) -> Self {
        self.entries.insert(name.into(), Entry::Service(service));
        self
    }

    /// Adds an exposed function under `name`. It receives the call's [`Args`]; its result is
    /// sent back, its error becomes an exception reply.
    pub fn function<F, Fut, T, E>(mut self, name: impl Into<String>, f: F) -> Self
    where
        F: Fn(Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: Serialize,
        E: fmt::Display + 'static,
    {
        let function: Function = Arc::new(move |args| {
            let call = f(args);
            Box::pin(async move { Exception::reply_for(call.await) })
        });
        self.entries.insert(name.into(), Entry::Function(function));
        self
    }
}

impl Service for ServiceMap {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match self.entries.get(name) {
            Some(Entry::Service(service)) => Route::Service(&**service),
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
        f.debug_set().entries(self.entries.keys()).finish()
    }
}
