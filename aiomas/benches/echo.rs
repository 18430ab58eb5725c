//! The shared echo workload (issue 12, item 6): the layers of aiomas-rs next to the anchors of
//! `../shared/bench/run.sh` (a hand-written tokio floor and tarpc), in one run.
//!
//! Every call echoes `{"id":1,"values":[1.0,2.5,3.25],"name":"agent"}` (default JSON codec)
//! between two endpoints in this process over TCP loopback, as the anchors do:
//!
//! - `channel`: the channel layer alone; the client sends `["echo", [payload], {}]` with
//!   [`Channel::send`], the server's connection task replies with the payload;
//! - `typed`: a `#[aiomas::agent]` with `echo(&self, msg: Msg) -> Msg` in one container, called
//!   from another through the generated `EchoProxy`;
//! - `dynamic`: the same agent through [`Proxy::call`]`("echo", ...)`;
//! - `local typed`: the same agent through `EchoProxy` from its own container (no socket).
//!
//! Each in two modes: `seq` (one call at a time: calls/s, p50, p99) and `concN` (N calls in
//! flight on one connection: N tasks each calling in a loop; calls/s), on a multi-thread
//! runtime (one worker per CPU, the client on the `block_on` thread, as `#[tokio::main]` does
//! in the anchors) and a current-thread one. Last, allocations (and reallocations) per
//! sequential call, client and server together, counted by a counting global allocator.
//!
//! Arguments as the anchors take them: `SEQ CONC INFLIGHT` (20000 100000 100); `ECHO_ONLY` may
//! name variants and flavours to run alone (`ECHO_ONLY="typed multi-thread"`, for `perf stat`).
//! Run alone with
//! `cargo bench -p aiomas --bench echo -- 20000 100000 100`, or interleaved with the anchors:
//!
//! ```text
//! cargo bench -p aiomas --bench echo --no-run   # prints the binary's path
//! bash ../shared/bench/run.sh -r 3 -- target/release/deps/echo-<hash> 20000 100000 100
//! ```

use std::alloc::System;
use std::future::Future;
use std::time::{Duration, Instant};

use aiomas::agent::Container;
use aiomas::channel::{self, Addr, Channel, ChannelOptions, Retry};
use aiomas::rpc::Proxy;
use aiomas::Value;
use serde::{Deserialize, Serialize};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Sequential calls over which allocations are counted.
const ALLOC_CALLS: usize = 2_000;

/// The echoed payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Msg {
    id: i64,
    values: Vec<f64>,
    name: String,
}

fn msg() -> Msg {
    Msg {
        id: 1,
        values: vec![1.0, 2.5, 3.25],
        name: "agent".to_owned(),
    }
}

/// The served agent.
struct Echo;

#[aiomas::agent]
impl Echo {
    #[expose]
    fn echo(&self, msg: Msg) -> Msg {
        msg
    }
}

#[derive(Clone, Copy)]
enum Variant {
    Channel,
    Typed,
    Dynamic,
    LocalTyped,
}

const VARIANTS: [Variant; 4] = [
    Variant::Channel,
    Variant::Typed,
    Variant::Dynamic,
    Variant::LocalTyped,
];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Channel => "channel",
            Variant::Typed => "typed",
            Variant::Dynamic => "dynamic",
            Variant::LocalTyped => "local-typed",
        }
    }
}

/// Both endpoints of every variant, connected once.
struct Setup {
    channel: Channel,
    typed: EchoProxy,
    dynamic: Proxy,
    local_typed: EchoProxy,
    payload: Value,
    channel_server: channel::Server,
    home: Container,
    away: Container,
}

async fn setup() -> Setup {
    let channel_server = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default(),
        |channel| async move {
            while let Ok(mut request) = channel.recv().await {
                let payload = match request.take_content() {
                    Value::List(mut parts) if parts.len() == 3 => match parts.swap_remove(1) {
                        Value::List(mut args) if !args.is_empty() => args.swap_remove(0),
                        _ => Value::Nil,
                    },
                    _ => Value::Nil,
                };
                let _ = request.reply(payload);
            }
        },
    )
    .await
    .expect("channel server starts");
    let channel = channel::open_connection(channel_server.addr(), ChannelOptions::default())
        .await
        .expect("channel client connects");

    let bind = || Container::bind("127.0.0.1:0");
    let (home, away) = tokio::try_join!(bind(), bind()).expect("containers");
    let agent = home.spawn(|_| Echo).expect("spawn");
    let typed: EchoProxy = away.connect_as(agent.addr(), Retry::Never).await.unwrap();
    let dynamic = away.connect(agent.addr(), Retry::Never).await.unwrap();
    let local_typed: EchoProxy = home.connect_as(agent.addr(), Retry::Never).await.unwrap();
    let setup = Setup {
        channel,
        typed,
        dynamic,
        local_typed,
        payload: aiomas::to_value(&msg()).expect("payload"),
        channel_server,
        home,
        away,
    };
    // Every variant really echoes.
    for variant in VARIANTS {
        call(&setup, variant).await;
    }
    setup
}

