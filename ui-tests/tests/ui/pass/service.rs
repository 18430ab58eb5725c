//! Everything `#[aiomas::service]` accepts, called through the generated router.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use aiomas::rpc::{Args, FromProxy, Route, Service, Typed};
use aiomas::Value;

pub struct Addition;

#[aiomas::service]
impl Addition {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

pub struct Calculator {
    addition: Addition,
    total: AtomicI64,
}

#[aiomas::service]
impl Calculator {
    /// Adds two numbers; `b` defaults to 0.
    #[expose]
    fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
        a + b
    }

    #[expose(name = "div")]
    async fn divide(&self, a: f64, b: f64) -> Result<f64, String> {
        if b == 0.0 {
            Err("division by zero".to_owned())
        } else {
            Ok(a / b)
        }
    }

    #[expose]
    fn greet(&self, name: Option<String>) -> String {
        format!("Hello, {}!", name.as_deref().unwrap_or("world"))
    }

    /// `Python: def collect(self, first, *rest, verbose=False, **options)`
    #[expose]
    fn collect(
        &self,
        first: i64,
        #[args] rest: Vec<Value>,
        #[default(false)] verbose: bool,
        #[kwargs] options: BTreeMap<String, Value>,
    ) -> (i64, usize, bool, Vec<String>) {
        (first, rest.len(), verbose, options.into_keys().collect())
    }

    #[expose]
    async fn accumulate(&self, n: i64) {
        self.total.fetch_add(n, Ordering::SeqCst);
    }

    #[expose]
    fn total(&self) -> std::io::Result<i64> {
        Ok(self.total.load(Ordering::SeqCst))
    }

    #[expose]
    fn r#type(&self, r#in: String) -> String {
        r#in
    }

    #[expose]
    fn me(&self, other: Option<CalculatorProxy>) -> bool {
        other.is_none()
    }

    #[expose(child)]
    fn addition(&self) -> &Addition {
        &self.addition
    }

    #[expose(child, name = "plus")]
    fn other_addition(&self) -> &Addition {
        &self.addition
    }

    fn helper(&self) -> i64 {
        42
    }
}

/// A service that is a value itself: `Self` in signatures means `Point` in the proxy too.
#[derive(Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Point {
    x: f64,
    y: f64,
}

#[aiomas::service]
impl Point {
    #[expose]
    fn moved(&self, dx: f64, dy: f64) -> Self {
        Point {
            x: self.x + dx,
            y: self.y + dy,
        }
    }

    #[expose]
    fn distance(&self, #[default(Self::ORIGIN)] other: Self) -> f64 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }

    const ORIGIN: Point = Point { x: 0.0, y: 0.0 };
}

/// Exposed methods named like the items of `Service`, `FromProxy` and std traits.
pub struct Tricky;

#[aiomas::service]
impl Tricky {
    #[expose]
    fn route(&self) -> String {
        "inherent route".to_owned()
    }

    #[expose]
    fn class_name(&self) -> String {
        "inherent class_name".to_owned()
    }

    #[expose]
    fn module_path(&self) {}

    #[expose]
    fn proxy(&self) {}

    #[expose]
    #[allow(clippy::wrong_self_convention)]
    fn from_proxy(&self) {}

    #[expose]
    fn inner(&self) {}

    #[expose]
    fn clone(&self) {}

