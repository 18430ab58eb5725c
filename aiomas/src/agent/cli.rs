//! The container CLI of the aiomas docs (the module docstring of `aiomas.subproc`), for any
//! binary: a container whose agent 0 is a [`Manager`](super::Manager) that spawns the agent
//! types of a user-supplied registry.
//!
//! ```text
//! NAME [--start-date ISO8601] [-l LEVEL] [--codec CODEC] [--extra-serializers NAMES]
//!      [--tls CA CERT KEY] HOST:PORT
//! ```
//!
//! The whole binary:
//!
//! ```no_run
//! use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
//!
//! struct Greeter;
//!
//! #[aiomas::agent]
//! impl Greeter {
//!     #[spawn]
//!     fn new(_ctx: AgentContext) -> Self {
//!         Greeter
//!     }
//! }
//!
//! static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
//!
//! fn main() -> std::process::ExitCode {
//!     ContainerCli::new("greeters", REGISTRY).run()
//! }
//! ```
//!
//! As in the Python example, the container has an `ExternalClock(start_date, init_time=-1)`;
//! the codec is JSON unless `--codec` says otherwise. Once the manager listens, the process
//! prints `READY <manager address>` on stdout (port 0 picks a free port; the address has the
//! real one): a master reads it to connect. It runs until the manager's `stop()` is called
//! (or [`ContainerCli::stop_on`] resolves) or it gets SIGTERM or SIGINT, and then exits 0.
//! Bad arguments: exit status 2 (as argparse and click); a container that cannot start:
//! status 1. Logs go to stderr.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::{Arg, ArgAction, ArgMatches, Command};
use tracing_subscriber::filter::LevelFilter;

use super::{run_manager, AgentType, ContainerOptions};
use crate::channel::Addr;
use crate::clock::ExternalClock;
use crate::codec::Codec;
#[cfg(feature = "tls")]
use crate::tls::{SslCerts, TlsConfig};
use crate::Error;

type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A container CLI for a registry of agent types; [`run`](Self::run) is a binary's `main`.
///
/// ```no_run
/// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
/// # struct Greeter;
/// # #[aiomas::agent]
/// # impl Greeter {
/// #     #[spawn]
/// #     fn new(_ctx: AgentContext) -> Self {
/// #         Greeter
/// #     }
/// # }
/// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
/// fn main() -> std::process::ExitCode {
///     ContainerCli::new("greeters", REGISTRY).run()
/// }
/// ```
pub struct ContainerCli {
    name: &'static str,
    registry: &'static [AgentType],
    stop: Option<StopSignal>,
}

impl std::fmt::Debug for ContainerCli {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerCli")
            .field("name", &self.name)
            .field("registry", &self.registry)
            .field("custom_stop", &self.stop.is_some())
            .finish()
    }
}

/// A parsed command line.
///
/// ```
/// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
/// # struct Greeter;
/// # #[aiomas::agent]
/// # impl Greeter {
/// #     #[spawn]
/// #     fn new(_ctx: AgentContext) -> Self {
/// #         Greeter
/// #     }
/// # }
/// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
/// use aiomas::codec::Codec;
/// let cli = ContainerCli::new("greeters", REGISTRY);
/// let options = cli.parse_from(["greeters", "--start-date", "2010-03-27", "--codec", "msgpack", "127.0.0.1:0"]).unwrap();
/// assert_eq!(options.codec, Codec::MsgPack);
/// assert_eq!(options.start_date.to_rfc3339(), "2010-03-27T00:00:00+00:00");
/// assert_eq!(options.addr.port(), Some(0));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CliOptions {
    /// Where the container listens (`HOST:PORT`, or a Unix socket path).
    pub addr: Addr,
    /// The start date of the external clock (`--start-date`).
    pub start_date: DateTime<Utc>,
    /// The log level (`--log-level`).
    pub log_level: LevelFilter,
    /// The codec (`--codec`).
    pub codec: Codec,
    /// The extra serializers' type names, in order (`--extra-serializers`).
    pub extra_serializers: Vec<String>,
    /// Mutual TLS (`--tls CA CERT KEY`; with the `tls` feature).
    #[cfg(feature = "tls")]
    pub tls: Option<SslCerts>,
}

impl ContainerCli {
    /// The CLI of the binary `name`, spawning the types of `registry`.
    ///
    /// ```
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// let cli = ContainerCli::new("greeters", REGISTRY);
    /// assert_eq!(cli.command().get_name(), "greeters");
    /// ```
    pub fn new(name: &'static str, registry: &'static [AgentType]) -> Self {
        ContainerCli {
            name,
            registry,
            stop: None,
        }
    }

