//! A container with one [`Echo`](echo::Echo) agent, for interop tests that drive it from
//! other processes (the real Python aiomas, or Rust).
//!
//! ```text
//! interop_peer [--codec json|msgpack|msgpack-blosc] [--external-clock START_DATE]
//!              [--tls CA CERT KEY] ADDR
//! ```
//!
//! `ADDR` is `HOST:PORT` (port 0 picks a free port) or a Unix socket path (anything with a `/`).
//! The container gets an `ExternalClock::new(START_DATE, 0.0)` with `--external-clock` (else a
//! real-time clock) and mutual TLS with `--tls` (Python's `SSLCerts(CA, CERT, KEY)`). Agent `0`
//! is an `Echo`; once it listens, the process prints exactly one line, `READY <agent 0's
//! address>`, and serves until an agent's `stop()` is called or it gets SIGTERM or SIGINT. Then
//! it shuts the container down and exits 0. Bad arguments: exit status 2.

// Shared by `interop_peer` and `container`; each binary uses a part of them.
#[allow(dead_code)]
#[path = "shared/cli.rs"]
mod cli;
#[allow(dead_code)]
#[path = "shared/echo.rs"]
mod echo;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use aiomas::agent::{shutdown_signal, Container, ContainerOptions};
use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::tls::{SslCerts, TlsConfig};
use aiomas::ExternalClock;
use chrono::{DateTime, Utc};

use cli::{Arg, ArgStream, Parsed, UsageError};
use echo::Echo;

const PROGRAM: &str = "interop_peer";

const USAGE: &str = "usage: interop_peer [--codec json|msgpack|msgpack-blosc] \
                     [--external-clock START_DATE] [--tls CA CERT KEY] ADDR";

const HELP: &str = "\
Serves an Echo agent (agent 0) in a container on ADDR for interop tests.

arguments:
  ADDR                        HOST:PORT (port 0 picks a free port) or a Unix socket path

options:
  --codec CODEC               json (default), msgpack or msgpack-blosc
  --external-clock DATE       use ExternalClock(DATE, init_time=0) instead of real time
  --tls CA CERT KEY           mutual TLS with this CA, certificate and private key
  -h, --help                  show this help and exit

Prints `READY <agent 0's address>` once it listens; serves until an agent's stop() is
called or SIGTERM/SIGINT arrives, then shuts down and exits 0.";

/// The parsed command line.
struct Options {
    addr: Addr,
    codec: Codec,
    start: Option<DateTime<Utc>>,
    tls: Option<SslCerts>,
}

fn parse(mut args: ArgStream) -> Result<Parsed<Options>, UsageError> {
    let mut addr = None;
    let mut codec = Codec::Json;
    let mut start = None;
    let mut tls = None;
    while let Some(arg) = args.next_arg() {
        match arg {
            Arg::Option(name) => match name.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "--codec" => codec = cli::parse_codec(&args.value(&name)?)?,
                "--external-clock" => start = Some(cli::parse_date(&args.value(&name)?)?),
                "--tls" => {
                    let ca = args.value(&name)?;
                    let cert = args.value(&name)?;
                    let key = args.value(&name)?;
                    tls = Some(SslCerts::new(ca, cert, key));
                }
                other => return Err(UsageError(format!("unknown option {other}"))),
            },
            Arg::Positional(text) if addr.is_none() => addr = Some(cli::parse_addr(&text)?),
            Arg::Positional(text) => {
                return Err(UsageError(format!("unexpected argument {text:?}")))
            }
        }
    }
    let addr = addr.ok_or_else(|| UsageError("the argument ADDR is required".into()))?;
    Ok(Parsed::Run(Options {
        addr,
        codec,
        start,
        tls,
    }))
}

async fn serve(options: Options) -> aiomas::Result<()> {
    let mut channel = ChannelOptions::default().codec(options.codec);
    if let Some(certs) = &options.tls {
        channel = channel.tls(TlsConfig::from_certs(certs)?);
    }
    let mut container_options = ContainerOptions::default().channel(channel);
    if let Some(start) = options.start {
        container_options =
            container_options.shared_clock(Arc::new(ExternalClock::new(start, 0.0)));
    }
    let socket_file = match &options.addr {
        Addr::Unix(path) => Some(path.clone()),
        _ => None,
    };
    let container = Container::create(options.addr, container_options).await?;
    let agent = container.spawn(Echo::new)?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "READY {}", agent.addr())?;
        stdout.flush()?;
    }
    drop(agent);
    tokio::select! {
        () = echo::stop_requested().notified() => eprintln!("{PROGRAM}: stop() called, shutting down"),
        () = shutdown_signal() => eprintln!("{PROGRAM}: signal received, shutting down"),
    }
    container.shutdown().await;
    if let Some(path) = socket_file {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match cli::options_or_exit(PROGRAM, USAGE, HELP, parse) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    cli::run(PROGRAM, serve(options))
}
