//! The agents that the interop examples serve (`interop_peer` and the `container` CLI):
//! [`Echo`], an agent with one exposed method per feature of the agent layer, and [`Counter`],
//! an agent built from spawn arguments.
//!
//! Both binaries include this file with `#[path = "shared/echo.rs"] mod echo;`.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use aiomas::agent::AgentContext;
use aiomas::rpc::{Exception, Proxy};
use aiomas::{Date, Error, ServiceRef, Value};
use tokio::sync::Notify;

/// Signalled when an agent's `stop()` was called: the binary shuts its container down.
pub fn stop_requested() -> &'static Notify {
    static STOP: OnceLock<Notify> = OnceLock::new();
    STOP.get_or_init(Notify::new)
}

/// An agent with one exposed method per feature of the agent layer, for interop tests.
pub struct Echo {
    ctx: AgentContext,
    count: AtomicI64,
    sleeping: AtomicUsize,
}

impl Echo {
    /// The agent's context (id, address, container).
    pub fn ctx(&self) -> &AgentContext {
        &self.ctx
    }
}

#[aiomas::agent]
impl Echo {
    /// A new agent in its context: `spawn('echo:Echo')` (no arguments).
    #[spawn]
    pub fn new(ctx: AgentContext) -> Self {
        Echo {
            ctx,
            count: AtomicI64::new(0),
            sleeping: AtomicUsize::new(0),
        }
    }

    /// Returns `value` unchanged.
    #[expose]
    fn echo(&self, value: Value) -> Value {
        value
    }

    /// `a + b` as Python computes it for numbers, strings and lists: ints stay ints.
    #[expose]
    fn add(&self, a: Value, #[default(Value::Int(0))] b: Value) -> Result<Value, Exception> {
        add(a, b)
    }

    /// Fails with `ValueError: <message>`.
    #[expose]
    fn fail(&self, message: String) -> Result<(), Exception> {
        Err(Exception::new("ValueError", message))
    }

    /// Sleeps `dt` seconds of the container's clock and returns `dt`.
    #[expose]
    async fn sleep(&self, dt: Value) -> Result<Value, Error> {
        let secs = dt
            .as_f64()
            .ok_or_else(|| Error::Value(format!("dt must be a number, not {}", dt.type_name())))?;
        // The clock registers the deadline here, when the sleep is made.
        let sleep = self.ctx.clock().sleep(secs);
        self.sleeping.fetch_add(1, Ordering::SeqCst);
        let _done = Decrement(&self.sleeping);
        sleep.await?;
        Ok(dt)
    }

    /// How many `sleep()` calls are registered with the clock and not over yet: a driver of an
    /// external clock waits for its sleepers to be registered before it moves the time.
    #[expose]
    fn sleeping(&self) -> usize {
        self.sleeping.load(Ordering::SeqCst)
    }

    /// The container clock's time.
    #[expose]
    fn time(&self) -> f64 {
        self.ctx.clock().time()
    }

    /// The container clock's date (an `arrow.Arrow` in Python).
    #[expose]
    fn utcnow(&self) -> Date {
        Date::from(self.ctx.clock().utcnow())
    }

    /// Sets the container's external clock to `t` (an error for a real-time clock).
    #[expose]
    fn set_time(&self, t: f64) -> Result<(), Error> {
        self.ctx.clock().set_time(t)
    }

    /// Calls `method(*args)` on a service reference that the caller passed.
    #[expose]
    async fn call(&self, proxy: Proxy, method: String, args: Vec<Value>) -> Result<Value, Error> {
        proxy.call(&method, args).await
    }

    /// Connects to the agent at `url` (from this agent's container) and calls `method(*args)`.
    #[expose]
    async fn call_url(
        &self,
        url: String,
        method: String,
        args: Vec<Value>,
    ) -> Result<Value, Error> {
        let agent = self.ctx.connect(&url).await?;
        agent.call(&method, args).await
    }

    /// This agent as a service reference: the caller gets a proxy to it.
    #[expose]
    fn myself(&self) -> ServiceRef {
        self.ctx.me()
    }

    /// Increments this agent's counter and returns it (1, 2, ...).
    #[expose]
    fn count(&self) -> i64 {
        self.count.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Makes the process shut its container down and exit (after this call has replied).
    #[expose]
    fn stop(&self) {
        // The container lets this call send its reply before it closes the connection.
        stop_requested().notify_one();
    }
}

/// Decrements the counter when dropped (a sleep that ended, failed or was cancelled).
struct Decrement<'a>(&'a AtomicUsize);

impl Drop for Decrement<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Python's `a + b` for ints (kept exact), floats, strings and lists.
fn add(a: Value, b: Value) -> Result<Value, Exception> {
    fn int(v: &Value) -> Option<i128> {
        match *v {
            Value::Int(i) => Some(i.into()),
            Value::UInt(u) => Some(u.into()),
            Value::Bool(b) => Some(b.into()),
            _ => None,
        }
    }
    if let (Some(x), Some(y)) = (int(&a), int(&b)) {
        let sum = x + y;
        return i64::try_from(sum)
            .map(Value::Int)
            .or_else(|_| u64::try_from(sum).map(Value::UInt))
            .map_err(|_| Exception::type_error(format!("{sum} does not fit into 64 bits")));
    }
    let float = |v: &Value| match *v {
        Value::Float(f) => Some(f),
        _ => int(v).map(|i| i as f64),
    };
    if let (Some(x), Some(y)) = (float(&a), float(&b)) {
        return Ok(Value::Float(x + y));
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(Value::Str(x + &y)),
        (Value::List(mut x), Value::List(y)) => {
            x.extend(y);
            Ok(Value::List(x))
        }
        (a, b) => Err(Exception::type_error(format!(
            "unsupported operand type(s) for +: '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// Counts from `start` in steps of `step`: `spawn('echo:Counter', 10, step=5)`.
pub struct Counter {
    next: Mutex<i64>,
    step: i64,
    addr: String,
}

#[aiomas::agent]
impl Counter {
    /// Python's `Counter(container, start=0, step=1)`.
    #[spawn]
    fn new(ctx: AgentContext, #[default(0)] start: i64, #[default(1)] step: i64) -> Self {
        Counter {
            next: Mutex::new(start),
            step,
            addr: ctx.addr().to_owned(),
        }
    }

    /// Returns the current value and moves on by `step`.
    #[expose]
    fn next(&self) -> i64 {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let value = *next;
        *next += self.step;
        value
    }

    /// The agent's address.
    #[expose]
    fn addr(&self) -> String {
        self.addr.clone()
    }
}
