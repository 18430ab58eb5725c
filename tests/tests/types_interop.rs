//! Data types and call rules against the real Python aiomas 2.0.1 (and real NumPy):
//! `tests/python/types_peer.py` checks, from a Python container,
//!
//! - bytes: Python `bytes` into `Vec<u8>`, `aiomas::Bytes` both ways as `bin`, and a plain
//!   `Vec<u8>` result arriving as a tuple of ints;
//! - NumPy arrays through the `#[derive(aiomas::ExtensionType)]` struct of
//!   `examples/shared/ndarray.rs`, registered with the docs' `get_np_serializer`;
//! - argument-binding errors, each compared with what Python says for the same call;
//! - a `ServiceMap` that gains and loses a child while it is served.

#[path = "../../examples/shared/ndarray.rs"]
mod ndarray;

use std::sync::{Arc, Weak};

use aiomas::agent::{AgentContext, Container};
use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, ServiceMap};
use aiomas::Bytes;
use aiomas_tests::{within, PythonPeer};

use ndarray::{array_options, ArrayAgent};

/// The bytes and binding checks' agent.
struct Types {
    #[allow(dead_code)] // agents keep their context; these methods need no container
    ctx: AgentContext,
}

#[aiomas::agent]
impl Types {
    #[expose]
    fn count(&self, data: Vec<u8>, byte: u8) -> usize {
        data.iter().filter(|b| **b == byte).count()
    }

    #[expose]
    fn echo(&self, data: Bytes) -> Bytes {
        data
    }

    #[expose]
    fn plain(&self, n: u8) -> Vec<u8> {
        (0..n).collect()
    }

    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    #[expose]
    fn greet(&self, who: String, #[default("!".to_owned())] punctuation: String) -> String {
        format!("Hello, {who}{punctuation}")
    }

    #[expose]
    fn tagged(&self, first: i64, #[args] rest: Vec<i64>, tag: String) -> String {
        format!("{tag}: {first} {rest:?}")
    }
}

/// A root map whose `plug()` / `unplug()` add and remove the child `extra` while served.
fn pluggable_root() -> Arc<ServiceMap> {
    Arc::new_cyclic(|root: &Weak<ServiceMap>| {
        let (for_plug, for_unplug) = (root.clone(), root.clone());
        ServiceMap::new()
            .function("plug", move |_args: Args| {
                let root = for_plug.upgrade();
                async move {
                    let extra = ServiceMap::new().function("add", |args: Args| async move {
                        let (a, b): (i64, i64) = args.into_positional()?;
                        Ok::<_, Exception>(a + b)
                    });
                    Ok::<_, Exception>(root.is_some_and(|root| !root.add("extra", extra)))
                }
            })
            .function("unplug", move |_args: Args| {
                let removed = for_unplug
                    .upgrade()
                    .is_some_and(|root| root.remove("extra"));
                async move { Ok::<_, Exception>(removed) }
            })
    })
}

#[tokio::test]
async fn python_sends_bytes_numpy_arrays_and_bad_arguments() {
    let container = Container::create(Addr::tcp("127.0.0.1", 0), array_options())
        .await
        .expect("start our container");
    let arrays = container.spawn(|_| ArrayAgent).expect("spawn");
    let types = container.spawn(|ctx| Types { ctx }).expect("spawn");
    let root = pluggable_root();
    let router = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        root.clone(),
        ChannelOptions::default(),
    )
    .await
    .expect("start the router");
    let router_addr = router.addr().to_string();
    PythonPeer::run_checks(
        "types_peer.py",
        &[
            "client",
            "--types",
            types.addr(),
            "--arrays",
            arrays.addr(),
            "--router",
            &router_addr,
        ],
    )
    .await;
    assert!(!root.contains("extra"), "unplug() removed the child");
    within(10.0, "closing the router", router.close()).await;
    within(10.0, "shutting the container down", container.shutdown()).await;
}
