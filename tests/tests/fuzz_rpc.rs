//! Fuzz target for RPC dispatch (issue 8, item 10): random `[path, args, kwargs]` contents,
//! and contents of any other shape, sent over a plain channel to a served `#[aiomas::service]`
//! root with a [`ServiceMap`] child. Every request must get an answer (a result or an
//! exception), within a deadline, on a connection that stays up.

use std::collections::BTreeMap;
use std::time::Duration;

use aiomas::channel::{self, Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::rpc::{self, Args, ServiceMap};
use aiomas::{Error, Value};
use aiomas_tests::fuzz::{arbitrary_value, Fuzz, Rng};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Point {
    x: i64,
    y: f64,
}

struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
        a.wrapping_add(b)
    }

    #[expose]
    fn echo(&self, value: Value) -> Value {
        value
    }

    #[expose]
    fn wide(&self, a: i128, b: u128) -> (i128, u128) {
        (a, b)
    }

    #[expose]
    fn point(&self, p: Point, scale: Option<f64>) -> Point {
        let scale = scale.unwrap_or(1.0);
        Point {
            x: p.x,
            y: p.y * scale,
        }
    }

    #[expose]
    fn gather(
        &self,
        first: String,
        #[args] rest: Vec<Value>,
        #[kwargs] kw: BTreeMap<String, Value>,
    ) -> (String, usize, usize) {
        (first, rest.len(), kw.len())
    }

    #[expose]
    async fn later(&self, ms: u8) -> u8 {
        tokio::time::sleep(Duration::from_millis(u64::from(ms % 20))).await;
        ms
    }
}

fn root() -> ServiceMap {
    let tools = ServiceMap::new().function("len", |mut args: Args| async move {
        let items: Vec<Value> = args.required("items")?;
        args.finish()?;
        Ok::<_, aiomas::rpc::Exception>(items.len())
    });
    ServiceMap::new()
        .service("calc", Calculator)
        .service("tools", tools)
}

const PATHS: [&str; 14] = [
    "calc/add",
    "calc/echo",
    "calc/wide",
    "calc/point",
    "calc/gather",
    "calc/later",
    "tools/len",
    "calc",
    "",
    "calc/",
    "/calc/add",
    "calc/add/x",
    "nope/add",
    "calc/secret",
];

/// A request content: usually `[path, args, kwargs]` with a known or mangled path, sometimes
/// anything at all.
fn request(rng: &mut Rng) -> Value {
    if rng.one_in(10) {
        return arbitrary_value(rng, Codec::Json, 3);
    }
    let mut path = rng.pick(&PATHS).to_string();
    if rng.one_in(5) {
        let at = rng.below(path.len() + 1);
        path.insert(at, *rng.pick(&['/', 'a', '\u{0}', '✓', '.']));
    }
    let path = match rng.below(12) {
        0 => arbitrary_value(rng, Codec::Json, 0),
        1 => Value::from("x/".repeat(rng.below(5000))),
        _ => Value::from(path),
    };
    let args = match rng.below(8) {
        0 => arbitrary_value(rng, Codec::Json, 1),
        _ => Value::List(
            (0..rng.below(4))
                .map(|_| arbitrary_value(rng, Codec::Json, 2))
                .collect(),
        ),
    };
    let names = [
        "a", "b", "value", "p", "scale", "first", "ms", "items", "x", "y",
    ];
    let kwargs = match rng.below(8) {
        0 => arbitrary_value(rng, Codec::Json, 1),
        _ => Value::Map(
            (0..rng.below(4))
                .map(|_| {
                    let key = Value::from(*rng.pick(&names));
                    (key, arbitrary_value(rng, Codec::Json, 2))
                })
                .collect(),
        ),
    };
    let mut parts = vec![path, args, kwargs];
    if rng.one_in(15) {
        parts.truncate(rng.below(3));
    } else if rng.one_in(15) {
        parts.push(Value::Nil);
    }
    Value::List(parts)
}

#[test]
fn fuzz_rpc_dispatch() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let options = ChannelOptions::default();
    let (server, client) = runtime.block_on(async {
        let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), root(), options.clone())
            .await
            .unwrap();
        let client = channel::open_connection(server.addr(), options.clone())
            .await
            .unwrap();
        (server, client)
    });
    let report = Fuzz::new("rpc dispatch").generate(request, |content| {
        let reply = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), client.send(content.clone())).await
        });
        match reply {
            Ok(Ok(_) | Err(Error::Remote(_))) => {}
            Ok(Err(err)) => panic!("{content:.300}: the call failed with {err:?}"),
            Err(_) => panic!("{content:.300}: no answer within 10 s"),
        }
    });
    assert!(report.runs > 0);
    // The connection and the server are still fine.
    runtime.block_on(async {
        let sum = client
            .send(Value::List(vec![
                "calc/add".into(),
                Value::List(vec![2.into(), 3.into()]),
                Value::Map(vec![]),
            ]))
            .await;
        assert_eq!(sum.unwrap(), Value::from(5));
        client.close().await;
        server.close().await;
    });
}
