//! Agent-layer interop with the real Python aiomas 2.0.1 (SPEC sections 3, 5, 6 and 7).
//!
//! - A Python container's agent (`tests/python/agent_peer.py client`) calls the `Echo` agent of
//!   `examples/interop_peer.rs`, a Rust container in its own process: every exposed method,
//!   keywords, errors, the proxy's name, Arrow dates, a real-time and an external clock, service
//!   references both ways, and calls from our agent back into the Python container (through a
//!   reference and through its URL); for every codec over TCP, over Unix sockets, and with TLS.
//! - A Rust container in the test process calls a Python agent in a Python container
//!   (`agent_peer.py server`) through a typed `#[aiomas::proxy]` proxy and a dynamic one.
//! - A Python master (`agent_peer.py master`) starts `examples/container.rs` as a child
//!   process, spawns agents through its manager, sets its clock and stops it; a Rust master does
//!   the same and stops it with SIGTERM.
//!
//! The example binaries must be built first: `cargo build --workspace --examples`.
//! Every test is bounded in time: a broken peer fails a test, it never hangs CI.

use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};
use aiomas::codec::Codec;
use aiomas::rpc::{FromProxy, Proxy};
use aiomas::{Date, Error, ServiceRef, Value};
use aiomas_tests::{
    capture, check_concurrent_adds, check_dynamic_proxy, example_bin, no_such_agent, remote_error,
    run_example, spawn_example, temp_socket_path, wait_for_exit, within, Captured, PeerOutput, Pki,
    PythonPeer,
};

const PEER: &str = "agent_peer.py";
const START_DATE: &str = "2016-01-01T00:00:00+00:00";

/// How long a Rust binary may take to print its `READY` line.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a Rust binary may take to exit once told to.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

// --- a Rust example binary as a child process ----------------------------------------------

/// An example binary (`interop_peer`, `container`) running as a child process; killed on drop.
struct RustPeer {
    label: String,
    child: Child,
    addr: String,
    stderr: Captured,
}

impl RustPeer {
    /// Starts example `name` with `args` and waits for its `READY <addr>` line.
    fn start(name: &str, args: &[&str]) -> RustPeer {
        let label = format!("{name} {}", args.join(" "));
        let mut child = spawn_example(name, args);
        let stderr = Captured::default();
        capture(
            child.stderr.take().expect("piped stderr"),
            stderr.clone(),
            None,
        );
        let (tx, rx) = mpsc::channel();
        capture(
            child.stdout.take().expect("piped stdout"),
            Captured::default(),
            Some(tx),
        );
        let mut peer = RustPeer {
            label,
            child,
            addr: String::new(),
            stderr,
        };
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(line) => match line.strip_prefix("READY ") {
                Some(addr) => peer.addr = addr.trim().to_owned(),
                None => peer.fail(&format!("printed {line:?} instead of READY <addr>")),
            },
            Err(_) => peer.fail("printed no READY line"),
        }
        // The contract: exactly one line on stdout.
        std::thread::spawn(move || {
            for line in rx {
                eprintln!("unexpected stdout line: {line}");
            }
        });
        peer
    }

    /// The address from the `READY` line (agent 0's URL).
    fn addr(&self) -> &str {
        &self.addr
    }

    /// The pid, e.g. for sending signals.
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Waits until the process exits (at most [`EXIT_TIMEOUT`]) and returns its status.
    fn wait_exit(mut self) -> ExitStatus {
        match wait_for_exit(&mut self.child, EXIT_TIMEOUT) {
            Some(status) => status,
            None => self.fail(&format!("did not exit within {EXIT_TIMEOUT:?}")),
        }
    }

    /// [`wait_exit`](Self::wait_exit), asserting exit status 0.
    async fn exits_ok(self) {
        let label = self.label.clone();
        let stderr = self.stderr.clone();
        let status = tokio::task::spawn_blocking(move || self.wait_exit())
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()));
        assert!(
            status.success(),
            "`{label}` exited with {status}\n--- stderr ---\n{}",
            stderr.lock().unwrap()
        );
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(50));
        panic!(
            "`{}` {why}\n--- stderr ---\n{}",
            self.label,
            self.stderr.lock().unwrap()
        );
    }
}

impl Drop for RustPeer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// --- a Python container's agent calls our Echo agent -----------------------------------------

