//! What call counters and call spans cost: RPC calls per second over one loopback TCP
//! connection, printed as one line per workload, for comparing builds process by process.
//!
//! The same source builds against a tree without counters and spans (it uses no API of
//! theirs), so the cost of the change is the ratio of two builds' figures, taken in runs that
//! alternate between the builds (`base new base new ...`) and compared pairwise: the machine's
//! load drifts far more between minutes than between adjacent seconds.
//!
//! The base build: this tree with the counters and spans emptied out, i.e. in
//! `channel/stats.rs` the bodies of the `Counters` methods that count (`read`, `wrote`,
//! `call_sent`, `served`) and of `CallTrace`'s constructors and `returned`/`answered` reduced to
//! what they pass on (`CallTrace` a unit struct, `span()` returning `Span::none()`), and the
//! `.instrument(span)` of `rpc::client::serve` removed. Copy the bench binary
//! (`target/release/deps/overhead-*`) of each build aside and run them alternately.
//!
//! Workloads, each on one multi-threaded tokio runtime with 2 workers (as the `rpc` bench):
//! `raw-seq` (a channel request answered inline, one at a time), `typed-seq` (a
//! `#[aiomas::service]` `add(1, 2)` through its typed proxy, one at a time) and `typed-100`
//! (100 tasks calling `add` in a loop on the one connection).
//!
//! `--tracing none` (default) installs no subscriber; `--tracing info` installs one that wants
//! INFO and above (what an application that logs usually has: the DEBUG call spans are off);
//! `--tracing debug` one that wants everything, with no work per span (the spans' own cost).
//! `--seconds S` sets each workload's measuring time (default 1; a 0.3 s warm-up comes first);
//! `--only WORKLOAD` runs just that one. `--calls N` makes exactly N calls per workload instead, untimed, for counting instructions
//! (`valgrind --tool=cachegrind --cache-sim=no`): the difference between two such runs with
//! different N, divided by the difference in calls, is the instructions per call, which does
//! not depend on the machine's load.
//!
//! ```text
//! cargo bench -p aiomas --bench overhead -- --tracing info --seconds 1
//! raw-seq 52311
//! typed-seq 48805
//! typed-100 301244
//! ```
//!
//! # Latest figures
//!
//! 2026-12-02, instructions per call by cachegrind (`--calls 2000` vs `--calls 10000`, the
//! difference over 8000 calls), tracing compiled in with no subscriber, alternating rounds,
//! medians (rounds vary by about 1%: the two workers' parking differs). "Before" is the tree
//! before this change (sent calls wrapped in `stats::sent`, spans built out of line), measured
//! against its own base; "after" on main with per-connection call deadlines merged in:
//!
//! ```text
//! workload    before: base  new (overhead)    after: base  new (overhead)
//! raw-seq     24441  24872 (+1.8%)            24237  24234 (0.0%)
//! typed-seq   25800  26767 (+3.7%)            23372  23609 (+1.0%)
//! typed-100   20169  20990 (+4.1%)            16937  17082 (+0.9%)
//! ```
//!
//! Cut: the extra future layer around each sent call (counting and tracing now happen in the
//! call's one timeout layer), and on the disabled path every span call is one inlined check
//! of tracing's global level filter; the span, its fields, the clock and the outcome texts are
//! out of line, reached only when a subscriber wants `DEBUG`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// Shared with the `rpc` bench, which also calls through the dynamic proxy.
#[allow(dead_code)]
#[path = "common/rpc_setup.rs"]
mod rpc_setup;
use rpc_setup::{connect, raw_request};
use tokio::task::JoinSet;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Concurrent callers of `typed-100`.
const IN_FLIGHT: usize = 100;
const WARM_UP: Duration = Duration::from_millis(300);

/// A subscriber that wants spans and events up to `max` and does nothing with them.
struct Sink {
    max: Level,
    next_id: AtomicU64,
}

impl Subscriber for Sink {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(self.max.into())
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed))
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// How long each workload runs.
#[derive(Clone, Copy)]
enum Length {
    /// The warm-up, then this many seconds: the result is calls per second.
    Seconds(f64),
    /// Exactly this many calls, untimed (for counting instructions): the result is the count.
    Calls(u64),
}

/// Runs `call` in a loop from `callers` tasks for `length`.
async fn measure<F, Fut>(callers: usize, length: Length, call: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let seconds = match length {
        Length::Seconds(seconds) => seconds,
        Length::Calls(calls) => {
            let each = calls / callers as u64;
            let mut tasks = JoinSet::new();
            for _ in 0..callers {
                let call = call.clone();
                tasks.spawn(async move {
                    for _ in 0..each {
                        call().await;
                    }
                });
            }
            while tasks.join_next().await.is_some() {}
            return (each * callers as u64) as f64;
        }
    };
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let measured_from = start + WARM_UP;
    let until = measured_from + Duration::from_secs_f64(seconds);
    let mut tasks = JoinSet::new();
    for _ in 0..callers {
        let (call, done) = (call.clone(), done.clone());
        tasks.spawn(async move {
            loop {
                call().await;
                let now = Instant::now();
                if now >= until {
                    break;
                }
                if now >= measured_from {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    done.load(Ordering::Relaxed) as f64 / seconds
}

fn main() {
    let mut tracing_mode = "none".to_owned();
    let mut length = Length::Seconds(1.0);
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tracing" => tracing_mode = args.next().expect("--tracing none|info|debug"),
            "--seconds" => {
                length = Length::Seconds(
                    args.next()
                        .and_then(|s| s.parse().ok())
                        .expect("--seconds S"),
                )
            }
            "--only" => only = Some(args.next().expect("--only WORKLOAD")),
            "--calls" => {
                length = Length::Calls(args.next().and_then(|s| s.parse().ok()).expect("--calls N"))
            }
            // `cargo bench` passes `--bench`.
            _ => {}
        }
    }
    let max = match tracing_mode.as_str() {
        "none" => None,
        "info" => Some(Level::INFO),
        "debug" => Some(Level::TRACE),
        other => panic!("--tracing none|info|debug, not {other}"),
    };
    if let Some(max) = max {
        let sink = Sink {
            max,
            next_id: AtomicU64::new(1),
        };
        tracing::subscriber::set_global_default(sink).expect("one subscriber");
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let clients = connect().await;
        let (raw, typed) = (clients.raw.clone(), clients.typed.clone());
        let wanted = |name: &str| only.as_deref().is_none_or(|only| only == name);
        if wanted("raw-seq") {
            let rate = measure(1, length, move || {
                let raw = raw.clone();
                async move {
                    raw.send(raw_request()).await.expect("raw call");
                }
            })
            .await;
            println!("raw-seq {rate:.0}");
        }
        for (name, callers) in [("typed-seq", 1), ("typed-100", IN_FLIGHT)] {
            if !wanted(name) {
                continue;
            }
            let typed = typed.clone();
            let rate = measure(callers, length, move || {
                let typed = typed.clone();
                async move {
                    typed.add(1, 2).await.expect("typed call");
                }
            })
            .await;
            println!("{name} {rate:.0}");
        }
        clients.rpc_client.close().await;
        clients.raw_server.close().await;
        clients.rpc_server.close().await;
    });
}
