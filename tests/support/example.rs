//! The example binaries of `examples/` as child processes.
//!
//! They must be built first: `cargo build --workspace --examples`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{capture, lock, wait_for_exit, workspace_root, Captured, PeerOutput};

/// How long [`run_example`] lets one example run.
pub const EXAMPLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The target directory: `$CARGO_TARGET_DIR` (relative to the workspace root if relative),
/// else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The path of the example binary `name`, built in the `debug` profile.
///
/// # Panics
///
/// If it has not been built: "build examples first: cargo build --workspace --examples".
pub fn example_bin(name: &str) -> PathBuf {
    let path = target_dir()
        .join("debug")
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} is missing; build examples first: cargo build --workspace --examples",
        path.display()
    );
    path
}

/// Starts the example `name` with `args`: stdin is `/dev/null`, stdout and stderr are piped.
///
/// # Panics
///
/// If it cannot be started.
pub fn spawn_example(name: &str, args: &[&str]) -> Child {
    Command::new(example_bin(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run example `{name} {}`: {err}", args.join(" ")))
}

/// Runs the example `name` with `args` to its end and returns its exit status, stdout and
/// stderr. Does not judge the exit status.
///
/// # Panics
///
/// If it cannot be started or does not finish within [`EXAMPLE_TIMEOUT`] (it is killed first).
pub fn run_example(name: &str, args: &[&str]) -> PeerOutput {
    let mut child = spawn_example(name, args);
    let stdout = Captured::default();
    let stderr = Captured::default();
    let readers = [
        capture(
            child.stdout.take().expect("piped stdout"),
            stdout.clone(),
            None,
        ),
        capture(
            child.stderr.take().expect("piped stderr"),
            stderr.clone(),
            None,
        ),
    ];
    let Some(status) = wait_for_exit(&mut child, EXAMPLE_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "example `{name} {}` did not finish within {EXAMPLE_TIMEOUT:?}",
            args.join(" ")
        );
    };
    for reader in readers {
        let _ = reader.join();
    }
    PeerOutput {
        status,
        stdout: lock(&stdout),
        stderr: lock(&stderr),
    }
}

/// [`run_example`], checking that the example exits with status 0; returns its stdout.
///
/// # Panics
///
/// As [`run_example`], and if the example fails; the message shows its stdout and stderr.
pub fn run_example_ok(name: &str, args: &[&str]) -> String {
    let PeerOutput {
        status,
        stdout,
        stderr,
    } = run_example(name, args);
    assert!(
        status.success(),
        "example {name} failed ({status}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    stdout
}
