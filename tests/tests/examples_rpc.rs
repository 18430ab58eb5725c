//! The RPC examples (`examples/rpc_*.rs`) print exactly what the RPC guide of Python aiomas
//! prints. The binaries must be built first: `cargo build --workspace --examples`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aiomas_tests::example_bin;

/// How long one example may run.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the example `name` and returns its stdout; it must exit 0 within [`TIMEOUT`].
fn run_example(name: &str) -> String {
    let mut child = Command::new(example_bin(name))
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
    assert!(
        status.success(),
        "example {name} failed ({status}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    stdout
}

#[test]
fn rpc_math_prints_the_sum() {
    assert_eq!(run_example("rpc_math"), "What’s 3 + 4? 7\n");
}

#[test]
fn rpc_dict_prints_the_sum() {
    assert_eq!(run_example("rpc_dict"), "What’s 3 + 4? 7\n");
}

#[test]
fn rpc_hierarchy_prints_sum_and_difference() {
    assert_eq!(
        run_example("rpc_hierarchy"),
        "What’s 3 + 4? 7\nWhat’s 4 - 3? 1\n"
    );
}

#[test]
fn rpc_callbacks_prints_the_client_name() {
    assert_eq!(
        run_example("rpc_callbacks"),
        "Server reply: Client name is \"Monty\"\n"
    );
}