    /// Also stops the container when `signal` resolves (e.g. an agent asked for it).
    ///
    /// ```
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// # #[tokio::main]
    /// # async fn main() -> aiomas::Result<()> {
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// let cli = ContainerCli::new("greeters", REGISTRY).stop_on(async {
    ///     let _ = stopped.await;
    /// });
    /// let options = cli.parse_from(["greeters", "--start-date", "2010-03-27", "127.0.0.1:0"]).unwrap();
    /// let container = tokio::spawn(cli.serve(options));
    /// stop.send(()).unwrap();
    /// container.await.unwrap()?;
    /// # Ok(()) }
    /// ```
    pub fn stop_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.stop = Some(Box::pin(signal));
        self
    }

    /// The clap command (for help texts, or to embed it).
    ///
    /// ```
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// let help = ContainerCli::new("greeters", REGISTRY).command().render_help().to_string();
    /// assert!(help.contains("greetings:Greeter"));
    /// assert!(help.contains("--start-date"));
    /// ```
    pub fn command(&self) -> Command {
        let known: Vec<_> = self.registry.iter().map(AgentType::name).collect();
        let command = Command::new(self.name)
            .about(format!(
                "Runs a container with a manager agent (agent 0) that a master process uses to \
                 spawn agents ({}), set the container's external clock and stop it.",
                known.join(", ")
            ))
            .after_help("Prints `READY <manager address>` once the manager listens.")
            .help_template("{usage-heading} {usage}\n\n{about}\n\n{all-args}{after-help}")
            .override_usage(format!(
                "{} --start-date ISO8601 [-l LEVEL] [--codec CODEC] [--extra-serializers NAMES] \
                 [--tls CA CERT KEY] HOST:PORT",
                self.name
            ))
            .arg(
                Arg::new("addr")
                    .value_name("HOST:PORT")
                    .required(true)
                    .value_parser(parse_addr)
                    .help(
                        "the address to bind to (port 0 picks a free port; an empty host binds \
                         all interfaces; a path containing '/' binds a Unix socket)",
                    ),
            )
            .arg(
                Arg::new("start_date")
                    .long("start-date")
                    .value_name("ISO8601")
                    .required(true)
                    .value_parser(parse_date)
                    .help("start date of the agents' clock (e.g. 2010-03-27T00:00:00+01:00)"),
            )
            .arg(
                Arg::new("log_level")
                    .short('l')
                    .long("log-level")
                    .value_name("LEVEL")
                    .default_value("info")
                    .value_parser(parse_level)
                    .help("debug, info, warning, error or critical"),
            )
            .arg(
                Arg::new("codec")
                    .long("codec")
                    .value_name("CODEC")
                    .default_value("json")
                    .value_parser(parse_codec)
                    .help("json, msgpack or msgpack-blosc"),
            )
            .arg(
                Arg::new("extra_serializers")
                    .long("extra-serializers")
                    .value_name("NAMES")
                    .value_delimiter(',')
                    .action(ArgAction::Append)
                    .help("type names of extra serializers, in order (comma-separated)"),
            );
        #[cfg(feature = "tls")]
        let command = command.arg(
            Arg::new("tls")
                .long("tls")
                .value_names(["CA", "CERT", "KEY"])
                .num_args(3)
                .help("mutual TLS with this CA, certificate and private key (PEM files)"),
        );
        command
    }

    /// Parses `args` (the program name first).
    ///
    /// ```
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// let cli = ContainerCli::new("greeters", REGISTRY);
    /// let options = cli.parse_from(["greeters", "--start-date", "2010-03-27", "-l", "debug", "127.0.0.1:5555"]).unwrap();
    /// assert_eq!(options.log_level, tracing::level_filters::LevelFilter::DEBUG);
    /// // Bad arguments are clap's errors (`run` exits with status 2 on them).
    /// let err = cli.parse_from(["greeters", "--start-date", "2010-03-27", "--codec", "xml", "127.0.0.1:5555"]).unwrap_err();
    /// assert!(err.to_string().contains("invalid codec"), "{err}");
    /// ```
    pub fn parse_from<I, T>(&self, args: I) -> Result<CliOptions, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = self.command().try_get_matches_from(args)?;
        Ok(options(&matches))
    }

    /// Parses the process's arguments, sets up logging to stderr, and runs the container
    /// until it is told to stop. `--help` and bad arguments end the process here.
    ///
    /// ```no_run
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// fn main() -> std::process::ExitCode {
    ///     ContainerCli::new("greeters", REGISTRY).run()
    /// }
    /// ```
    pub fn run(self) -> ExitCode {
        let options = match self.parse_from(std::env::args_os()) {
            Ok(options) => options,
            Err(err) => err.exit(),
        };
        // A subscriber installed before (by the binary) wins.
        let _ = tracing_subscriber::fmt()
            .with_max_level(options.log_level)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init();
        let runtime = match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime,
            Err(err) => {
                eprintln!("{}: cannot start the runtime: {err}", self.name);
                return ExitCode::FAILURE;
            }
        };
        let name = self.name;
        match runtime.block_on(self.serve(options)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{name}: {err}");
                ExitCode::FAILURE
            }
        }
    }

    /// Runs the container of `options` until it is told to stop (what [`run`](Self::run) does
    /// after parsing), printing `READY <manager address>` once it listens.
    ///
    /// ```
    /// # use aiomas::agent::{cli::ContainerCli, AgentContext, AgentType};
    /// # struct Greeter;
    /// # #[aiomas::agent]
    /// # impl Greeter {
    /// #     #[spawn]
    /// #     fn new(_ctx: AgentContext) -> Self {
    /// #         Greeter
    /// #     }
    /// # }
    /// # static REGISTRY: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
    /// # #[tokio::main]
    /// # async fn main() -> aiomas::Result<()> {
    /// // A container that stops as soon as it has started (it prints `READY <address>` first).
    /// let cli = ContainerCli::new("greeters", REGISTRY).stop_on(async {});
    /// let options = cli.parse_from(["greeters", "--start-date", "2010-03-27", "127.0.0.1:0"]).unwrap();
    /// cli.serve(options).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(self, options: CliOptions) -> Result<(), Error> {
        let container_options = container_options(&options)?;
        let socket_file = match &options.addr {
            Addr::Unix(path) => Some(path.clone()),
            _ => None,
        };
        let manager = run_manager(
            options.addr,
            container_options,
            self.registry,
            |manager_addr| {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "READY {manager_addr}");
                let _ = stdout.flush();
            },
        );
        let stop = self
            .stop
            .unwrap_or_else(|| Box::pin(std::future::pending()));
        let result = tokio::select! {
            result = manager => result,
            () = stop => {
                tracing::info!("stop requested");
                Ok(())
            }
        };
        if let Some(path) = socket_file {
            let _ = std::fs::remove_file(path);
        }
        result
    }
}

