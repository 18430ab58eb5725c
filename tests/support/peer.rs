//! The Python peer scripts of `tests/python/`: the interpreter that runs them ([`python`]) and
//! one of them running as a child process ([`PythonPeer`]).

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{capture, lock, wait_for_exit, within, Captured, PeerOutput};

/// How long a peer may take to print `READY <addr>` (the first run may be slow: cold caches).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a client-mode peer may run before [`PythonPeer::wait_ok`] gives up on it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// How long [`PythonPeer::stop`] waits for a server peer to exit once its stdin is closed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The directory of the Python peer scripts, `tests/python/`.
pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Whether `python` runs and can import everything the peers need.
fn has_aiomas(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import aiomas, msgpack, blosc, arrow"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `tests/setup-python.sh` and returns the venv python it prints.
fn run_setup_script() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("setup-python.sh");
    let output = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", script.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            script.display(),
            output.status
        ));
    }
    let path = stdout.lines().rev().find(|l| !l.trim().is_empty());
    let path = PathBuf::from(path.unwrap_or_default().trim());
    if !has_aiomas(&path) {
        return Err(format!(
            "{} printed {:?}, which cannot import aiomas, msgpack, blosc and arrow\n\
             --- stderr ---\n{stderr}",
            script.display(),
            path
        ));
    }
    Ok(path)
}

/// The Python interpreter that runs the peers: one with aiomas 2.0.1, msgpack, blosc and arrow.
///
/// `$AIOMAS_PYTHON` if it is set and can import those packages; else the venv python printed
/// by `tests/setup-python.sh` (run once per process; it creates the venv on first use, with
/// `$AIOMAS_PYTHON` as the base interpreter if that is set, which is what the script reads
/// the variable for).
///
/// # Panics
///
/// If no such interpreter can be set up: interop tests must fail, not pass, without their peer.
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        if let Some(explicit) = std::env::var_os("AIOMAS_PYTHON").filter(|v| !v.is_empty()) {
            let explicit = PathBuf::from(explicit);
            if has_aiomas(&explicit) {
                return Ok(explicit);
            }
        }
        run_setup_script()
    });
    match found {
        Ok(path) => path.clone(),
        Err(why) => panic!(
            "cannot set up Python aiomas 2.0.1 for the interop tests \
             (set AIOMAS_PYTHON to a python that can `import aiomas, msgpack, blosc, arrow`, \
             or fix tests/setup-python.sh):\n{why}"
        ),
    }
}

/// A Python peer script (`tests/python/<script>`) running as a child process.
///
/// It runs as `python -u tests/python/<script> args...` with a piped stdin: server scripts run
/// until their stdin closes, so they stop when the peer is stopped or dropped. Stdout and
/// stderr are captured and shown when something fails. Dropping the peer kills the process.
pub struct PythonPeer {
    label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    addr: Option<String>,
    stdout: Captured,
    stderr: Captured,
    readers: Vec<JoinHandle<()>>,
    lines: mpsc::Receiver<String>,
}

