//! mosaik-api-v3's command line: `PROG [options] HOST:PORT`, the `cmd` and `connect` starters.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, Command};
use tracing::{error, info};
use tracing_subscriber::filter::LevelFilter;

use super::serve::{run_simulator, Ended};
use super::simulator::Simulator;
use crate::channel::{self, Addr, ChannelOptions, Retry};
use crate::Error;

/// How long `--remote` waits for mosaik to connect unless `--timeout` says otherwise: 60 s,
/// mosaik-api-v3's default.
///
/// ```
/// use aiomas::mosaik::{SimOptions, DEFAULT_HANDSHAKE_TIMEOUT};
/// let options = SimOptions::try_parse_from("demo", ["sim", "-r", "0.0.0.0:5678"]).unwrap();
/// assert_eq!(options.timeout, DEFAULT_HANDSHAKE_TIMEOUT);
/// ```
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The description `--help` shows unless the simulator gives its own (mosaik-api-v3's).
///
/// ```
/// use aiomas::mosaik::{SimOptions, DEFAULT_DESCRIPTION};
/// let help = SimOptions::try_parse_from(DEFAULT_DESCRIPTION, ["sim", "--help"]).unwrap_err();
/// assert!(help.to_string().contains("Start the simulation service."));
/// ```
pub const DEFAULT_DESCRIPTION: &str = "Start the simulation service.";

/// The log levels of `-l/--log-level`, as mosaik-api-v3 names them.
const LOG_LEVELS: [&str; 6] = ["trace", "debug", "info", "warning", "error", "critical"];

/// The parsed command line of a simulator.
///
/// ```
/// use aiomas::mosaik::SimOptions;
/// let options = SimOptions::try_parse_from("demo", ["sim", "-l", "debug", "127.0.0.1:5555"]).unwrap();
/// assert!(!options.remote);
/// assert_eq!(options.log_level.as_deref(), Some("debug"));
/// assert!(SimOptions::try_parse_from("demo", ["sim", "-l", "verbose", "127.0.0.1:5555"]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOptions {
    /// `HOST:PORT`: mosaik's address, or with `remote` the address to listen on.
    pub addr: String,
    /// `-r/--remote`: listen on `addr` and wait for mosaik (the `connect` starter).
    pub remote: bool,
    /// `-t/--timeout SECONDS`: how long `remote` waits for mosaik.
    pub timeout: Duration,
    /// `-l/--log-level LEVEL`, if given (`info` is used otherwise).
    pub log_level: Option<String>,
}

fn command(description: &str) -> Command {
    let prog = std::env::args()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "simulator".into());
    Command::new(prog.clone())
        .about(description.to_owned())
        .override_usage(format!("{prog} [options] HOST:PORT"))
        .arg(
            Arg::new("addr")
                .value_name("HOST:PORT")
                .required(true)
                .help("Connect to this address"),
        )
        .arg(
            Arg::new("log-level")
                .short('l')
                .long("log-level")
                .value_name("LEVEL")
                .value_parser(LOG_LEVELS)
                .help(format!(
                    "Log level for simulator ({})",
                    LOG_LEVELS.join(", ")
                )),
        )
        .arg(
            Arg::new("remote")
                .short('r')
                .long("remote")
                .action(ArgAction::SetTrue)
                .help("Simulator is to be started on a machine remote from mosaik"),
        )
        .arg(
            Arg::new("timeout")
                .short('t')
                .long("timeout")
                .value_name("TIME")
                .value_parser(clap::value_parser!(u64))
                .default_value("60")
                .help("Timeout in seconds for mosaik handshake"),
        )
}

impl SimOptions {
    /// Parses a command line (`args[0]` is the program).
    ///
    /// ```
    /// use aiomas::mosaik::SimOptions;
    /// let options = SimOptions::try_parse_from("demo", ["sim", "-r", "-t", "5", "0.0.0.0:5678"]).unwrap();
    /// assert!(options.remote);
    /// assert_eq!(options.timeout.as_secs(), 5);
    /// assert_eq!(options.addr, "0.0.0.0:5678");
    /// ```
    pub fn try_parse_from<I, T>(description: &str, args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = command(description).try_get_matches_from(args)?;
        Ok(SimOptions {
            addr: matches
                .get_one::<String>("addr")
                .cloned()
                .unwrap_or_default(),
            remote: matches.get_flag("remote"),
            timeout: Duration::from_secs(matches.get_one::<u64>("timeout").copied().unwrap_or(60)),
            log_level: matches.get_one::<String>("log-level").cloned(),
        })
    }

    /// The level filter for `tracing`.
    fn level(&self) -> LevelFilter {
        match self.log_level.as_deref() {
            Some("trace") => LevelFilter::TRACE,
            Some("debug") => LevelFilter::DEBUG,
            Some("warning") => LevelFilter::WARN,
            Some("error" | "critical") => LevelFilter::ERROR,
            _ => LevelFilter::INFO,
        }
    }
}

