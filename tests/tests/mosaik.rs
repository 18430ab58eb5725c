//! Our mosaik simulators (`aiomas::mosaik`, `examples/mosaik_example_{sim,mas}.rs`) under the
//! REAL mosaik 3.6.0 and next to mosaik-api-v3's Python originals, plus the wire behaviour
//! seen from a stand-in for mosaik.
//!
//! - `*_port_*`: `tests/python/mosaik_scenario.py` runs its scenarios with the Python
//!   `example_sim` / `example_mas` or our ports (either or both), by the `cmd` starter or the
//!   `connect` starter; what a collector receives (scenario `data`) and what ExampleMAS
//!   prints (scenario `mas`) must be byte-identical to the all-Python run.
//! - `errors_*`: `tests/python/mosaik_checks.py` (Python's error texts as `RemoteException`
//!   type and message, extra methods, NaN/Infinity) against both implementations.
//! - `python_aiomas_agents_*`: a Python MAS of aiomas 2.0.1 agents
//!   (`tests/python/mosaik_aiomas_mas.py`) reading and writing our Rust ExampleSim through
//!   mosaik's async requests.
//! - `wire_*`: a Rust stand-in for mosaik drives the example binary: `stop` gets no reply
//!   and the process exits 0, so does a closed connection; failure lists; `setup_done`.
//!
//! The example binaries must be built first (`cargo build --workspace --examples`).

use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use aiomas::channel::{self, Addr, Channel, ChannelOptions};
use aiomas::{Error, Value};
use aiomas_tests::{
    capture, example_bin, python, python_dir, spawn_example, target_dir, wait_for_exit, within,
    Captured, PeerOutput,
};