/// `interop_peer --codec C [extra...] ADDR`, then the Python client with `client_extra`; the
/// client calls `stop()` last and the binary must exit 0.
async fn python_calls_echo(codec: Codec, peer_extra: &[&str], client_extra: &[&str]) {
    let mut args = vec!["--codec", codec.name()];
    args.extend_from_slice(peer_extra);
    args.push("127.0.0.1:0");
    let rust = RustPeer::start("interop_peer", &args);
    let url = rust.addr().to_owned();
    assert!(
        url.starts_with("tcp://127.0.0.1:") && url.ends_with("/0"),
        "{url}"
    );
    let mut client = vec!["client", &url, "--codec", codec.name(), "--stop"];
    client.extend_from_slice(client_extra);
    PythonPeer::run_checks(PEER, &client).await;
    within(30.0, "interop_peer exits after stop()", rust.exits_ok()).await;
}

#[tokio::test]
async fn python_agent_calls_our_agent_json() {
    python_calls_echo(Codec::Json, &[], &[]).await;
}

#[tokio::test]
async fn python_agent_calls_our_agent_msgpack() {
    python_calls_echo(Codec::MsgPack, &[], &[]).await;
}

#[tokio::test]
async fn python_agent_calls_our_agent_msgpack_blosc() {
    python_calls_echo(Codec::MsgPackBlosc, &[], &[]).await;
}

#[tokio::test]
async fn python_agent_steps_our_external_clock_json() {
    let clock = ["--external-clock", START_DATE];
    python_calls_echo(Codec::Json, &clock, &clock).await;
}

#[tokio::test]
async fn python_agent_steps_our_external_clock_msgpack() {
    let clock = ["--external-clock", START_DATE];
    python_calls_echo(Codec::MsgPack, &clock, &clock).await;
}

#[tokio::test]
async fn python_agent_steps_our_external_clock_msgpack_blosc() {
    let clock = ["--external-clock", START_DATE];
    python_calls_echo(Codec::MsgPackBlosc, &clock, &clock).await;
}

/// Both containers on Unix sockets (`ipc://[PATH]/ID` addresses); SIGTERM stops our binary,
/// which removes its socket file.
#[tokio::test]
async fn python_agent_calls_our_agent_over_unix_sockets() {
    let ours = temp_socket_path("agent-rust");
    let theirs = temp_socket_path("agent-python");
    let rust = RustPeer::start(
        "interop_peer",
        &["--codec", "msgpack", ours.to_str().unwrap()],
    );
    let url = rust.addr().to_owned();
    assert_eq!(url, format!("ipc://[{}]/0", ours.display()));
    PythonPeer::run_checks(
        PEER,
        &[
            "client",
            &url,
            "--codec",
            "msgpack",
            "--listen",
            theirs.to_str().unwrap(),
        ],
    )
    .await;
    rust.terminate();
    within(30.0, "interop_peer exits on SIGTERM", rust.exits_ok()).await;
    assert!(!ours.exists(), "{} was left behind", ours.display());
}

/// Both containers with `SSLCerts(ca, cert, key)`: the Python agent's calls to us and our
/// agent's calls back into the Python container (`call_url`) are mutual TLS.
#[tokio::test]
async fn python_agent_calls_our_agent_over_tls() {
    // One certificate for 127.0.0.1 that both containers use, as servers and as clients.
    let pki = Pki::new();
    pki.leaf("peer", &["localhost", "127.0.0.1"]);
    let (ca, cert, key) = (pki.arg("ca.pem"), pki.arg("peer.pem"), pki.arg("peer.key"));
    let tls = ["--tls", ca.as_str(), cert.as_str(), key.as_str()];
    python_calls_echo(Codec::MsgPackBlosc, &tls, &tls).await;
}

// --- our container calls a Python agent -----------------------------------------------------

/// The interface of `agent_peer.py`'s `PyAgent`, which has no Rust implementation.
#[aiomas::proxy]
trait PyAgent {
    async fn greet(&self, who: String) -> String;
    async fn add(&self, a: i64, b: i64) -> i64;
    async fn fail(&self, message: String) -> Value;
    async fn echo(&self, value: Value) -> Value;
    async fn tomorrow(&self, date: Date) -> Date;
    async fn utcnow(&self) -> Date;
    async fn ping(&self) -> u64;
    async fn call_back(&self, proxy: ServiceRef, method: String, args: Vec<Value>) -> Value;
}

