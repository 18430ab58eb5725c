//! `#[aiomas::proxy]` declares the interface of a remote service without a Rust implementation.

use std::collections::BTreeMap;

use aiomas::rpc::{FromProxy, Proxy};
use aiomas::{Home, ServiceRef, Value};

/// The adder of a Python peer.
#[aiomas::proxy]
pub trait Adder {
    async fn add(&self, a: i64, b: i64) -> i64;
}

/// A Python calculator agent.
#[aiomas::proxy]
pub trait Calculator {
    /// Adds two numbers remotely.
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn reset(&self);
    async fn divide(&self, a: f64, b: f64) -> Result<f64, aiomas::Error>;
    async fn log(
        &self,
        level: Option<String>,
        #[args] items: Vec<Value>,
        sep: String,
        #[kwargs] extra: BTreeMap<String, Value>,
    );
    async fn r#match(&self, r#in: String) -> bool;
    fn adder(&self) -> AdderProxy;
    fn raw(&self) -> Proxy;
}

#[allow(dead_code)]
async fn call_all(calc: &CalculatorProxy) -> aiomas::Result<()> {
    let sum: i64 = calc.add(1, 2).await?;
    calc.reset().await?;
    let quotient: f64 = calc.divide(1.0, 2.0).await?;
    calc.log(None, vec![Value::from(1)], " ".to_owned(), BTreeMap::new())
        .await?;
    let matched: bool = calc.r#match("x".to_owned()).await?;
    let _: i64 = calc.adder().add(sum, 1).await?;
    let _ = (quotient, matched);
    Ok(())
}

fn main() {
    let root = Proxy::from_ref(ServiceRef {
        path: "agents/0".to_owned(),
        home: Home::Local(0),
    });
    let calc = CalculatorProxy::from_proxy(root);
    assert_eq!(calc.proxy().path(), "agents/0");
    assert_eq!(calc.adder().proxy().path(), "agents/0/adder");
    assert_eq!(calc.raw().path(), "agents/0/raw");
    let copy = calc.clone();
    assert_eq!(format!("{copy}"), format!("{}", calc.proxy()));
    assert_eq!(format!("{copy:?}"), format!("{:?}", calc.proxy()));
}
