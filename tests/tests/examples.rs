//! The examples print exactly what they should; the binaries must be built first:
//! `cargo build --workspace --examples`.
//!
//! - The channel and TLS examples (`examples/{channel_echo,tls}.rs`) print the `ohai` / `cya`
//!   exchange of the channel and transport security sections of the Python aiomas docs.
//! - The RPC examples (`examples/rpc_*.rs`) print exactly what the RPC guide of Python aiomas
//!   prints.
//! - The agent examples (`examples/{hello_world,caller_callee,test_agent,sleeper,demo}.rs`)
//!   print what the agent and clocks guides of Python aiomas print, with the port the container
//!   got in place of 5555.

use aiomas_tests::{run_example, run_example_ok, PeerOutput};

// --- channels --------------------------------------------------------------------------------

#[test]
fn channel_echo_prints_ohai_and_cya() {
    assert_eq!(run_example_ok("channel_echo", &[]), "ohai\ncya\n");
}

/// Without arguments the example makes a throw-away PKI of its own.
#[test]
fn tls_prints_ohai_and_cya() {
    assert_eq!(run_example_ok("tls", &[]), "ohai\ncya\n");
}

// --- RPC -------------------------------------------------------------------------------------

#[test]
fn rpc_math_prints_the_sum() {
    assert_eq!(run_example_ok("rpc_math", &[]), "What’s 3 + 4? 7\n");
}

#[test]
fn rpc_dict_prints_the_sum() {
    assert_eq!(run_example_ok("rpc_dict", &[]), "What’s 3 + 4? 7\n");
}

#[test]
fn rpc_hierarchy_prints_sum_and_difference() {
    assert_eq!(
        run_example_ok("rpc_hierarchy", &[]),
        "What’s 3 + 4? 7\nWhat’s 4 - 3? 1\n"
    );
}

#[test]
fn rpc_callbacks_prints_the_client_name() {
    assert_eq!(
        run_example_ok("rpc_callbacks", &[]),
        "Server reply: Client name is \"Monty\"\n"
    );
}

// --- agents ----------------------------------------------------------------------------------

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
        run_example_ok("hello_world", &[]),
        "Monty says:\nHello, World!\nHello, World!\nHello, World!\n"
    );
}

#[test]
fn caller_gets_spam_from_callee() {
    let output = run_example_ok("caller_callee", &[]);
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
    let output = run_example_ok("test_agent", &[]);
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
    let output = run_example_ok("sleeper", &[]);
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
    assert_eq!(
        lines.len(),
        3,
        "a summary line and two counter lines:\n{output}"
    );
    fields(lines[0], output)
}

/// The `key: value` fields of a line, separated by two spaces.
fn fields(line: &str, output: &str) -> Vec<(String, String)> {
    line.split("  ")
        .map(|field| {
            let (key, value) = field
                .split_once(": ")
                .unwrap_or_else(|| panic!("`key: value` fields: {output:?}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// The JSON bytes (compact, as serde_json writes them) that cross one of the demo's connections (each container opens one to the
/// other and sends its agents' calls over it): for each agent, its `validate_aid` call, then
/// `calls` pings, with their replies. Request ids are 0, 1, ... in some order; the sum does not
/// depend on which call got which.
fn demo_connection_bytes(agents: u64, calls: u64) -> u64 {
    let frame = |body: String| 4 + body.len() as u64;
    let mut ids = 0_u64..;
    let mut bytes = 0;
    for aid in 0..agents {
        let id = ids.next().unwrap();
        bytes += frame(format!(r#"[0,{id},["validate_aid",["{aid}"],{{}}]]"#));
        bytes += frame(format!(r#"[1,{id},"Pinger"]"#));
        for n in 0..calls {
            let id = ids.next().unwrap();
            bytes += frame(format!(r#"[0,{id},["agents/{aid}/ping",[{n}],{{}}]]"#));
            bytes += frame(format!("[1,{id},{}]", n + 1));
        }
    }
    bytes
}

#[test]
fn demo_prints_the_counters_of_both_containers() {
    let (agents, calls) = (3, 4);
    let output = run_example_ok(
        "demo",
        &["--agents", "3", "--calls-per-agent", "4", "--quiet"],
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines.len(), 3, "{output}");
    // Each container sent its agents' pings and validate_aid calls over the connection it
    // opened, and served the other's over the one it accepted: the bytes out are its requests
    // and its replies, as many as come in.
    let sent = (agents * calls + agents).to_string();
    let bytes = demo_connection_bytes(agents, calls).to_string();
    for (line, name) in lines[1..].iter().zip(["A", "B"]) {
        let counters = line
            .strip_prefix(&format!("container {name}: "))
            .unwrap_or_else(|| panic!("a counter line of container {name}: {output}"));
        let expected = [
            ("calls sent", sent.as_str()),
            ("calls served", sent.as_str()),
            ("errors", "0"),
            ("bytes in", bytes.as_str()),
            ("bytes out", bytes.as_str()),
            ("in flight", "0"),
            ("connections open", "2"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(fields(counters, &output), expected, "{output}");
    }
}

#[test]
fn demo_makes_every_call_between_the_two_containers() {
    let output = run_example_ok("demo", &["--agents", "50", "--calls-per-agent", "10"]);
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
    let fields = demo_summary(&run_example_ok(
        "demo",
        &["--agents", "1", "--calls-per-agent", "3"],
    ));
    assert_eq!(fields[0], ("agents".to_owned(), "2".to_owned()));
    assert_eq!(fields[1], ("calls".to_owned(), "6".to_owned()));
}

#[test]
fn demo_refuses_unknown_arguments() {
    let PeerOutput {
        status,
        stdout,
        stderr,
    } = run_example("demo", &["--bogus", "1"]);
    assert!(!status.success(), "exit status {status}, stdout:\n{stdout}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("--bogus"), "{stderr}");
    let PeerOutput { status, stderr, .. } = run_example("demo", &["--agents", "many"]);
    assert!(!status.success());
    assert!(stderr.contains("--agents needs a number"), "{stderr}");
}

// --- extension types -------------------------------------------------------------------------

#[test]
fn numpy_ext_prints_the_scaled_array() {
    assert_eq!(
        run_example_ok("numpy_ext", &[]),
        "[1.0, 2.0, 3.0, 4.0] (shape [2, 2]) * 2 = [2.0, 4.0, 6.0, 8.0] (shape [2, 2])\n"
    );
}
