//! Step rate of a 1,000-entity mosaik simulator: mosaik-api-v3's Python `example_sim` vs our
//! Rust port (`examples/mosaik_example_sim.rs`), in one run, as ratios.
//!
//! 1. **Driven directly**: a Rust stand-in for mosaik sends what mosaik sends per step to an
//!    ExampleSim with 1,000 `B` entities: `step` with one input per entity, then `get_data`
//!    of every `val_out`. Measures the simulator and its wire handling alone.
//! 2. **Under mosaik 3.6.0** (`tests/python/mosaik_bench.py`): 1,000 `A` feeding 1,000 `B`
//!    in two ExampleSims; mosaik's own scheduling is included, as a user sees it.
//!
//! Needs the release build of the example and the test venv:
//!
//! ```text
//! cargo build --release -p aiomas-examples --example mosaik_example_sim
//! cargo bench -p aiomas-tests --bench mosaik
//! ```

use std::process::{Command, Stdio};
use std::time::Instant;

use aiomas::channel::{self, Addr, Channel, ChannelOptions};
use aiomas::Value;
use aiomas_tests::{python, python_dir, target_dir};

const ENTITIES: usize = 1_000;
const DIRECT_STEPS: u64 = 200;
const MOSAIK_STEPS: &str = "100";

fn call(method: &str, args: Vec<Value>, kwargs: Vec<(&str, Value)>) -> Value {
    let kwargs = kwargs.into_iter().map(|(k, v)| (k.into(), v)).collect();
    Value::List(vec![method.into(), Value::List(args), Value::Map(kwargs)])
}

fn release_example() -> std::path::PathBuf {
    let path = target_dir().join("release/examples/mosaik_example_sim");
    assert!(
        path.is_file(),
        "build it first: cargo build --release -p aiomas-examples --example mosaik_example_sim"
    );
    path
}

/// Steps per second of the simulator started by `command` (given `HOST:PORT` as last arg).
async fn direct_rate(mut command: Command) -> f64 {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Channel>(1);
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
    let port = server.addr().port().expect("port");
    let mut child = command
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the simulator");
    let sim = rx.recv().await.expect("the simulator connects");
    let init = call(
        "init",
        vec!["S-0".into()],
        vec![("time_resolution", 1.0.into())],
    );
    sim.send(init).await.expect("init");
    let create = call(
        "create",
        vec![ENTITIES.into(), "B".into()],
        vec![("init_val", 0.into())],
    );
    sim.send(create).await.expect("create");
    let eids: Vec<String> = (0..ENTITIES).map(|i| format!("0.{i}")).collect();
    let outputs = Value::Map(
        eids.iter()
            .map(|e| (e.as_str().into(), Value::List(vec!["val_out".into()])))
            .collect(),
    );
    let start = Instant::now();
    for time in 0..DIRECT_STEPS {
        let inputs = Value::Map(
            eids.iter()
                .map(|e| {
                    let src = Value::Map(vec![(format!("X-0.{e}").into(), time.into())]);
                    (e.as_str().into(), Value::Map(vec![("val_in".into(), src)]))
                })
                .collect(),
        );
        let step = call(
            "step",
            vec![time.into(), inputs, (DIRECT_STEPS * 2).into()],
            vec![],
        );
        sim.send(step).await.expect("step");
        let data = sim
            .send(call("get_data", vec![outputs.clone()], vec![]))
            .await
            .expect("get_data");
        assert_eq!(data.as_map().map(<[_]>::len), Some(ENTITIES));
    }
    let rate = DIRECT_STEPS as f64 / start.elapsed().as_secs_f64();
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        sim.send(call("stop", vec![], vec![])),
    )
    .await;
    let _ = child.wait();
    rate
}

/// Steps per second of `mosaik_bench.py --sim IMPL`.
fn mosaik_rate(implementation: &str) -> f64 {
    let output = Command::new(python())
        .arg(python_dir().join("mosaik_bench.py"))
        .args(["--sim", implementation, "--until", MOSAIK_STEPS])
        .current_dir(python_dir())
        .env("AIOMAS_EXAMPLES_DIR", target_dir().join("release/examples"))
        .stderr(Stdio::null())
        .output()
        .expect("run mosaik_bench.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("STEPS_PER_S {implementation} ")))
        .and_then(|rate| rate.trim().parse().ok())
        .unwrap_or_else(|| panic!("mosaik_bench.py --sim {implementation} printed:\n{stdout}"))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let rust = runtime.block_on(direct_rate(Command::new(release_example())));
    let mut py = Command::new(python());
    py.arg(python_dir().join("mosaik_python_example.py"))
        .arg("sim");
    let python_rate = runtime.block_on(direct_rate(py));
    println!("direct, {ENTITIES} entities, step + get_data per step:");
    println!("  Python example_sim: {python_rate:8.1} steps/s");
    println!(
        "  Rust port:          {rust:8.1} steps/s ({:.1}x)",
        rust / python_rate
    );
    let rust = mosaik_rate("rust");
    let python_rate = mosaik_rate("python");
    println!("under mosaik 3.6.0, {ENTITIES} A -> {ENTITIES} B, {MOSAIK_STEPS} steps:");
    println!("  Python example_sim: {python_rate:8.1} steps/s");
    println!(
        "  Rust port:          {rust:8.1} steps/s ({:.1}x)",
        rust / python_rate
    );
}
