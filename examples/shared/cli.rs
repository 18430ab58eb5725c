//! Hand-written command-line parsing of `interop_peer` (the `container` binary uses the
//! library's clap CLI, whose value parsers this reuses).
//!
//! Included with `#[path = "shared/cli.rs"] mod cli;`. Bad arguments are
//! reported as a [`UsageError`]: the binary prints it with its usage and exits with status 2,
//! like Python's argparse and click do.

use std::collections::VecDeque;
use std::fmt;
use std::process::ExitCode;

use aiomas::agent::cli;
use aiomas::channel::Addr;
use aiomas::codec::Codec;
use chrono::{DateTime, Utc};

/// A command line that cannot be used; the message says why.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a parser returns: the parsed options, or the request to print the help.
pub enum Parsed<T> {
    /// Run with these options.
    Run(T),
    /// `--help` was given.
    Help,
}

/// Prints `error` with the usage to stderr and returns exit status 2.
/// Parses the command line with `parse`; `--help` and bad arguments end the process here
/// (status 0 after the help text, 2 after a usage error), as argparse does.
pub fn options_or_exit<T>(
    program: &str,
    usage: &str,
    help: &str,
    parse: impl FnOnce(ArgStream) -> Result<Parsed<T>, UsageError>,
) -> Result<T, ExitCode> {
    match ArgStream::from_env().and_then(parse) {
        Ok(Parsed::Run(options)) => Ok(options),
        Ok(Parsed::Help) => {
            println!("{usage}\n\n{help}");
            Err(ExitCode::SUCCESS)
        }
        Err(err) => Err(usage_error(program, usage, &err)),
    }
}

/// Runs the binary's async `main` on a fresh runtime; an error is printed and exits with 1.
pub fn run(program: &str, main: impl std::future::Future<Output = aiomas::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("{program}: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(main) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{program}: {err}");
            ExitCode::FAILURE
        }
    }
}

pub fn usage_error(program: &str, usage: &str, error: &UsageError) -> ExitCode {
    eprintln!("{usage}\n{program}: error: {error}");
    ExitCode::from(2)
}

/// The arguments after the program name, split into `--name value` / `--name=value` options
/// and positional arguments as they come.
pub struct ArgStream {
    args: VecDeque<String>,
}

/// One item of the command line.
pub enum Arg {
    /// `--name` or `-n` (with the value of `--name=value` kept for [`ArgStream::value`]).
    Option(String),
    /// Anything else.
    Positional(String),
}

impl ArgStream {
    /// The process's arguments (without the program name).
    pub fn from_env() -> Result<Self, UsageError> {
        let args = std::env::args_os()
            .skip(1)
            .map(|arg| {
                arg.into_string()
                    .map_err(|arg| UsageError(format!("argument {arg:?} is not valid UTF-8")))
            })
            .collect::<Result<_, _>>()?;
        Ok(ArgStream { args })
    }

    /// The next item; `--name=value` is split into the option and a pending value.
    pub fn next_arg(&mut self) -> Option<Arg> {
        let arg = self.args.pop_front()?;
        if arg == "-" || !arg.starts_with('-') || arg.parse::<f64>().is_ok() {
            return Some(Arg::Positional(arg));
        }
        if arg == "--" {
            return self.args.pop_front().map(Arg::Positional);
        }
        match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                self.args.push_front(value.to_owned());
                Some(Arg::Option(name.to_owned()))
            }
            _ => Some(Arg::Option(arg)),
        }
    }

    /// The value of option `name`.
    pub fn value(&mut self, name: &str) -> Result<String, UsageError> {
        self.args
            .pop_front()
            .ok_or_else(|| UsageError(format!("option {name} expects a value")))
    }
}

/// `json`, `msgpack` or `msgpack-blosc`.
pub fn parse_codec(text: &str) -> Result<Codec, UsageError> {
    cli::parse_codec(text).map_err(|why| UsageError(format!("{text:?}: {why}")))
}

/// `HOST:PORT` or a Unix socket path, as the container CLI reads it.
pub fn parse_addr(text: &str) -> Result<Addr, UsageError> {
    cli::parse_addr(text).map_err(|why| UsageError(format!("{text:?}: {why}")))
}

/// An ISO 8601 date, as the container CLI reads it.
pub fn parse_date(text: &str) -> Result<DateTime<Utc>, UsageError> {
    cli::parse_date(text).map_err(|why| UsageError(format!("{text:?}: {why}")))
}