/// How long one scenario may run (mosaik starts three simulator processes).
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `tests/python/<script> args` with the venv's python (which has mosaik) and returns
/// what it printed; the Rust examples are found through `$AIOMAS_EXAMPLES_DIR`.
fn run_script(script: &str, args: &[&str]) -> PeerOutput {
    // Fails clearly if the examples are not built.
    example_bin("mosaik_example_sim");
    example_bin("mosaik_example_mas");
    let mut child = Command::new(python())
        .arg("-u")
        .arg(python_dir().join(script))
        .args(args)
        .current_dir(python_dir())
        .env(
            "AIOMAS_EXAMPLES_DIR",
            target_dir().join("debug").join("examples"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {script}: {err}"));
    let (stdout, stderr) = (Captured::default(), Captured::default());
    let readers = [
        capture(child.stdout.take().expect("piped"), stdout.clone(), None),
        capture(child.stderr.take().expect("piped"), stderr.clone(), None),
    ];
    let status = wait_for_exit(&mut child, SCENARIO_TIMEOUT);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    for reader in readers {
        let _ = reader.join();
    }
    let text = |c: &Captured| c.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let output = PeerOutput {
        status: status
            .unwrap_or_else(|| panic!("{script} {args:?} ran longer than {SCENARIO_TIMEOUT:?}")),
        stdout: text(&stdout),
        stderr: text(&stderr),
    };
    assert!(
        output.status.success(),
        "{script} {args:?} failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        output.stdout,
        output.stderr
    );
    output
}

/// The stdout of `mosaik_scenario.py SCENARIO` with these implementations and starter.
fn scenario(name: &str, sim: &str, mas: &str, starter: &str) -> String {
    run_script(
        "mosaik_scenario.py",
        &[name, "--sim", sim, "--mas", mas, "--starter", starter],
    )
    .stdout
}

/// The all-Python run of scenario `data` or `mas`, computed once each.
fn python_baseline(name: &str) -> &'static str {
    static DATA: OnceLock<String> = OnceLock::new();
    static MAS: OnceLock<String> = OnceLock::new();
    let cell = if name == "data" { &DATA } else { &MAS };
    cell.get_or_init(|| {
        let out = scenario(name, "python", "python", "cmd");
        // The baseline itself must show a real simulation, or "identical" means nothing.
        if name == "data" {
            let collected = out.strip_prefix("COLLECTED ").expect("COLLECTED line");
            assert_eq!(collected.matches("\"val_out\"").count(), 6, "{out}");
            assert!(collected.contains(r#""4": 5.5"#), "{out}");
        } else {
            assert_eq!(out.matches("Progress: ").count(), 5, "{out}");
            assert!(
                out.contains("'ExampleSim-1.0.0': {'sid': 'ExampleSim-1', 'type': 'B'}"),
                "{out}"
            );
            assert!(
                out.contains("'val_out': 25.5"),
                "set_data reached B:\n{out}"
            );
        }
        out
    })
}

fn assert_same(name: &str, label: &str, got: &str) {
    let want = python_baseline(name);
    assert!(
        got == want,
        "{label} differs from the all-Python run\n--- Python ---\n{want}\n--- {label} ---\n{got}"
    );
}

#[test]
fn example_sim_port_gives_the_collector_the_same_data() {
    assert_same(
        "data",
        "Rust example_sim",
        &scenario("data", "rust", "python", "cmd"),
    );
}

#[test]
fn example_sim_port_gives_the_original_mas_the_same_data() {
    assert_same(
        "mas",
        "Rust example_sim",
        &scenario("mas", "rust", "python", "cmd"),
    );
}

#[test]
fn example_mas_port_prints_and_sets_the_same_as_the_original() {
    assert_same(
        "mas",
        "Rust example_mas",
        &scenario("mas", "python", "rust", "cmd"),
    );
}

#[test]
fn both_ports_together_match_the_original() {
    assert_same(
        "mas",
        "Rust example_sim + example_mas",
        &scenario("mas", "rust", "rust", "cmd"),
    );
}

/// The `connect` starter: each Rust simulator listens (`-r 127.0.0.1:0`), mosaik connects;
/// after `stop` each exits with 0.
#[test]
fn ports_started_with_the_connect_starter_match_and_exit_0() {
    for (name, codes) in [("data", "[0, 0]"), ("mas", "[0, 0, 0]")] {
        let out = scenario(name, "rust", "rust", "connect");
        let (body, last) = out
            .trim_end()
            .rsplit_once('\n')
            .expect("more than one line");
        assert_eq!(last, format!("EXIT CODES {codes}"), "{out}");
        assert_same(
            name,
            "Rust ports by the connect starter",
            &format!("{body}\n"),
        );
    }
}

/// `examples/mosaik_agents.rs` under mosaik: two watcher agents fed by ExampleSim `A`
/// entities (init_val 0 and 10, step_size 3: values 3, 6, 9, 12 and 13, 16, 19, 22 at times
/// 0, 3, 6, 9), threshold 5, patrolling every 2 s of the container's clock, until 10.
/// The simulator is stepped at its inputs' times and at the agents' wake-ups (0, 2, 3, 4, 6,
/// 8, 9); at each, an agent has counted every input above 5 so far (`alarms`) and has
/// patrolled once per 2 s passed, each time asking mosaik for the progress (`patrols`).
#[test]
fn agents_follow_mosaik_time() {
    let out = run_script(
        "mosaik_scenario.py",
        &["agents", "--sim", "rust", "--until", "10"],
    )
    .stdout;
    let times: Vec<u64> = (0..10).filter(|t| t % 2 == 0 || t % 3 == 0).collect();
    let expected_watcher = |init_val: u64| {
        let mut alarms = 0;
        let mut alarms_json = Vec::new();
        let mut patrols_json = Vec::new();
        for &t in &times {
            let value = init_val + 3 * (t / 3 + 1);
            if value > 5 {
                alarms += 1;
            }
            alarms_json.push(format!("\"{t}\": {alarms}"));
            patrols_json.push(format!("\"{t}\": {}", t / 2));
        }
        format!(
            "{{\"alarms\": {{{}}}, \"patrols\": {{{}}}}}",
            alarms_json.join(", "),
            patrols_json.join(", ")
        )
    };
    let want = format!(
        "COLLECTED {{\"Watchers-0.0\": {}, \"Watchers-0.1\": {}}}\n",
        expected_watcher(0),
        expected_watcher(10)
    );
    assert_eq!(out, want);
}

/// A Python MAS of aiomas agents (`tests/python/mosaik_aiomas_mas.py`: aiomas 2.0.1 agents
/// in an aiomas container, called over aiomas RPC each step) coupled to the Rust ExampleSim
/// by mosaik: `Controller_0` (factor 2) reads `A` 0.0 (init_val 1), `Controller_1` (factor 3)
/// reads `A` 1.0 (init_val 10), both by async `get_data`, and both `set_data` factor times
/// what they read on `val_in` of the one `B` 2.0, which sums its inputs.
///
/// `A` at time t is init_val + t + 1. mosaik answers an async `get_data` at step t from its
/// output cache at the asker's previous step (t - 1; at 0 there is none and it asks the
/// simulator: A at 0). `B` at t > 0 is the sum of what the agents wrote at t - 1 (set_data
/// becomes the inputs of B's next step); at 0 it is its init_val 0. The Python example_sim in
/// the same place gives the same bytes.
#[test]
fn python_aiomas_agents_read_and_write_the_rust_simulator() {
    let run = |sim| {
        run_script(
            "mosaik_scenario.py",
            &["aiomas", "--sim", sim, "--until", "5"],
        )
        .stdout
    };
    let series = |f: &dyn Fn(i64) -> i64| {
        let points: Vec<String> = (0..5).map(|t| format!("\"{t}\": {}", f(t))).collect();
        format!("{{{}}}", points.join(", "))
    };
    let a = |init: i64, t: i64| init + t + 1;
    let read = |init: i64, t: i64| a(init, (t - 1).max(0));
    let agent = |init: i64, factor: i64| {
        format!(
            "{{\"read\": {}, \"wrote\": {}}}",
            series(&|t| read(init, t)),
            series(&|t| factor * read(init, t))
        )
    };
    let b = |t: i64| {
        if t == 0 {
            0
        } else {
            2 * read(1, t - 1) + 3 * read(10, t - 1)
        }
    };
    let want = format!(
        "COLLECTED {{\"AiomasMAS-0.Controller_0\": {}, \"AiomasMAS-0.Controller_1\": {}, \
         \"ExampleSim-0.0.0\": {{\"val_out\": {}}}, \"ExampleSim-0.1.0\": {{\"val_out\": {}}}, \
         \"ExampleSim-0.2.0\": {{\"val_out\": {}}}}}\n",
        agent(1, 2),
        agent(10, 3),
        series(&|t| a(1, t)),
        series(&|t| a(10, t)),
        series(&b)
    );
    assert_eq!(run("rust"), want);
    // Spelled out for the reader: what B (Rust) produced from what the agents wrote.
    assert!(
        want.contains(
            r#""ExampleSim-0.2.0": {"val_out": {"0": 0, "1": 37, "2": 37, "3": 42, "4": 47}}"#
        ),
        "{want}"
    );
    assert_eq!(
        run("python"),
        want,
        "the Python example_sim in the same scenario"
    );
}

fn assert_checks_pass(args: &[&str]) {
    let out = run_script("mosaik_checks.py", args).stdout;
    let last = out.trim_end().lines().last().unwrap_or_default();
    assert!(last.starts_with("OK "), "mosaik_checks.py {args:?}:\n{out}");
}

#[test]
fn errors_of_the_python_original_are_as_checked() {
    assert_checks_pass(&["--sim", "python"]);
}

/// The same checks (plus a failing `init`, and mosaik's own failure passing through the Rust
/// MAS and back) against the Rust ports.
#[test]
fn errors_of_the_rust_port_reach_mosaik_as_python_ones() {
    assert_checks_pass(&["--sim", "rust", "--mas", "rust"]);
}

// --- the wire, seen from a stand-in for mosaik -------------------------------------------

/// Listens like mosaik's `cmd` starter, starts `mosaik_example_sim HOST:PORT` and returns
/// the simulator's connection and process.
async fn start_example_sim() -> (Channel, std::process::Child) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let server = channel::start_server(
        Addr::tcp("127.0.0.1", 0),
        ChannelOptions::default(),
        move |channel| {
            let _ = tx.try_send(channel);
            async {}
        },
    )
    .await
    .expect("listen");
    let port = server.addr().port().expect("a TCP port");
    let child = spawn_example("mosaik_example_sim", &[&format!("127.0.0.1:{port}")]);
    let channel = within(30.0, "the simulator connects", rx.recv())
        .await
        .expect("a connection");
    (channel, child)
}

fn call(method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Value {
    let kwargs = kwargs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Value::List(vec![method.into(), Value::List(args), Value::Map(kwargs)])
}

async fn send(channel: &Channel, request: Value) -> Result<Value, Error> {
    within(10.0, "a reply", channel.send(request)).await
}

/// `init` with mosaik's arguments and no sim params.
async fn init(channel: &Channel) {
    let request = call(
        "init",
        vec!["S-0".into()],
        vec![("time_resolution", 1.0.into())],
    );
    send(channel, request).await.expect("init");
}

async fn exit_code(mut child: std::process::Child) -> Option<i32> {
    tokio::task::spawn_blocking(move || {
        let status = wait_for_exit(&mut child, Duration::from_secs(10));
        if status.is_none() {
            let _ = child.kill();
        }
        status.and_then(|s| s.code())
    })
    .await
    .expect("join")
}

/// Python's `RemoteException(*content)`: type and message of a failure reply.
fn remote(err: Error) -> (String, String) {
    match err {
        Error::Remote(remote) => (
            remote.kind().unwrap_or_default().to_owned(),
            remote.message().to_owned(),
        ),
        other => panic!("expected a failure reply, got {other}"),
    }
}

#[tokio::test]
async fn wire_a_whole_run_then_stop_without_reply_and_exit_0() {
    let (channel, child) = start_example_sim().await;
    let meta = send(
        &channel,
        call(
            "init",
            vec!["S-0".into()],
            vec![("time_resolution", 1.0.into()), ("step_size", 2.into())],
        ),
    )
    .await
    .expect("init");
    assert_eq!(meta.get("api_version"), Some(&"3.0".into()));
    assert_eq!(meta.get("type"), Some(&"time-based".into()));
    assert_eq!(
        meta.get("extra_methods"),
        Some(&Value::List(vec!["example_method".into()]))
    );
    let created = send(
        &channel,
        call(
            "create",
            vec![1.into(), "B".into()],
            vec![("init_val", 0.into())],
        ),
    )
    .await
    .expect("create");
    assert_eq!(
        created.to_string(),
        r#"[{"eid": "0.0", "type": "B", "rel": []}]"#
    );
    assert_eq!(
        send(&channel, call("setup_done", vec![], vec![]))
            .await
            .expect("setup_done"),
        Value::Nil
    );
    // Python's NaN and Infinity travel as JSON tokens both ways.
    let inputs = |v: Value| {
        Value::Map(vec![(
            "0.0".into(),
            Value::Map(vec![("val_in".into(), Value::Map(vec![("X.a".into(), v)]))]),
        )])
    };
    let next = send(
        &channel,
        call(
            "step",
            vec![0.into(), inputs(f64::INFINITY.into()), 10.into()],
            vec![],
        ),
    )
    .await
    .expect("step");
    assert_eq!(next, Value::Int(2), "time + step_size");
    let outputs = Value::Map(vec![(
        "0.0".into(),
        Value::List(vec!["val_out".into(), "dummy_in".into()]),
    )]);
    let data = send(&channel, call("get_data", vec![outputs.clone()], vec![]))
        .await
        .expect("get_data");
    assert_eq!(data.to_string(), r#"{"0.0": {"val_out": inf}}"#);
    send(
        &channel,
        call(
            "step",
            vec![2.into(), inputs(f64::NAN.into()), 10.into()],
            vec![],
        ),
    )
    .await
    .expect("step");
    let data = send(&channel, call("get_data", vec![outputs], vec![]))
        .await
        .expect("get_data");
    let value = data
        .get("0.0")
        .and_then(|d| d.get("val_out"))
        .and_then(Value::as_f64);
    assert!(value.is_some_and(f64::is_nan), "{data}");

    // `stop` is not answered; the simulator ends and closes the connection.
    let stopped = within(10.0, "stop", channel.send(call("stop", vec![], vec![]))).await;
    assert!(matches!(stopped, Err(Error::Connection(_))), "{stopped:?}");
    assert_eq!(exit_code(child).await, Some(0));
}

#[tokio::test]
async fn wire_closing_the_connection_ends_the_simulator_with_0() {
    let (channel, child) = start_example_sim().await;
    init(&channel).await;
    channel.close().await;
    assert_eq!(exit_code(child).await, Some(0));
}

#[tokio::test]
async fn wire_failures_are_lists_with_python_texts() {
    let (channel, child) = start_example_sim().await;
    init(&channel).await;
    let err = send(&channel, call("nope", vec![], vec![]))
        .await
        .unwrap_err();
    assert_eq!(remote(err), ("KeyError".into(), "'nope'".into()));
    let err = send(
        &channel,
        call("step", vec![0.into(), Value::Map(vec![])], vec![]),
    )
    .await
    .unwrap_err();
    assert_eq!(
        remote(err),
        (
            "TypeError".into(),
            "ExampleSim.step() missing 1 required positional argument: 'max_advance'".into()
        )
    );
    let err = send(
        &channel,
        call(
            "create",
            vec![1.into(), "C".into()],
            vec![("init_val", 0.into())],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(remote(err), ("KeyError".into(), "'C'".into()));
    let err = send(
        &channel,
        call(
            "create",
            vec![1.into(), "A".into()],
            vec![("init_val", 0.into()), ("x", 1.into())],
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        remote(err),
        (
            "TypeError".into(),
            "ExampleSim.create() got an unexpected keyword argument 'x'".into()
        )
    );
    // A failure does not end the simulator.
    let value = send(&channel, call("example_method", vec![7.into()], vec![]))
        .await
        .expect("example_method");
    assert_eq!(value, Value::Int(7));
    channel.close().await;
    assert_eq!(exit_code(child).await, Some(0));
}
