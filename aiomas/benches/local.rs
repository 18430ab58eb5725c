//! Same-container calls against remote ones, in one run (issue 12, items 4 and 6).
//!
//! Two containers on 127.0.0.1 (default JSON codec); agent 0 of `home` is an `Adder`. Every call
//! is `add(1, 2)`, made sequentially (one caller, one call at a time) from a runtime task:
//!
//! - `direct`: the method called on the agent itself (`handle.agent().add(1, 2)`), the floor;
//! - `local typed`: the generated `AdderProxy` from `home.connect(own url)` (in-process);
//! - `local dynamic`: the same through `Proxy::call("add", ...)`;
//! - `remote typed`: `AdderProxy` from `away.connect(url)` over TCP.
//!
//! Rounds are interleaved (`ROUNDS`, each variant for `ROUND_TIME`), medians printed, on a
//! current-thread and a 2-worker multi-thread runtime. Allocations per call are counted with a
//! counting global allocator (process-wide: the server side of a remote call is included).
//!
//! Run with `cargo bench -p aiomas --bench local`.

use std::alloc::System;
use std::time::{Duration, Instant};

use aiomas::agent::{AgentHandle, Container};
use aiomas::channel::Retry;
use aiomas::rpc::Proxy;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::runtime::Runtime;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ROUNDS: usize = 3;
const ROUND_TIME: Duration = Duration::from_millis(700);
const ALLOC_CALLS: u64 = 10_000;

struct Adder;

#[aiomas::agent]
impl Adder {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Variant {
    Direct,
    LocalTyped,
    LocalDynamic,
    RemoteTyped,
}

const VARIANTS: [Variant; 4] = [
    Variant::Direct,
    Variant::LocalTyped,
    Variant::LocalDynamic,
    Variant::RemoteTyped,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Direct => "direct method call",
            Variant::LocalTyped => "same-container typed",
            Variant::LocalDynamic => "same-container dynamic",
            Variant::RemoteTyped => "remote typed (TCP)",
        }
    }
}

struct Setup {
    home: Container,
    away: Container,
    agent: AgentHandle<Adder>,
    local_typed: AdderProxy,
    local_dynamic: Proxy,
    remote_typed: AdderProxy,
}

async fn setup() -> Setup {
    let home = Container::bind("127.0.0.1:0")
        .await
        .expect("home container");
    let away = Container::bind("127.0.0.1:0")
        .await
        .expect("away container");
    let agent = home.spawn(|_| Adder).expect("spawn");
    let local_typed: AdderProxy = home.connect_as(agent.addr(), Retry::Never).await.unwrap();
    let local_dynamic = home.connect(agent.addr(), Retry::Never).await.unwrap();
    let remote_typed: AdderProxy = away.connect_as(agent.addr(), Retry::Never).await.unwrap();
    assert!(local_dynamic.is_local());
    assert_eq!(local_typed.add(1, 2).await.unwrap(), 3);
    assert_eq!(remote_typed.add(1, 2).await.unwrap(), 3);
    Setup {
        home,
        away,
        agent,
        local_typed,
        local_dynamic,
        remote_typed,
    }
}

async fn call(setup: &Setup, variant: Variant) {
    let sum = match variant {
        Variant::Direct => std::hint::black_box(setup.agent.agent()).add(1, 2),
        Variant::LocalTyped => setup.local_typed.add(1, 2).await.expect("local call"),
        Variant::LocalDynamic => {
            let sum = setup.local_dynamic.call("add", vec![1.into(), 2.into()]);
            sum.await.expect("local call").as_i64().unwrap_or_default()
        }
        Variant::RemoteTyped => setup.remote_typed.add(1, 2).await.expect("remote call"),
    };
    assert_eq!(std::hint::black_box(sum), 3);
}

/// Sequential calls for `ROUND_TIME` in a runtime task: calls per second.
fn rate(rt: &Runtime, setup: &'static Setup, variant: Variant) -> f64 {
    rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            let mut calls = 0u64;
            while start.elapsed() < ROUND_TIME {
                for _ in 0..100 {
                    call(setup, variant).await;
                }
                calls += 100;
            }
            calls as f64 / start.elapsed().as_secs_f64()
        })
        .await
        .expect("caller task")
    })
}

/// Allocations per call, counted over `ALLOC_CALLS` sequential calls.
fn allocations(rt: &Runtime, setup: &'static Setup, variant: Variant) -> f64 {
    rt.block_on(async move {
        tokio::spawn(async move {
            let region = Region::new(GLOBAL);
            for _ in 0..ALLOC_CALLS {
                call(setup, variant).await;
            }
            region.change().allocations as f64 / ALLOC_CALLS as f64
        })
        .await
        .expect("caller task")
    })
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn run(flavour: &str, rt: Runtime) {
    let setup: &'static Setup = Box::leak(Box::new(rt.block_on(setup())));
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..ROUNDS {
        for (i, variant) in VARIANTS.into_iter().enumerate() {
            rates[i].push(rate(&rt, setup, variant));
        }
    }
    let remote = median(rates[3].clone());
    println!("\n{flavour}: sequential add(1, 2), median of {ROUNDS} interleaved rounds");
    println!(
        "{:<24} {:>14} {:>10} {:>13}",
        "path", "calls/s", "vs remote", "allocs/call"
    );
    for (i, variant) in VARIANTS.into_iter().enumerate() {
        let calls = median(rates[i].clone());
        let allocs = allocations(&rt, setup, variant);
        println!(
            "{:<24} {:>14.0} {:>9.2}x {:>13.1}",
            variant.name(),
            calls,
            calls / remote,
            allocs
        );
    }
    rt.block_on(async {
        setup.away.shutdown().await;
        setup.home.shutdown().await;
    });
}

fn main() {
    run(
        "current-thread",
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
    );
    run(
        "multi-thread (2 workers)",
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
    );
}