/// Parses `HOST:PORT` as mosaik-api-v3 does: a host that does not look like an IPv4 address is
/// resolved to one. The error text is Python's.
///
/// ```
/// let addr = aiomas::mosaik::parse_addr("localhost:5555").unwrap();
/// assert_eq!(addr.to_string(), "127.0.0.1:5555");
/// assert!(aiomas::mosaik::parse_addr("5555").is_err());
/// ```
pub fn parse_addr(addr: &str) -> Result<SocketAddr, String> {
    let parts: Vec<&str> = addr.trim().split(':').collect();
    let [host, port] = parts[..] else {
        return Err(format!(
            "address '{addr}' does not match expected format HOST:PORT"
        ));
    };
    let port: u16 = port
        .parse()
        .map_err(|_| format!("invalid literal for int() with base 10: '{port}'"))?;
    let ip = match host.parse::<Ipv4Addr>() {
        Ok(ip) => ip,
        Err(_) => (host, port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut found| {
                found.find_map(|a| match a {
                    SocketAddr::V4(v4) => Some(*v4.ip()),
                    SocketAddr::V6(_) => None,
                })
            })
            .ok_or_else(|| format!("could not resolve host '{host}'"))?,
    };
    Ok(SocketAddr::from((ip, port)))
}

/// The channel options of a mosaik connection: JSON (the default codec), one connect attempt.
fn mosaik_options() -> ChannelOptions {
    ChannelOptions::default().retry(Retry::Never)
}

/// Connects to mosaik at `addr` and serves `sim` (the `cmd` starter: mosaik runs
/// `PROG HOST:PORT` and waits for the connection).
///
/// ```no_run
/// # use aiomas::mosaik::*;
/// # use aiomas::rpc::Exception;
/// # #[derive(Default)]
/// # struct Counter { count: i64 }
/// # impl Simulator for Counter {
/// #     async fn init(&mut self, _: &str, _: f64, _: &mut Params, _: &MosaikProxy) -> Result<Meta, Exception> {
/// #         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
/// #     }
/// #     async fn create(&mut self, num: usize, model: &str, _: &mut Params) -> Result<Vec<CreatedEntity>, Exception> {
/// #         Ok((0..num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
/// #     }
/// #     async fn step(&mut self, time: Time, _: Inputs, _: Time) -> Result<Option<Time>, Exception> {
/// #         self.count += 1;
/// #         Ok(Some(time + 1))
/// #     }
/// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
/// #         let mut data = OutputData::new();
/// #         for (eid, _) in outputs.iter() {
/// #             data.entity(eid).set("count", self.count);
/// #         }
/// #         Ok(data)
/// #     }
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // mosaik started `PROG 127.0.0.1:5555` and waits there.
/// let addr = aiomas::mosaik::parse_addr("127.0.0.1:5555").expect("HOST:PORT");
/// let ended = aiomas::mosaik::run_as_client(&mut Counter::default(), addr).await?;
/// println!("simulation over: {ended:?}");
/// # Ok(()) }
/// ```
pub async fn run_as_client<S: Simulator>(sim: &mut S, addr: SocketAddr) -> Result<Ended, Error> {
    info!("Simulator {} tries to connect to mosaik ...", sim.name());
    let channel = channel::open_connection(
        &Addr::tcp(addr.ip().to_string(), addr.port()),
        mosaik_options(),
    )
    .await
    .inspect_err(|_| error!("Could not connect to mosaik"))?;
    let ended = run_simulator(channel.clone(), sim).await;
    channel.close().await;
    ended
}

/// Listens on `addr`, waits at most `timeout` for mosaik's one connection and serves `sim` on
/// it (the `connect` starter). The log line `... awaits connection from mosaik on HOST:PORT`
/// names the bound address (port 0 picks a free one).
///
/// ```no_run
/// # use aiomas::mosaik::*;
/// # use aiomas::rpc::Exception;
/// # #[derive(Default)]
/// # struct Counter { count: i64 }
/// # impl Simulator for Counter {
/// #     async fn init(&mut self, _: &str, _: f64, _: &mut Params, _: &MosaikProxy) -> Result<Meta, Exception> {
/// #         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
/// #     }
/// #     async fn create(&mut self, num: usize, model: &str, _: &mut Params) -> Result<Vec<CreatedEntity>, Exception> {
/// #         Ok((0..num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
/// #     }
/// #     async fn step(&mut self, time: Time, _: Inputs, _: Time) -> Result<Option<Time>, Exception> {
/// #         self.count += 1;
/// #         Ok(Some(time + 1))
/// #     }
/// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
/// #         let mut data = OutputData::new();
/// #         for (eid, _) in outputs.iter() {
/// #             data.entity(eid).set("count", self.count);
/// #         }
/// #         Ok(data)
/// #     }
/// # }
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // The scenario says `'connect': 'HOST:5678'`: wait there for mosaik, at most a minute.
/// let addr = aiomas::mosaik::parse_addr("0.0.0.0:5678").expect("HOST:PORT");
/// let ended = aiomas::mosaik::run_as_server(&mut Counter::default(), addr, Duration::from_secs(60)).await?;
/// println!("simulation over: {ended:?}");
/// # Ok(()) }
/// ```
pub async fn run_as_server<S: Simulator>(
    sim: &mut S,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<Ended, Error> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let server = channel::start_server(
        Addr::tcp(addr.ip().to_string(), addr.port()),
        mosaik_options(),
        move |channel| {
            // Only the first connection is mosaik's; later ones are closed at once.
            let _ = tx.try_send(channel);
            async {}
        },
    )
    .await?;
    info!(
        "Simulator {} awaits connection from mosaik on {} ...",
        sim.name(),
        server.addr()
    );
    let accepted = tokio::time::timeout(timeout, rx.recv()).await;
    drop(server);
    let Ok(Some(channel)) = accepted else {
        return Err(Error::Connection(crate::ConnectionError::new(
            crate::ConnectionErrorKind::TimedOut,
            "Connection from mosaik not received in time",
        )));
    };
    let ended = run_simulator(channel.clone(), sim).await;
    channel.close().await;
    ended
}

