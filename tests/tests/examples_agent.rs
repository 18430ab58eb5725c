//! The agent examples (`examples/{hello_world,caller_callee,test_agent,sleeper,demo}.rs`) print
//! what the agent and clocks guides of Python aiomas print, with the port the container got
//! in place of 5555. The binaries must be built first: `cargo build --workspace --examples`.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aiomas_tests::example_bin;

/// How long one example may run.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs the example `name` with `args`; returns its exit status, stdout and stderr. It must
/// finish within [`TIMEOUT`].
fn run(name: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let mut child = Command::new(example_bin(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run example {name}: {err}"));
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the example") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example {name} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    (status, stdout, stderr)
}

/// Runs the example `name` with `args` and returns its stdout; it must exit 0.
fn run_ok(name: &str, args: &[&str]) -> String {
    let (status, stdout, stderr) = run(name, args);
    assert!(
        status.success(),
        "example {name} failed ({status}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    stdout
}

/// The container address `tcp://127.0.0.1:PORT` that `output` starts using: the first
/// `tcp://127.0.0.1:` followed by a port and a `/`.
fn container_url(output: &str) -> String {
    const PREFIX: &str = "tcp://127.0.0.1:";
    let start = output
        .find(PREFIX)
        .unwrap_or_else(|| panic!("no {PREFIX}PORT in the output:\n{output}"));
    let rest = &output[start + PREFIX.len()..];
    let digits = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let port: u16 = rest[..digits]
        .parse()
        .unwrap_or_else(|_| panic!("no port after {PREFIX} in the output:\n{output}"));
    assert_ne!(port, 0, "the container reports its real port, not 0");
    assert!(
        rest[digits..].starts_with('/'),
        "an agent id follows the port:\n{output}"
    );
    format!("{PREFIX}{port}")
}

#[test]
fn hello_world_greets_three_times() {
    assert_eq!(
        run_ok("hello_world", &[]),
        "Monty says:\nHello, World!\nHello, World!\nHello, World!\n"
    );
}

#[test]
fn caller_gets_spam_from_callee() {
    let output = run_ok("caller_callee", &[]);
    let c = container_url(&output);
    assert_eq!(
        output,
        format!(
            "Caller('{c}/1') connecting to {c}/0\n\
             Caller('{c}/1') connected to CalleeProxy('{c}/0')\n\
             Caller('{c}/1') got spamspamspam\n"
        )
    );
}

#[test]
fn test_agents_say_hello_and_call_each_other() {
    let output = run_ok("test_agent", &[]);
    let c = container_url(&output);
    assert_eq!(
        output,
        format!(
            "Ohai, I am TestAgent('{c}/0')\n\
             Ohai, I am TestAgent('{c}/1')\n\
             TestAgent('{c}/0') got 42 from TestAgentProxy('{c}/1')\n"
        )
    );
}

#[test]
fn sleeper_wakes_up_when_the_external_clock_moves_on() {
    let output = run_ok("sleeper", &[]);
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 2, "two lines:\n{output}");
    assert_eq!(lines[0], "Gonna sleep for 1s ...");
    // How long it took in real time is for the reader, not for the test.
    let seconds = lines[1]
        .strip_prefix("Agent process finished after ")
        .and_then(|rest| rest.strip_suffix('s'))
        .unwrap_or_else(|| panic!("unexpected second line: {:?}", lines[1]));
    let (whole, tenths) = seconds
        .split_once('.')
        .unwrap_or_else(|| panic!("seconds with one decimal: {seconds:?}"));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && tenths.len() == 1
            && tenths.bytes().all(|b| b.is_ascii_digit()),
        "seconds with one decimal: {seconds:?}"
    );
}

/// The fields of the demo's summary line `agents: A  calls: C  seconds: S  calls/s: R`.
fn demo_summary(output: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 1, "one summary line:\n{output}");
    lines[0]
        .split("  ")
        .map(|field| {
            let (key, value) = field
                .split_once(": ")
                .unwrap_or_else(|| panic!("`key: value` fields: {output:?}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

#[test]
fn demo_makes_every_call_between_the_two_containers() {
    let output = run_ok("demo", &["--agents", "50", "--calls-per-agent", "10"]);
    let fields = demo_summary(&output);
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["agents", "calls", "seconds", "calls/s"], "{output}");
    assert_eq!(fields[0].1, "100", "50 agents in each of two containers");
    assert_eq!(fields[1].1, "1000", "100 agents x 10 calls");
    let seconds = &fields[2].1;
    assert!(
        seconds.parse::<f64>().is_ok_and(|s| s >= 0.0)
            && seconds.split('.').nth(1).map(str::len) == Some(2),
        "seconds with two decimals: {seconds:?}"
    );
    assert!(
        fields[3].1.parse::<u64>().is_ok(),
        "calls/s as a whole number: {output}"
    );
}

#[test]
fn demo_with_one_agent_per_container() {
    let fields = demo_summary(&run_ok(
        "demo",
        &["--agents", "1", "--calls-per-agent", "3"],
    ));
    assert_eq!(fields[0], ("agents".to_owned(), "2".to_owned()));
    assert_eq!(fields[1], ("calls".to_owned(), "6".to_owned()));
}

#[test]
fn demo_refuses_unknown_arguments() {
    let (status, stdout, stderr) = run("demo", &["--bogus", "1"]);
    assert!(!status.success(), "exit status {status}, stdout:\n{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("--bogus"), "{stderr}");
    let (status, _, stderr) = run("demo", &["--agents", "many"]);
    assert!(!status.success());
    assert!(stderr.contains("--agents needs a number"), "{stderr}");
}