/// Our agent: the Python agent calls it back.
struct Caller {
    ctx: AgentContext,
    pings: AtomicU64,
}

#[aiomas::agent]
impl Caller {
    #[expose]
    fn ping(&self) -> u64 {
        self.pings.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Connects to the Python agent at `url` from this agent's container and has it call us
    /// back: returns what our `ping()` returned to it.
    #[expose]
    async fn introduce(&self, url: String) -> Result<Value, Error> {
        let agent: PyAgentProxy = self.ctx.connect_as(&url).await?;
        agent.call_back(self.ctx.me(), "ping".into(), vec![]).await
    }
}

fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn rust_calls_python(codec: Codec, python_addr: &str, our_addr: Addr) {
    let peer =
        PythonPeer::start_async(PEER, &["server", python_addr, "--codec", codec.name()]).await;
    let url = peer.addr().to_owned();
    let container = within(
        10.0,
        "create our container",
        Container::create(our_addr, ContainerOptions::default().codec(codec)),
    )
    .await
    .unwrap();
    let caller = container
        .spawn(|ctx| Caller {
            ctx,
            pings: AtomicU64::new(0),
        })
        .unwrap();

    within(60.0, "calls into the Python agent", async {
        // Typed.
        let agent: PyAgentProxy = container
            .connect_as(&url, Retry::For(Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(agent.to_string(), format!("PyAgentProxy('{url}')"));
        assert_eq!(agent.greet("Rust".into()).await.unwrap(), "Hello, Rust!");
        assert_eq!(agent.add(40, 2).await.unwrap(), 42);
        assert_eq!(agent.add(i64::MAX - 1, 1).await.unwrap(), i64::MAX);
        let value = Value::Map(vec![
            (
                "ünïcødé".into(),
                Value::List(vec![1.into(), Value::Nil, 2.5.into()]),
            ),
            ("big".into(), Value::UInt(u64::MAX)),
        ]);
        assert_eq!(agent.echo(value.clone()).await.unwrap(), value);
        let date: Date = "2016-02-28T12:00:00.250000+01:00".parse().unwrap();
        let next = agent.tomorrow(date).await.unwrap();
        assert_eq!(next.to_string(), "2016-02-29T12:00:00.250000+01:00");
        let date_value = agent.echo(Value::from(date)).await.unwrap();
        assert_eq!(
            date_value,
            Value::from(date),
            "an Arrow date comes back as one"
        );
        let now = agent.utcnow().await.unwrap();
        assert!((now.timestamp() - unix_seconds()).abs() < 60, "{now}");
        assert_eq!(agent.ping().await.unwrap(), 1);
        assert_eq!(agent.ping().await.unwrap(), 2);

        let err = remote_error("fail()", agent.fail("boom: ünïcødé".into()).await);
        assert_eq!(err.kind(), Some("ValueError"), "{err}");
        assert_eq!(err.message(), "boom: ünïcødé");
        assert!(err.traceback().starts_with("Traceback"), "{err}");

        // The Python agent calls us back on the same connection.
        let got = agent
            .call_back(caller.ctx.me(), "ping".into(), vec![])
            .await
            .unwrap();
        assert_eq!(got, Value::from(1));
        assert_eq!(caller.pings.load(Ordering::SeqCst), 1);
        let err = remote_error(
            "call_back(nope)",
            agent
                .call_back(caller.ctx.me(), "nope".into(), vec![])
                .await,
        );
        assert_eq!(err.kind(), Some("LookupError"), "{err}");

        // Dynamic, with a keyword argument; the connection is shared with the typed proxy.
        check_dynamic_proxy(&container, &url, agent.proxy(), "PyAgentProxy", "Rust").await;

        // Our agent's own method connects and calls (its container's connection).
        assert_eq!(caller.introduce(url.clone()).await.unwrap(), Value::from(2));

        // Concurrent calls get their own results.
        check_concurrent_adds(|i| {
            let agent = agent.clone();
            async move { agent.add(i, i).await.unwrap() }
        })
        .await;

        // A missing agent.
        let err = no_such_agent(&container, &url).await;
        assert!(
            err.to_string()
                .starts_with("Agent \"7\" does not exist in Container("),
            "{err}"
        );
    })
    .await;

    within(20.0, "shut our container down", container.shutdown()).await;
    peer.stop_ok_async().await;
}

#[tokio::test]
async fn our_agent_calls_a_python_agent_json() {
    rust_calls_python(Codec::Json, "127.0.0.1:0", Addr::tcp("127.0.0.1", 0)).await;
}

#[tokio::test]
async fn our_agent_calls_a_python_agent_msgpack() {
    rust_calls_python(Codec::MsgPack, "127.0.0.1:0", Addr::tcp("127.0.0.1", 0)).await;
}

#[tokio::test]
async fn our_agent_calls_a_python_agent_msgpack_blosc() {
    rust_calls_python(
        Codec::MsgPackBlosc,
        "127.0.0.1:0",
        Addr::tcp("127.0.0.1", 0),
    )
    .await;
}

#[tokio::test]
async fn our_agent_calls_a_python_agent_over_unix_sockets() {
    let theirs = temp_socket_path("agent-python");
    let ours = temp_socket_path("agent-rust");
    rust_calls_python(Codec::Json, theirs.to_str().unwrap(), Addr::unix(&ours)).await;
}

// --- the container CLI (sub-process containers) ---------------------------------------------

#[tokio::test]
async fn python_master_drives_the_container_cli_json() {
    let bin = example_bin("container");
    PythonPeer::run_checks(PEER, &["master", bin.to_str().unwrap(), "--codec", "json"]).await;
}

/// The Python docs' example uses MsgPackBlosc.
#[tokio::test]
async fn python_master_drives_the_container_cli_msgpack_blosc() {
    let bin = example_bin("container");
    PythonPeer::run_checks(
        PEER,
        &["master", bin.to_str().unwrap(), "--codec", "msgpack-blosc"],
    )
    .await;
}

/// The manager agent's interface (`aiomas.subproc.Manager`).
#[aiomas::proxy]
trait Manager {
    async fn spawn(&self, qualname: String, #[args] args: Vec<Value>) -> (Proxy, String);
    async fn set_time(&self, time: f64) -> Value;
    async fn stop(&self) -> Value;
}

/// Part of the interface of `examples/shared/echo.rs`'s `Echo` agent.
#[aiomas::proxy]
trait Echo {
    async fn time(&self) -> f64;
    async fn utcnow(&self) -> Date;
    async fn count(&self) -> i64;
    async fn sleep(&self, dt: f64) -> f64;
    async fn sleeping(&self) -> usize;
}

/// A Rust master in the test process: spawn, set the time, and SIGTERM instead of `stop()`.
#[tokio::test]
async fn rust_master_drives_the_container_cli_and_sigterm_stops_it() {
    let cli = RustPeer::start(
        "container",
        &[
            "--start-date=2010-03-27T00:00:00+01:00",
            "-l",
            "warning",
            "--codec",
            "msgpack",
            "127.0.0.1:0",
        ],
    );
    let manager_url = cli.addr().to_owned();
    let container = Container::create(
        Addr::tcp("127.0.0.1", 0),
        ContainerOptions::default().codec(Codec::MsgPack),
    )
    .await
    .unwrap();
    within(30.0, "drive the container CLI", async {
        let manager: ManagerProxy = container
            .connect_as(&manager_url, Retry::Never)
            .await
            .unwrap();
        assert_eq!(
            manager.to_string(),
            format!("ManagerProxy('{manager_url}')")
        );
        let (spawned, addr) = manager.spawn("echo:Echo".into(), vec![]).await.unwrap();
        assert_eq!(addr, format!("{}1", manager_url.trim_end_matches('0')));
        let through_spawn = EchoProxy::from_proxy(spawned);
        assert_eq!(through_spawn.count().await.unwrap(), 1);
        let echo: EchoProxy = container.connect_as(&addr, Retry::Never).await.unwrap();
        assert_eq!(echo.to_string(), format!("EchoProxy('{addr}')"));
        assert_eq!(echo.count().await.unwrap(), 2);
        // ExternalClock(start_date, init_time=-1)
        assert_eq!(echo.time().await.unwrap(), -1.0);
        assert_eq!(
            echo.utcnow().await.unwrap().to_string(),
            "2010-03-26T22:59:59+00:00"
        );
        let sleeper = {
            let echo = echo.clone();
            tokio::spawn(async move { echo.sleep(2.0).await })
        };
        // Requests are handled in parallel tasks: wait until the sleep is registered.
        while echo.sleeping().await.unwrap() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!sleeper.is_finished(), "sleep(2) ended before set_time");
        assert_eq!(manager.set_time(1.5).await.unwrap(), Value::Nil);
        assert_eq!(sleeper.await.unwrap().unwrap(), 2.0);
        assert_eq!(echo.time().await.unwrap(), 1.5);
        assert_eq!(
            echo.utcnow().await.unwrap().to_string(),
            "2010-03-26T23:00:01.500000+00:00"
        );
        let err = remote_error("set_time(1.0)", manager.set_time(1.0).await);
        assert_eq!(err.kind(), Some("ValueError"), "{err}");
        let (_, counter) = manager
            .spawn("echo:Counter".into(), vec![7.into()])
            .await
            .unwrap();
        let counter = container.connect(&counter, Retry::Never).await.unwrap();
        assert_eq!(counter.call("next", vec![]).await.unwrap(), Value::from(7));
        assert_eq!(counter.call("next", vec![]).await.unwrap(), Value::from(8));
    })
    .await;
    cli.terminate();
    within(30.0, "the container CLI exits on SIGTERM", cli.exits_ok()).await;
    within(20.0, "shut our container down", container.shutdown()).await;
}

#[test]
fn command_lines_are_checked() {
    let PeerOutput { status, stdout, .. } = run_example("container", &["--help"]);
    assert_eq!(status.code(), Some(0));
    assert!(
        stdout.starts_with("usage: container --start-date ISO8601"),
        "{stdout}"
    );
    let PeerOutput { status, stdout, .. } = run_example("interop_peer", &["-h"]);
    assert_eq!(status.code(), Some(0));
    assert!(stdout.starts_with("usage: interop_peer"), "{stdout}");

    let bad: &[(&str, &[&str], &str)] = &[
        ("container", &["127.0.0.1:0"], "--start-date is required"),
        (
            "container",
            &["--start-date", START_DATE],
            "HOST:PORT is required",
        ),
        (
            "container",
            &["--start-date", "yesterday", "127.0.0.1:0"],
            "invalid date",
        ),
        (
            "container",
            &["--start-date", START_DATE, "-l", "loud", "127.0.0.1:0"],
            "invalid log level",
        ),
        (
            "container",
            &["--start-date", START_DATE, "--codec", "xml", "127.0.0.1:0"],
            "invalid codec",
        ),
        (
            "container",
            &["--start-date", START_DATE, "localhost"],
            "invalid address",
        ),
        (
            "container",
            &["--start-date", START_DATE, "--nope", "127.0.0.1:0"],
            "unknown option --nope",
        ),
        (
            "container",
            &["--start-date", START_DATE, "127.0.0.1:0", "extra"],
            "unexpected argument",
        ),
        ("container", &["--start-date"], "expects a value"),
        ("interop_peer", &[], "ADDR is required"),
        (
            "interop_peer",
            &["--external-clock", "soon", "127.0.0.1:0"],
            "invalid date",
        ),
        (
            "interop_peer",
            &["--tls", "ca.pem", "127.0.0.1:0"],
            "expects a value",
        ),
    ];
    for (name, args, why) in bad {
        let PeerOutput {
            status,
            stdout,
            stderr,
        } = run_example(name, args);
        assert_eq!(
            status.code(),
            Some(2),
            "`{name} {}`: {stderr}",
            args.join(" ")
        );
        assert!(
            stdout.is_empty(),
            "`{name} {}` printed {stdout:?}",
            args.join(" ")
        );
        assert!(
            stderr.contains("usage: ") && stderr.contains(why),
            "`{name} {}`: expected {why:?} in\n{stderr}",
            args.join(" ")
        );
    }
    // A TLS file that does not exist is no usage error, but the binary fails cleanly.
    let PeerOutput { status, stderr, .. } = run_example(
        "interop_peer",
        &[
            "--tls",
            "/nonexistent/ca",
            "/nonexistent/c",
            "/nonexistent/k",
            "127.0.0.1:0",
        ],
    );
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("interop_peer: "), "{stderr}");
}