impl PythonPeer {
    /// Starts a server-mode script and waits until it prints `READY <addr>`.
    ///
    /// # Panics
    ///
    /// If the script cannot be spawned, exits, or prints no `READY` line within
    /// [`READY_TIMEOUT`]; the message shows its stdout and stderr.
    pub fn start(script: &str, args: &[&str]) -> PythonPeer {
        let mut peer = Self::spawn(script, args);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match peer.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("READY ") {
                        peer.addr = Some(addr.trim().to_owned());
                        return peer;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    peer.fail(&format!("printed no READY line within {READY_TIMEOUT:?}"))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = peer.wait_exit(Duration::from_secs(5));
                    peer.fail(&format!(
                        "exited ({}) without printing a READY line",
                        status.map_or("still running".into(), |s| s.to_string())
                    ))
                }
            }
        }
    }

    /// Starts a script without waiting for anything (client-mode scripts); see
    /// [`wait_ok`](Self::wait_ok).
    ///
    /// # Panics
    ///
    /// If the process cannot be spawned.
    pub fn spawn(script: &str, args: &[&str]) -> PythonPeer {
        let python = python();
        let path = python_dir().join(script);
        assert!(
            path.is_file(),
            "no Python peer script at {}",
            path.display()
        );
        let label = format!("{script} {}", args.join(" "));
        let mut child = Command::new(&python)
            .arg("-u")
            .arg(&path)
            .args(args)
            .current_dir(python_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot spawn Python peer `{label}` with {}: {err}",
                    python.display()
                )
            });
        let stdout = Captured::default();
        let stderr = Captured::default();
        let (line_tx, lines) = mpsc::channel();
        let readers = vec![
            capture(
                child.stdout.take().expect("piped stdout"),
                stdout.clone(),
                Some(line_tx),
            ),
            capture(
                child.stderr.take().expect("piped stderr"),
                stderr.clone(),
                None,
            ),
        ];
        PythonPeer {
            label,
            stdin: child.stdin.take(),
            child,
            addr: None,
            stdout,
            stderr,
            readers,
            lines,
        }
    }

    /// [`start`](Self::start) on a blocking thread, for async tests.
    pub async fn start_async(script: &str, args: &[&str]) -> PythonPeer {
        let script = script.to_owned();
        let args: Vec<String> = args.iter().map(|&a| a.to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            PythonPeer::start(&script, &args)
        })
        .await
        .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    /// The address from the `READY <addr>` line (`127.0.0.1:PORT`, `[::1]:PORT` or a socket
    /// path), which [`aiomas::channel::Addr`] parses.
    ///
    /// # Panics
    ///
    /// For a peer started with [`spawn`](Self::spawn), which printed none.
    pub fn addr(&self) -> &str {
        self.addr
            .as_deref()
            .expect("addr() needs a peer started with PythonPeer::start")
    }

    /// What the peer printed on stdout so far.
    pub fn stdout(&self) -> String {
        lock(&self.stdout)
    }

    /// What the peer printed on stderr so far.
    pub fn stderr(&self) -> String {
        lock(&self.stderr)
    }

    /// Waits (at most [`RUN_TIMEOUT`]) for a client-mode script to end; checks that it exited
    /// with status 0 and returns its stdout.
    ///
    /// Blocks the thread: in an async test whose runtime also runs the server the script talks
    /// to, use [`wait_ok_async`](Self::wait_ok_async).
    ///
    /// # Panics
    ///
    /// If it runs too long or fails; the message shows its stdout and stderr.
    pub fn wait_ok(self) -> String {
        let output = self.finish(RUN_TIMEOUT, false);
        if !output.status.success() {
            panic!(
                "Python peer failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
                output.status, output.stdout, output.stderr
            );
        }
        output.stdout
    }

    /// [`wait_ok`](Self::wait_ok) on a blocking thread, for async tests.
    pub async fn wait_ok_async(self) -> String {
        tokio::task::spawn_blocking(move || self.wait_ok())
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    /// Runs a client-mode script to its end ([`spawn`](Self::spawn), then
    /// [`wait_ok_async`](Self::wait_ok_async), at most 90 s): its last line must be
    /// `OK <n> checks`, which goes to stderr too. Returns its stdout.
    ///
    /// # Panics
    ///
    /// If it runs too long, fails, or prints another last line.
    pub async fn run_checks(script: &str, args: &[&str]) -> String {
        let peer = PythonPeer::spawn(script, args);
        let label = peer.label.clone();
        let what = format!("Python peer `{label}`");
        let stdout = within(90.0, &what, peer.wait_ok_async()).await;
        let last = stdout.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with("OK "),
            "{what}: unexpected output:\n{stdout}"
        );
        eprintln!("{label}: {last}");
        stdout
    }

    /// Closes the peer's stdin (a server script then shuts down), waits for it to exit (at most
    /// [`STOP_TIMEOUT`]) and returns what it printed. Does not judge the exit status.
    ///
    /// # Panics
    ///
    /// If it does not exit in time (it is killed first).
    pub fn stop(self) -> PeerOutput {
        self.finish(STOP_TIMEOUT, true)
    }

    /// [`stop`](Self::stop) on a blocking thread, for async tests.
    pub async fn stop_async(self) -> PeerOutput {
        tokio::task::spawn_blocking(move || self.stop())
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()))
    }

    /// [`stop_async`](Self::stop_async), checking that the peer exited with status 0.
    ///
    /// # Panics
    ///
    /// If it does not exit in time or fails; the message shows its stdout and stderr.
    pub async fn stop_ok_async(self) -> PeerOutput {
        let label = self.label.clone();
        let output = self.stop_async().await;
        assert!(
            output.status.success(),
            "Python peer `{label}` failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            output.stdout,
            output.stderr
        );
        output
    }

    fn finish(mut self, timeout: Duration, close_stdin: bool) -> PeerOutput {
        if close_stdin {
            self.stdin = None;
        }
        let Some(status) = self.wait_exit(timeout) else {
            self.fail(&format!("did not exit within {timeout:?}"))
        };
        // The process is gone: its pipes reach EOF, so the readers end.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        PeerOutput {
            status,
            stdout: self.stdout(),
            stderr: self.stderr(),
        }
    }

    /// Polls for the exit status until `timeout`; `None` if the process still runs.
    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_for_exit(&mut self.child, timeout)
    }

    /// Kills the process and panics with `why` and everything it printed.
    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Give the readers a moment to collect the last output.
        std::thread::sleep(Duration::from_millis(50));
        panic!(
            "Python peer `{}` {why}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.label,
            self.stdout(),
            self.stderr()
        );
    }
}

impl Drop for PythonPeer {
    fn drop(&mut self) {
        self.stdin = None;
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl std::fmt::Debug for PythonPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonPeer")
            .field("script", &self.label)
            .field("pid", &self.child.id())
            .field("addr", &self.addr)
            .finish()
    }
}

/// The arguments `head`, then `tail`: a peer's command line from fixed arguments and made ones
/// (e.g. [`Pki::python_args`](crate::Pki::python_args)).
pub fn join_args<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    head.iter()
        .copied()
        .chain(tail.iter().map(String::as_str))
        .collect()
}
