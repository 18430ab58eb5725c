//! The main demo of the README: two containers on TCP in one process, many agents each, every
//! agent calling its partner agent in the other container, all at once.
//!
//! Agent `i` of container A calls `ping()` of agent `i` of container B `--calls-per-agent`
//! times in a row, and vice versa; the agents run concurrently. All agents of a container
//! share its one connection to the other container (as Python containers do). At the end the demo
//! checks that every call arrived and prints the throughput, e.g.
//!
//! ```text
//! agents: 2000  calls: 1000000  seconds: 1.19  calls/s: 840293
//! container A: calls sent: 501000  calls served: 501000  errors: 0  bytes in: ...  bytes out: ...  in flight: 0  connections open: 2
//! container B: calls sent: 501000  calls served: 501000  errors: 0  bytes in: ...  bytes out: ...  in flight: 0  connections open: 2
//! ```
//!
//! The two last lines are the containers' counters ([`Container::stats`]): each agent's calls
//! plus the `validate_aid` call of its `connect`, over the connection each container opened
//! to the other and the one it accepted from it.
//!
//! While it runs, it reports progress on stderr every second (`progress: 412000/1000000 calls
//! (41%) after 1.0 s`), so stdout keeps the summary lines; `--quiet` turns that off.
//!
//! Options: `--agents N` (agents per container, default 1000), `--calls-per-agent N`
//! (default 500) and `--quiet`. Run it in release mode: `cargo run --release --example demo`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiomas::agent::{AgentContext, AgentHandle, Container, ContainerOptions};
use aiomas::channel::Addr;
use aiomas::Error;
use tokio::task::JoinSet;

/// Agents per container, unless `--agents` says otherwise.
const DEFAULT_AGENTS: u64 = 1000;
/// Calls each agent makes, unless `--calls-per-agent` says otherwise.
const DEFAULT_CALLS_PER_AGENT: u64 = 500;

/// How often a run reports its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// An agent that answers pings and pings its partner in the other container.
struct Pinger {
    ctx: AgentContext,
    /// How many pings this agent answered.
    answered: AtomicU64,
}

#[aiomas::agent]
impl Pinger {
    /// Answers ping `n` with `n + 1`.
    #[expose]
    fn ping(&self, n: u64) -> u64 {
        self.answered.fetch_add(1, Ordering::Relaxed);
        n + 1
    }

    /// Pings the agent at `partner` `calls` times, one call after the other.
    async fn run(&self, partner: String, calls: u64) -> aiomas::Result<()> {
        let partner: PingerProxy = self.ctx.connect_as(&partner).await?;
        for n in 0..calls {
            let reply = partner.ping(n).await?;
            if reply != n + 1 {
                return Err(Error::Value(format!(
                    "{partner} answered ping {n} with {reply}"
                )));
            }
        }
        Ok(())
    }
}

/// The command line: `--agents N --calls-per-agent N --quiet`.
struct Args {
    agents: u64,
    calls_per_agent: u64,
    quiet: bool,
}

impl Args {
    fn parse() -> aiomas::Result<Args> {
        let mut args = Args {
            agents: DEFAULT_AGENTS,
            calls_per_agent: DEFAULT_CALLS_PER_AGENT,
            quiet: false,
        };
        let mut argv = std::env::args().skip(1);
        while let Some(flag) = argv.next() {
            let target = match flag.as_str() {
                "--agents" => &mut args.agents,
                "--calls-per-agent" => &mut args.calls_per_agent,
                "--quiet" => {
                    args.quiet = true;
                    continue;
                }
                _ => {
                    return Err(Error::Value(format!(
                        "unknown argument {flag:?}; usage: demo [--agents N] [--calls-per-agent N] [--quiet]"
                    )))
                }
            };
            let value = argv.next().unwrap_or_default();
            *target = value
                .parse()
                .map_err(|_| Error::Value(format!("{flag} needs a number, not {value:?}")))?;
        }
        Ok(args)
    }
}

#[tokio::main]
async fn main() -> aiomas::Result<()> {
    let args = Args::parse()?;
    let addr = Addr::tcp("127.0.0.1", 0); // port 0: a free port
    let a = Container::create(addr.clone(), ContainerOptions::default()).await?;
    let b = Container::create(addr, ContainerOptions::default()).await?;
    let spawn = |container: &Container| {
        (0..args.agents)
            .map(|_| {
                container.spawn(|ctx| Pinger {
                    ctx,
                    answered: AtomicU64::new(0),
                })
            })
            .collect::<Result<Vec<AgentHandle<Pinger>>, _>>()
    };
    let agents_a = spawn(&a)?;
    let agents_b = spawn(&b)?;

    let all: Arc<[AgentHandle<Pinger>]> = agents_a.iter().chain(&agents_b).cloned().collect();
    let calls = all.len() as u64 * args.calls_per_agent;

    let start = Instant::now();
    let progress = (!args.quiet).then(|| tokio::spawn(report_progress(all.clone(), calls, start)));
    let mut tasks = JoinSet::new();
    for (x, y) in agents_a.iter().zip(&agents_b) {
        for (agent, partner) in [(x, y), (y, x)] {
            let agent = agent.clone();
            let partner = partner.addr().to_owned();
            tasks.spawn(async move { agent.run(partner, args.calls_per_agent).await });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))?;
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(progress) = progress {
        progress.abort();
    }

    let agents = all.len();
    let answered = answered(&all);
    if answered != calls {
        return Err(Error::Value(format!(
            "{calls} calls made, but {answered} answered"
        )));
    }
    println!(
        "agents: {agents}  calls: {calls}  seconds: {seconds:.2}  calls/s: {:.0}",
        calls as f64 / seconds
    );
    // What each container's connections counted (both ways over both connections).
    for (name, container) in [("A", &a), ("B", &b)] {
        println!("container {name}: {}", container.stats());
    }

    a.shutdown().await;
    b.shutdown().await;
    Ok(())
}

/// How many pings the agents have answered so far.
fn answered(agents: &[AgentHandle<Pinger>]) -> u64 {
    agents
        .iter()
        .map(|agent| agent.answered.load(Ordering::Relaxed))
        .sum()
}

/// Prints a progress line on stderr every [`PROGRESS_EVERY`] until aborted (a run shorter
/// than that prints none). Reading the counters costs one relaxed load per agent per line.
async fn report_progress(agents: Arc<[AgentHandle<Pinger>]>, calls: u64, start: Instant) {
    let first = tokio::time::Instant::now() + PROGRESS_EVERY;
    let mut ticks = tokio::time::interval_at(first, PROGRESS_EVERY);
    loop {
        ticks.tick().await;
        let done = answered(&agents);
        eprintln!(
            "progress: {done}/{calls} calls ({:.0}%) after {:.1} s",
            100.0 * done as f64 / calls.max(1) as f64,
            start.elapsed().as_secs_f64()
        );
    }
}