/// Python: `ExternalClock(start_date, init_time=-1)`, the codec, extra serializers and TLS.
fn container_options(options: &CliOptions) -> Result<ContainerOptions, Error> {
    let clock = ExternalClock::new(options.start_date, -1.0);
    #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
    let mut container = options
        .extra_serializers
        .iter()
        .fold(ContainerOptions::default(), |o, name| {
            o.extra_serializer(name.as_str())
        })
        .codec(options.codec)
        .shared_clock(Arc::new(clock));
    #[cfg(feature = "tls")]
    if let Some(certs) = &options.tls {
        container = container.tls(TlsConfig::from_certs(certs)?);
    }
    Ok(container)
}

fn options(matches: &ArgMatches) -> CliOptions {
    #[cfg(feature = "tls")]
    let tls: Option<Vec<&String>> = matches.get_many("tls").map(Iterator::collect);
    CliOptions {
        addr: matches.get_one::<Addr>("addr").cloned().expect("required"),
        start_date: *matches.get_one("start_date").expect("required"),
        log_level: *matches.get_one("log_level").expect("defaulted"),
        codec: *matches.get_one("codec").expect("defaulted"),
        extra_serializers: matches
            .get_many::<String>("extra_serializers")
            .map(|names| names.filter(|n| !n.is_empty()).cloned().collect())
            .unwrap_or_default(),
        #[cfg(feature = "tls")]
        tls: tls.map(|files| SslCerts::new(files[0], files[1], files[2])),
    }
}

/// `debug`, `info`, `warning`, `error` or `critical` (Python's logging levels).
///
/// ```
/// use aiomas::agent::cli::parse_level;
/// use tracing::level_filters::LevelFilter;
/// assert_eq!(parse_level("WARNING"), Ok(LevelFilter::WARN));
/// assert_eq!(parse_level("critical"), Ok(LevelFilter::ERROR));
/// assert!(parse_level("trace").is_err());
/// ```
pub fn parse_level(text: &str) -> Result<LevelFilter, String> {
    match text.to_ascii_lowercase().as_str() {
        "debug" => Ok(LevelFilter::DEBUG),
        "info" => Ok(LevelFilter::INFO),
        "warning" => Ok(LevelFilter::WARN),
        // tracing has no level above error.
        "error" | "critical" => Ok(LevelFilter::ERROR),
        _ => Err("invalid log level (choose from debug, info, warning, error, critical)".into()),
    }
}

