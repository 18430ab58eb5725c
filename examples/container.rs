//! The container CLI of the aiomas docs (the module docstring of `aiomas.subproc`), in Rust:
//! a container whose agent 0 is a manager that a master process (e.g. a Python aiomas program
//! that starts this binary as a child process) uses to spawn agents, set the time and stop it.
//!
//! ```text
//! container --start-date ISO8601 [--log-level debug|info|warning|error|critical]
//!           [--codec json|msgpack|msgpack-blosc] HOST:PORT
//! ```
//!
//! As in the Python example, the container has an `ExternalClock(start_date, init_time=-1)`;
//! the codec is JSON unless `--codec` says otherwise (the Python example uses MsgPackBlosc).
//! Agent types are looked up by name in a registry filled at compile time: `echo:Echo` and
//! `echo:Counter` (see `shared/echo.rs`). Once the manager listens, the process prints
//! `READY <manager address>` (port 0 picks a free port; the address has the real one). It runs
//! until the manager's `stop()` (or an `Echo` agent's `stop()`) is called or it gets SIGTERM
//! or SIGINT, and then exits 0. Bad arguments: exit status 2. Logs go to stderr.

// Shared by `interop_peer` and `container`; each binary uses a part of them.
#[allow(dead_code)]
#[path = "shared/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "shared/echo.rs"]
mod echo;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use aiomas::agent::{run_manager, AgentType, ContainerOptions};
use aiomas::channel::Addr;
use aiomas::codec::Codec;
use aiomas::ExternalClock;
use chrono::{DateTime, Utc};
use tracing_subscriber::filter::LevelFilter;

use cli::{Arg, ArgStream, Parsed, UsageError};
use echo::{Counter, Echo};

/// The agent types a master can spawn, by name (`spawn('echo:Echo')`).
static REGISTRY: &[AgentType] = &[
    AgentType::of::<Echo>("echo:Echo"),
    AgentType::of::<Counter>("echo:Counter"),
];

const PROGRAM: &str = "container";

const USAGE: &str = "usage: container --start-date ISO8601 \
                     [--log-level debug|info|warning|error|critical] \
                     [--codec json|msgpack|msgpack-blosc] HOST:PORT";

const HELP: &str = "\
Runs a container with a manager agent (agent 0) that a master process uses to spawn agents
(echo:Echo, echo:Counter), set the container's external clock and stop it.

arguments:
  HOST:PORT                   the address to bind to (port 0 picks a free port; a path
                              containing '/' binds a Unix socket)

options:
  --start-date ISO8601        start date of the agents' clock, required
                              (e.g. 2010-03-27T00:00:00+01:00)
  -l, --log-level LEVEL       debug, info (default), warning, error or critical
  --codec CODEC               json (default), msgpack or msgpack-blosc
  -h, --help                  show this help and exit

Prints `READY <manager address>` once the manager listens.";

/// The parsed command line.
struct Options {
    addr: Addr,
    start: DateTime<Utc>,
    log_level: LevelFilter,
    codec: Codec,
}

fn parse_level(text: &str) -> Result<LevelFilter, UsageError> {
    match text.to_ascii_lowercase().as_str() {
        "debug" => Ok(LevelFilter::DEBUG),
        "info" => Ok(LevelFilter::INFO),
        "warning" => Ok(LevelFilter::WARN),
        // tracing has no level above error.
        "error" | "critical" => Ok(LevelFilter::ERROR),
        _ => Err(UsageError(format!(
            "invalid log level {text:?} (choose from debug, info, warning, error, critical)"
        ))),
    }
}

fn parse(mut args: ArgStream) -> Result<Parsed<Options>, UsageError> {
    let mut addr = None;
    let mut start = None;
    let mut log_level = LevelFilter::INFO;
    let mut codec = Codec::Json;
    while let Some(arg) = args.next_arg() {
        match arg {
            Arg::Option(name) => match name.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "--start-date" => start = Some(cli::parse_date(&args.value(&name)?)?),
                "-l" | "--log-level" => log_level = parse_level(&args.value(&name)?)?,
                "--codec" => codec = cli::parse_codec(&args.value(&name)?)?,
                other => return Err(UsageError(format!("unknown option {other}"))),
            },
            Arg::Positional(text) if addr.is_none() => addr = Some(cli::parse_addr(&text)?),
            Arg::Positional(text) => {
                return Err(UsageError(format!("unexpected argument {text:?}")))
            }
        }
    }
    Ok(Parsed::Run(Options {
        addr: addr.ok_or_else(|| UsageError("the argument HOST:PORT is required".into()))?,
        start: start.ok_or_else(|| UsageError("the option --start-date is required".into()))?,
        log_level,
        codec,
    }))
}

async fn run(options: Options) -> aiomas::Result<()> {
    // Python: ExternalClock(start_date, init_time=-1).
    let clock = ExternalClock::new(options.start, -1.0);
    let container_options = ContainerOptions::default()
        .codec(options.codec)
        .shared_clock(Arc::new(clock));
    let socket_file = match &options.addr {
        Addr::Unix(path) => Some(path.clone()),
        _ => None,
    };
    let manager = run_manager(options.addr, container_options, REGISTRY, |manager_addr| {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "READY {manager_addr}");
        let _ = stdout.flush();
    });
    // An Echo agent's stop() stops the process, too (the manager's stop() is the usual way).
    let result = tokio::select! {
        result = manager => result,
        () = echo::stop_requested().notified() => {
            tracing::info!("stop() of an Echo agent received");
            Ok(())
        }
    };
    if let Some(path) = socket_file {
        let _ = std::fs::remove_file(path);
    }
    result
}

fn main() -> ExitCode {
    let options = match cli::options_or_exit(PROGRAM, USAGE, HELP, parse) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    tracing_subscriber::fmt()
        .with_max_level(options.log_level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true)
        .init();
    cli::run(PROGRAM, run(options))
}