/// Runs `sim` with mosaik-api-v3's command line (`PROG [options] HOST:PORT`, `-r/--remote`,
/// `-t/--timeout`, `-l/--log-level`): parses `std::env::args`, logs to stderr, connects or
/// listens, serves until mosaik stops the simulation and exits with 0.
///
/// ```no_run
/// # struct MySim;
/// # impl aiomas::mosaik::Simulator for MySim {
/// #   async fn init(&mut self, _: &str, _: f64, _: &mut aiomas::mosaik::Params, _: &aiomas::mosaik::MosaikProxy) -> Result<aiomas::mosaik::Meta, aiomas::rpc::Exception> { Err(aiomas::rpc::Exception::new("NotImplementedError", "an example")) }
/// #   async fn create(&mut self, _: usize, _: &str, _: &mut aiomas::mosaik::Params) -> Result<Vec<aiomas::mosaik::CreatedEntity>, aiomas::rpc::Exception> { Err(aiomas::rpc::Exception::new("NotImplementedError", "an example")) }
/// #   async fn step(&mut self, _: u64, _: aiomas::mosaik::Inputs, _: u64) -> Result<Option<u64>, aiomas::rpc::Exception> { Err(aiomas::rpc::Exception::new("NotImplementedError", "an example")) }
/// #   async fn get_data(&mut self, _: aiomas::mosaik::OutputRequest) -> Result<aiomas::mosaik::OutputData, aiomas::rpc::Exception> { Err(aiomas::rpc::Exception::new("NotImplementedError", "an example")) }
/// # }
/// fn main() -> std::process::ExitCode {
///     aiomas::mosaik::start_simulation(MySim)
/// }
/// ```
pub fn start_simulation<S: Simulator>(sim: S) -> ExitCode {
    start_simulation_with(sim, DEFAULT_DESCRIPTION)
}

/// [`start_simulation`] with the `description` that `--help` shows.
///
/// ```no_run
/// # use aiomas::mosaik::*;
/// # use aiomas::rpc::Exception;
/// # #[derive(Default)]
/// # struct Counter { count: i64 }
/// # impl Simulator for Counter {
/// #     async fn init(&mut self, _: &str, _: f64, _: &mut Params, _: &MosaikProxy) -> Result<Meta, Exception> {
/// #         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
/// #     }
/// #     async fn create(&mut self, num: usize, model: &str, _: &mut Params) -> Result<Vec<CreatedEntity>, Exception> {
/// #         Ok((0..num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
/// #     }
/// #     async fn step(&mut self, time: Time, _: Inputs, _: Time) -> Result<Option<Time>, Exception> {
/// #         self.count += 1;
/// #         Ok(Some(time + 1))
/// #     }
/// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
/// #         let mut data = OutputData::new();
/// #         for (eid, _) in outputs.iter() {
/// #             data.entity(eid).set("count", self.count);
/// #         }
/// #         Ok(data)
/// #     }
/// # }
/// fn main() -> std::process::ExitCode {
///     aiomas::mosaik::start_simulation_with(Counter::default(), "A counter for mosaik.")
/// }
/// ```
pub fn start_simulation_with<S: Simulator>(mut sim: S, description: &str) -> ExitCode {
    let options = match SimOptions::try_parse_from(description, std::env::args_os()) {
        Ok(options) => options,
        Err(err) => {
            let _ = err.print();
            // docopt exits with 1 on a bad command line, 0 for `--help`.
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(options.level())
        .try_init();
    let addr = match parse_addr(&options.addr) {
        Ok(addr) => addr,
        Err(why) => {
            eprintln!("Invalid command-line argument: {why}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let ended = runtime.block_on(async {
        if options.remote {
            run_as_server(&mut sim, addr, options.timeout).await
        } else {
            run_as_client(&mut sim, addr).await
        }
    });
    match ended {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            error!("{err}");
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}