/// `json`, `msgpack` or `msgpack-blosc`.
///
/// ```
/// use aiomas::agent::cli::parse_codec;
/// use aiomas::codec::Codec;
/// assert_eq!(parse_codec("msgpack"), Ok(Codec::MsgPack));
/// assert!(parse_codec("pickle").unwrap_err().contains("choose from json, msgpack, msgpack-blosc"));
/// ```
pub fn parse_codec(text: &str) -> Result<Codec, String> {
    text.parse()
        .map_err(|_| "invalid codec (choose from json, msgpack, msgpack-blosc)".into())
}

/// `HOST:PORT` (`[::1]:PORT` for IPv6; port 0 picks a free port; an empty host binds all
/// interfaces) or a Unix socket path (anything containing `/`).
///
/// ```
/// use aiomas::agent::cli::parse_addr;
/// assert_eq!(parse_addr("127.0.0.1:5555").unwrap().port(), Some(5555));
/// assert_eq!(parse_addr("[::1]:0").unwrap().port(), Some(0));
/// assert!(parse_addr("5555").is_err());
/// ```
pub fn parse_addr(text: &str) -> Result<Addr, String> {
    let addr: Addr = text
        .parse()
        .map_err(|err: Error| format!("{err} (expected HOST:PORT or a socket path)"))?;
    match addr {
        Addr::Local(_) => Err("invalid address: local queues exist only inside one process".into()),
        addr => Ok(addr),
    }
}

/// An ISO 8601 date as Python's `arrow.get()` reads it: with an offset
/// (`2010-03-27T00:00:00+01:00`, `...Z`), without one (UTC), or a plain day (`2010-03-27`).
///
/// ```
/// let date = aiomas::agent::cli::parse_date("2010-03-27T00:00:00+01:00").unwrap();
/// assert_eq!(date.to_rfc3339(), "2010-03-26T23:00:00+00:00");
/// assert!(aiomas::agent::cli::parse_date("yesterday").is_err());
/// ```
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Ok(date.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(date) = DateTime::parse_from_str(text, format) {
            return Ok(date.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(date) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(date.and_utc());
        }
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    Err("invalid date (expected ISO 8601, e.g. 2010-03-27T00:00:00+01:00)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    static NONE: &[AgentType] = &[];

    fn parse(args: &[&str]) -> Result<CliOptions, clap::Error> {
        ContainerCli::new("node", NONE)
            .parse_from(std::iter::once("node").chain(args.iter().copied()))
    }

    #[cfg(feature = "tls")]
    #[test]
    fn every_option() {
        let options = parse(&[
            "--start-date=2010-03-27T00:00:00+01:00",
            "-l",
            "warning",
            "--codec",
            "msgpack-blosc",
            "--extra-serializers",
            "Point,Vec3",
            "--tls",
            "ca.pem",
            "c.pem",
            "k.pem",
            "localhost:5556",
        ])
        .unwrap();
        assert_eq!(options.addr, Addr::tcp("localhost", 5556));
        assert_eq!(options.start_date.to_rfc3339(), "2010-03-26T23:00:00+00:00");
        assert_eq!(options.log_level, LevelFilter::WARN);
        assert_eq!(options.codec, Codec::MsgPackBlosc);
        assert_eq!(options.extra_serializers, ["Point", "Vec3"]);
        assert!(options.tls.is_some());
        let defaults = parse(&["--start-date", "2016-01-01", ":0"]).unwrap();
        assert_eq!(defaults.addr, Addr::tcp("", 0));
        assert_eq!(
            (defaults.codec, defaults.log_level),
            (Codec::Json, LevelFilter::INFO)
        );
        assert!(defaults.extra_serializers.is_empty());
    }

    #[test]
    fn bad_command_lines_are_usage_errors() {
        for bad in [
            &["127.0.0.1:0"][..],
            &["--start-date", "2016-01-01"],
            &["--start-date", "yesterday", "127.0.0.1:0"],
            &[
                "--start-date",
                "2016-01-01",
                "--codec",
                "xml",
                "127.0.0.1:0",
            ],
            &["--start-date", "2016-01-01", "--tls", "ca", "127.0.0.1:0"],
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}: {err}");
        }
    }
}