/// Makes one echo call and checks its answer.
async fn call(setup: &Setup, variant: Variant) {
    let echoed = match variant {
        Variant::Channel => {
            let request = Value::List(vec![
                Value::Str("echo".to_owned()),
                Value::List(vec![setup.payload.clone()]),
                Value::Map(Vec::new()),
            ]);
            setup.channel.send(request).await.expect("channel call")
        }
        Variant::Typed => {
            let echoed = setup.typed.echo(msg()).await.expect("typed call");
            assert_eq!(echoed.id, 1);
            return;
        }
        Variant::Dynamic => {
            let call = setup.dynamic.call("echo", vec![setup.payload.clone()]);
            call.await.expect("dynamic call")
        }
        Variant::LocalTyped => {
            let echoed = setup.local_typed.echo(msg()).await.expect("local call");
            assert_eq!(echoed.id, 1);
            return;
        }
    };
    assert_eq!(echoed, setup.payload);
}

/// Runs `work` as the client: on the `block_on` thread, as the anchors' `main` does.
fn client<F: Future>(rt: &Runtime, work: F) -> F::Output {
    rt.block_on(work)
}

/// `seq` calls one at a time: prints calls/s, p50 and p99.
fn sequential(rt: &Runtime, setup: &'static Setup, variant: Variant, flavour: &str, seq: usize) {
    client(rt, async move {
        let mut latencies = Vec::with_capacity(seq);
        let start = Instant::now();
        for _ in 0..seq {
            let one = Instant::now();
            call(setup, variant).await;
            latencies.push(one.elapsed());
        }
        let secs = start.elapsed().as_secs_f64();
        latencies.sort();
        let at = |q: usize| latencies[(seq * q / 100).min(seq - 1)].as_micros();
        println!(
            "aiomas-rs {} {flavour} seq calls={seq} s={secs:.3} rate={:.0}/s p50={}us p99={}us",
            variant.name(),
            seq as f64 / secs,
            at(50),
            at(99),
        );
    });
}

/// `conc` calls with `inflight` of them outstanding on one connection: prints calls/s.
fn concurrent(
    rt: &Runtime,
    setup: &'static Setup,
    variant: Variant,
    flavour: &str,
    conc: usize,
    inflight: usize,
) {
    client(rt, async move {
        let start = Instant::now();
        let mut callers = JoinSet::new();
        for caller in 0..inflight {
            // The calls split as evenly as they go.
            let calls = conc / inflight + usize::from(caller < conc % inflight);
            callers.spawn(async move {
                for _ in 0..calls {
                    call(setup, variant).await;
                }
            });
        }
        while let Some(done) = callers.join_next().await {
            done.expect("caller task");
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "aiomas-rs {} {flavour} conc{inflight} calls={conc} s={secs:.3} rate={:.0}/s",
            variant.name(),
            conc as f64 / secs,
        );
    });
}

/// Allocations and reallocations per sequential call, client and server together.
fn allocations(rt: &Runtime, setup: &'static Setup, variant: Variant) -> (f64, f64) {
    client(rt, async move {
        let region = Region::new(GLOBAL);
        for _ in 0..ALLOC_CALLS {
            call(setup, variant).await;
        }
        let change = region.change();
        let per_call = |n: usize| n as f64 / ALLOC_CALLS as f64;
        (per_call(change.allocations), per_call(change.reallocations))
    })
}

fn run(flavour: &str, rt: Runtime, seq: usize, conc: usize, inflight: usize, only: &[String]) {
    let setup: &'static Setup = Box::leak(Box::new(rt.block_on(setup())));
    let mut allocs = Vec::new();
    for variant in VARIANTS {
        if !only.is_empty() && !only.iter().any(|name| name == variant.name()) {
            continue;
        }
        sequential(&rt, setup, variant, flavour, seq);
        concurrent(&rt, setup, variant, flavour, conc, inflight);
        let (n, re) = allocations(&rt, setup, variant);
        allocs.push(format!("{}={n:.1}+{re:.1}", variant.name()));
    }
    println!(
        "aiomas-rs {flavour} allocs+reallocs/call {}",
        allocs.join(" ")
    );
    rt.block_on(async {
        setup.channel.close().await;
        setup.channel_server.close().await;
        setup.away.shutdown().await;
        setup.home.shutdown().await;
    });
    // Lets the connections' tasks finish before the runtime goes.
    rt.shutdown_timeout(Duration::from_secs(1));
}

fn main() {
    // `cargo bench` adds `--bench`; the numbers are the anchors' SEQ CONC INFLIGHT.
    let numbers: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.parse().expect("arguments: SEQ CONC INFLIGHT"))
        .collect();
    let arg = |i: usize, default: usize| numbers.get(i).copied().unwrap_or(default);
    let (seq, conc, inflight) = (arg(0, 20_000), arg(1, 100_000), arg(2, 100));
    // `ECHO_ONLY="typed current-thread"`: only those variants and flavours (for `perf stat`).
    let only: Vec<String> = std::env::var("ECHO_ONLY")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let (variants, flavours): (Vec<String>, Vec<String>) = only
        .into_iter()
        .partition(|name| !name.ends_with("-thread"));
    let wanted = |flavour: &str| flavours.is_empty() || flavours.iter().any(|f| f == flavour);
    if wanted("multi-thread") {
        let multi = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        run("multi-thread", multi, seq, conc, inflight, &variants);
    }
    if wanted("current-thread") {
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        run("current-thread", current, seq, conc, inflight, &variants);
    }
}