    #[expose]
    fn fmt(&self) {}
}

#[allow(dead_code)]
async fn tricky(proxy: TrickyProxy) -> Result<(), aiomas::Error> {
    let _: String = proxy.route().await?;
    let _: String = proxy.class_name().await?;
    proxy.module_path().await?;
    proxy.proxy().await?;
    proxy.from_proxy().await?;
    proxy.inner().await?;
    proxy.clone().await?;
    proxy.fmt().await?;
    let _: &aiomas::rpc::Proxy = FromProxy::proxy(&proxy);
    Ok(())
}

/// Resolves `path` as the server does and calls the method.
async fn call(
    root: &dyn Service,
    path: &str,
    args: Vec<Value>,
    kwargs: &[(&str, Value)],
) -> Result<Value, String> {
    let mut node = root;
    for name in path.split('/') {
        match node.route(name) {
            Route::Service(child) => node = child,
            Route::Method(handler) => {
                return handler(Args::new(name, args, owned(kwargs)))
                    .await
                    .and_then(|reply| reply.into_value())
                    .map_err(|e| e.to_string());
            }
            Route::Inline(handler) => {
                return handler(Args::new(name, args, owned(kwargs)))
                    .and_then(|reply| reply.into_value())
                    .map_err(|e| e.to_string());
            }
            Route::NotExposed => return Err(format!("{name} is not exposed")),
            Route::NotFound => return Err(format!("{name} not found")),
            _ => return Err(format!("{name}: unexpected route")),
        }
    }
    Err("no method".to_owned())
}

fn owned(kwargs: &[(&str, Value)]) -> Vec<(String, Value)> {
    kwargs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The typed proxies type-check against the exposed methods (no connection needed for that).
#[allow(dead_code)]
async fn through_proxies(calc: CalculatorProxy) -> Result<(), aiomas::Error> {
    let sum: i64 = calc.add(1, 2).await?;
    let quotient: f64 = calc.divide(1.0, 2.0).await?;
    let greeting: String = calc.greet(None).await?;
    let collected: (i64, usize, bool, Vec<String>) = calc
        .collect(1, vec![Value::from(2)], true, BTreeMap::new())
        .await?;
    calc.accumulate(3).await?;
    let total: i64 = calc.total().await?;
    let same: String = calc.r#type("x".to_owned()).await?;
    let itself: bool = calc.me(Some(calc.clone())).await?;
    let child: AdditionProxy = calc.addition();
    let renamed: AdditionProxy = calc.other_addition();
    let _: i64 = child.add(1, 2).await? + renamed.add(3, 4).await?;
    let _ = (sum, quotient, greeting, collected, total, same, itself);
    Ok(())
}

fn assert_proxy<
    P: FromProxy
        + Clone
        + std::fmt::Debug
        + std::fmt::Display
        + serde::Serialize
        + serde::de::DeserializeOwned,
>() {
}

fn main() {
    assert_proxy::<CalculatorProxy>();
    assert_proxy::<<Calculator as Typed>::Proxy>();

    let calc = Calculator {
        addition: Addition,
        total: AtomicI64::new(0),
    };
    assert_eq!(calc.class_name(), "Calculator");
    assert_eq!(calc.module_path(), module_path!());
    assert_eq!(calc.helper(), 42);

    let tricky = Tricky;
    assert_eq!(Service::class_name(&tricky), "Tricky");
    assert_eq!(tricky.class_name(), "inherent class_name");

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let t: &dyn Service = &tricky;
        assert_eq!(
            call(t, "route", vec![], &[]).await,
            Ok(Value::from("inherent route"))
        );
        assert_eq!(
            call(t, "class_name", vec![], &[]).await,
            Ok(Value::from("inherent class_name"))
        );
        let p: &dyn Service = &Point { x: 3.0, y: 4.0 };
        assert_eq!(call(p, "distance", vec![], &[]).await, Ok(Value::from(5.0)));

        let c: &dyn Service = &calc;
        let int = Value::from;
        assert_eq!(call(c, "add", vec![int(3), int(4)], &[]).await, Ok(int(7)));
        assert_eq!(call(c, "add", vec![int(3)], &[]).await, Ok(int(3)));
        assert_eq!(
            call(c, "add", vec![], &[("b", int(1)), ("a", int(2))]).await,
            Ok(int(3))
        );
        assert_eq!(
            call(c, "add", vec![], &[]).await,
            Err("TypeError: add() missing 1 required positional argument: 'a'".to_owned())
        );
        assert_eq!(
            call(c, "div", vec![Value::from(1.0), Value::from(4.0)], &[]).await,
            Ok(Value::from(0.25))
        );
        // An `Err` becomes an exception reply; its kind is the runtime's business.
        let err = call(c, "div", vec![Value::from(1.0), Value::from(0.0)], &[])
            .await
            .unwrap_err();
        assert!(err.ends_with(": division by zero"), "{err}");
        assert_eq!(
            call(c, "greet", vec![], &[]).await,
            Ok(Value::from("Hello, world!"))
        );
        assert_eq!(
            call(c, "greet", vec![Value::from("Rust")], &[]).await,
            Ok(Value::from("Hello, Rust!"))
        );
        let collected = call(
            c,
            "collect",
            vec![int(1), int(2), int(3)],
            &[
                ("verbose", Value::from(true)),
                ("color", Value::from("red")),
            ],
        )
        .await
        .unwrap();
        assert_eq!(collected.to_string(), r#"[1, 2, True, ["color"]]"#);
        assert_eq!(
            call(c, "accumulate", vec![int(5)], &[]).await,
            Ok(Value::Nil)
        );
        assert_eq!(call(c, "total", vec![], &[]).await, Ok(int(5)));
        assert_eq!(
            call(c, "type", vec![], &[("in", Value::from("raw"))]).await,
            Ok(Value::from("raw"))
        );
        assert_eq!(call(c, "me", vec![], &[]).await, Ok(Value::from(true)));
        assert_eq!(
            call(c, "addition/add", vec![int(1), int(2)], &[]).await,
            Ok(int(3))
        );
        assert_eq!(
            call(c, "plus/add", vec![int(1), int(2)], &[]).await,
            Ok(int(3))
        );
        assert_eq!(
            call(c, "helper", vec![], &[]).await,
            Err("helper is not exposed".to_owned())
        );
        assert_eq!(
            call(c, "divide", vec![], &[]).await,
            Err("divide is not exposed".to_owned())
        );
        assert_eq!(
            call(c, "spam", vec![], &[]).await,
            Err("spam not found".to_owned())
        );
    });
}
