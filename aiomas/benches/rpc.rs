//! RPC calls per second over TCP on one connection: what the RPC layer costs over the raw
//! channel layer.
//!
//! One loopback TCP connection (127.0.0.1, port 0, default JSON codec) per variant, all served
//! and called on one multi-threaded tokio runtime with 2 workers. Every call is `add(1, 2)`:
//!
//! - `raw`: the channel layer alone. The client sends the request-shaped value
//!   `["add", [1, 2], {}]` with [`Channel::send`]; the server's connection task answers each
//!   request inline with `request.reply(Value::Int(3))`.
//! - `typed`: a `#[aiomas::service]` with `add(a, b)`, called through the generated
//!   `AdderProxy::add`.
//! - `dynamic`: the same service through [`Proxy::call`]`("add", vec![1.into(), 2.into()])`.
//!
//! Each in two modes:
//!
//! - `sequential`: one caller, one call at a time (latency-bound: one round trip per call);
//! - `100 in flight`: 100 tasks on the one connection, each calling in a loop, so about 100
//!   calls are always outstanding (throughput-bound).
//!
//! Callers run as runtime tasks (not on the bench thread), so client and server share the
//! same two workers. Throughput is reported in calls per second. Run with
//! `cargo bench -p aiomas --bench rpc` (about 30 seconds once built).
//!
//! # Latest figures
//!
//! 2026-11-23, 2 vCPUs, otherwise idle (load average about 1.5); criterion's estimates in calls
//! per second, two consecutive runs (single runs vary by up to 30%: compare within a run):
//!
//! | mode          | raw    | typed  | dynamic | typed/raw   | dynamic/raw |
//! |---------------|--------|--------|---------|-------------|-------------|
//! | sequential    | 59.3 k | 55.1 k | 55.7 k  | 0.93 (0.94) | 0.94 (0.97) |
//! | 100 in flight | 339 k  | 354 k  | 320 k   | 1.04 (0.68) | 0.95 (0.79) |
//!
//! In parentheses: the run before (59.8 k / 56.4 k / 57.9 k sequential, 429 k / 292 k / 337 k
//! in flight). History: the first version of the RPC server spawned a task per request and
//! reached only 40-58% of the raw rate with 100 calls in flight (one `sendto` per reply). Calls
//! that finish at once now reply inline, and a busy connection's writer yields once before
//! flushing, so concurrent replies share a write; a lone call skips the yield (it halved the
//! sequential rate).

use std::sync::Arc;
use std::time::{Duration, Instant};

use aiomas::Value;
use criterion::{BenchmarkId, Criterion, Throughput};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

#[path = "common/rpc_setup.rs"]
mod rpc_setup;
use rpc_setup::{connect, raw_request, Clients};

/// Concurrent callers in the `100 in flight` mode.
const IN_FLIGHT: u64 = 100;

/// The three ways to make the call.
#[derive(Clone, Copy)]
enum Variant {
    Raw,
    Typed,
    Dynamic,
}

impl Variant {
    const ALL: [Variant; 3] = [Variant::Raw, Variant::Typed, Variant::Dynamic];

    fn name(self) -> &'static str {
        match self {
            Variant::Raw => "raw",
            Variant::Typed => "typed",
            Variant::Dynamic => "dynamic",
        }
    }
}

/// Makes one `add(1, 2)` call.
async fn call(clients: &Clients, variant: Variant) {
    match variant {
        Variant::Raw => {
            let reply = clients.raw.send(raw_request()).await.expect("raw call");
            debug_assert_eq!(reply, Value::Int(3));
        }
        Variant::Typed => {
            let sum = clients.typed.add(1, 2).await.expect("typed call");
            debug_assert_eq!(sum, 3);
        }
        Variant::Dynamic => {
            let sum = clients
                .dynamic
                .call("add", vec![1.into(), 2.into()])
                .await
                .expect("dynamic call");
            debug_assert_eq!(sum, Value::Int(3));
        }
    }
}

/// Makes `calls` sequential calls in a runtime task; returns the time they took.
fn run_sequential(rt: &Runtime, clients: &Arc<Clients>, variant: Variant, calls: u64) -> Duration {
    let clients = clients.clone();
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            for _ in 0..calls {
                call(&clients, variant).await;
            }
            start.elapsed()
        })
        .await
        .expect("caller task")
    })
}

/// Runs [`IN_FLIGHT`] runtime tasks that each make `calls_each` sequential calls; returns the
/// time until all of them are done.
fn run_in_flight(
    rt: &Runtime,
    clients: &Arc<Clients>,
    variant: Variant,
    calls_each: u64,
) -> Duration {
    let clients = clients.clone();
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            let mut callers = JoinSet::new();
            for _ in 0..IN_FLIGHT {
                let clients = clients.clone();
                callers.spawn(async move {
                    for _ in 0..calls_each {
                        call(&clients, variant).await;
                    }
                });
            }
            while let Some(done) = callers.join_next().await {
                done.expect("caller task");
            }
            start.elapsed()
        })
        .await
        .expect("coordinator task")
    })
}

fn rpc_calls(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let clients = Arc::new(rt.block_on(connect()));

    let mut group = c.benchmark_group("RPC calls per second over TCP on one connection");

    group.throughput(Throughput::Elements(1));
    for variant in Variant::ALL {
        group.bench_function(BenchmarkId::new("sequential", variant.name()), |b| {
            b.iter_custom(|iters| run_sequential(&rt, &clients, variant, iters));
        });
    }

    // One iteration: every one of the IN_FLIGHT callers makes one call.
    group.throughput(Throughput::Elements(IN_FLIGHT));
    for variant in Variant::ALL {
        group.bench_function(BenchmarkId::new("100 in flight", variant.name()), |b| {
            b.iter_custom(|iters| run_in_flight(&rt, &clients, variant, iters));
        });
    }
    group.finish();

    rt.block_on(async move {
        clients.raw.close().await;
        clients.rpc_client.close().await;
        clients.raw_server.close().await;
        clients.rpc_server.close().await;
    });
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    rpc_calls(&mut criterion);
    criterion.final_summary();
}
