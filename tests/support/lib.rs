//! Shared helpers of the integration tests (crate `aiomas_tests`).
//!
//! - [`python`]: the interpreter of the virtualenv with the real Python aiomas 2.0.1.
//! - [`PythonPeer`]: a Python peer script from `tests/python/` running as a child process;
//!   [`join_args`] for its command lines (module [`peer`]).
//! - [`capture`], [`wait_for_exit`]: a child process's output and exit status.
//! - [`temp_socket_path`]: a fresh Unix socket path.
//! - [`example_bin`], [`run_example`], [`spawn_example`]: the built example binaries
//!   (module [`example`]).
//! - [`within`]: bounds a future in time, so no test can hang CI.
//! - [`peak_over`]: the peak of live heap bytes while a future runs (with a `PeakAlloc`).
//! - [`fuzz`]: a seeded mutational fuzz harness for the stable toolchain.
//! - [`Pki`]: throw-away CAs and certificates for the TLS tests (module [`pki`]).
//! - [`remote_error`], [`check_dynamic_proxy`], [`check_concurrent_adds`], [`no_such_agent`]:
//!   checks of calls into Python peers (module [`calls`]).
//! - [`echo_server`], [`assert_works`], [`refusal`]: the `ohai` / `cya` exchange (module
//!   [`ohai`]).
//!
//! A peer that cannot be started is a **panic**, never a skipped test: an interop test must not
//! pass because its Python side is missing.

use std::future::Future;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub mod calls;
pub mod example;
pub mod fuzz;
pub mod ohai;
pub mod peer;
pub mod pki;

pub use calls::{check_concurrent_adds, check_dynamic_proxy, no_such_agent, remote_error};
pub use example::{example_bin, run_example, run_example_ok, spawn_example, target_dir};
pub use ohai::{assert_works, echo_server, refusal};
pub use peer::{
    join_args, python, python_dir, PythonPeer, READY_TIMEOUT, RUN_TIMEOUT, STOP_TIMEOUT,
};
pub use pki::{Pki, LOCAL_NAMES};

/// The root of the workspace (the directory holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

/// Output collected from a child's stream by a reader thread ([`capture`]).
pub type Captured = Arc<Mutex<String>>;

/// What `text` holds so far.
fn lock(text: &Captured) -> String {
    text.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// Polls `child` for its exit status until `timeout`; `None` if it still runs.
pub fn wait_for_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Copies `stream` (a child's stdout or stderr) into `sink` line by line on a thread of its
/// own, until the stream ends; every line is also offered to `lines`, without its line end.
pub fn capture(
    stream: impl Read + Send + 'static,
    sink: Captured,
    lines: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_str(&line);
                    if let Some(lines) = &lines {
                        let _ = lines.send(line.trim_end().to_owned());
                    }
                }
            }
        }
    })
}

/// What a child process (a peer, an example) left behind when it exited.
#[derive(Debug, Clone)]
pub struct PeerOutput {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// A fresh Unix socket path under [`std::env::temp_dir`], unique within this process and
/// (through the pid and the clock) across processes. Nothing exists at the path.
///
/// Kept short: socket paths are limited to about 100 bytes.
pub fn temp_socket_path(name: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(24)
        .collect();
    let path = std::env::temp_dir().join(format!(
        "aiomas-{name}-{}-{n}-{nanos:x}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// Awaits `future`, panicking with `what` if it takes longer than `secs` seconds.
///
/// Every await that depends on a peer goes through this (or a timeout of its own), so a
/// broken peer fails a test instead of hanging it.
pub async fn within<F: Future>(secs: f64, what: &str, future: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs_f64(secs), future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out after {secs} s: {what}"),
    }
}

/// The peak of live heap bytes above what was live before `run`, in units of `unit` bytes,
/// counted by `heap` (the test's global allocator).
pub async fn peak_over<F: Future>(
    heap: &peak_alloc::PeakAlloc,
    unit: usize,
    run: F,
) -> (F::Output, f64) {
    heap.reset_peak_usage();
    let before = heap.current_usage();
    let out = run.await;
    let peak = heap.peak_usage().saturating_sub(before);
    (out, peak as f64 / unit as f64)
}
