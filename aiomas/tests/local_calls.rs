//! Issue 12, item 4: proxies to agents of the caller's own container call in-process, and a
//! caller cannot tell that from a remote call: the same results, the same errors (kind,
//! message, traceback and origin), working callbacks and references, the same concurrency.
//!
//! Every call of [`TABLE`] runs twice: on a local proxy (`home.connect` to its own agent) and on
//! a remote one (a second container connecting to the same agent over TCP), and the two
//! outcomes are compared whole.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};
use aiomas::rpc::{Exception, FromProxy, Proxy, MAX_INLINE_LOCAL_CALLS};
use aiomas::{ConnectionErrorKind, Error, ServiceRef, Value};
use tokio::sync::Semaphore;

/// The agent every call goes to (one in each container, so callbacks have a partner).
struct Subject {
    ctx: AgentContext,
    pings: AtomicU64,
    marks: AtomicU64,
    kept: Mutex<Vec<i64>>,
    gate: Semaphore,
}

fn new_subject(ctx: AgentContext) -> Subject {
    Subject {
        ctx,
        pings: AtomicU64::new(0),
        marks: AtomicU64::new(0),
        kept: Mutex::default(),
        gate: Semaphore::new(0),
    }
}

#[aiomas::agent]
impl Subject {
    #[expose]
    fn echo(&self, value: Value) -> Value {
        value
    }

    #[expose]
    fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
        a + b
    }

    #[expose]
    fn fail(&self, message: String) -> Result<(), Exception> {
        Err(Exception::new("ValueError", message))
    }

    #[expose]
    fn explode(&self) -> i64 {
        panic!("kaboom")
    }

    /// Waits before it answers (a call that goes on in a task of its own).
    #[expose]
    async fn nap(&self, ms: u64) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        format!("slept {ms} ms")
    }

    /// Waits until `open_gate` is called once for it.
    #[expose]
    async fn wait_gate(&self) -> String {
        self.gate.acquire().await.unwrap().forget();
        "passed".into()
    }

    #[expose]
    fn open_gate(&self) {
        self.gate.add_permits(1);
    }

    /// Counts a mark once the gate opens, whether or not the caller still waits.
    #[expose]
    async fn mark_after_gate(&self) {
        self.gate.acquire().await.unwrap().forget();
        self.marks.fetch_add(1, Ordering::SeqCst);
    }

    #[expose]
    fn ping(&self) -> u64 {
        self.pings.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Calls `method` on `proxy` (a reference the caller passed).
    #[expose]
    async fn call_back(&self, proxy: Proxy, method: String) -> Result<Value, Error> {
        proxy.call(&method, vec![]).await
    }

    #[expose]
    fn me(&self) -> ServiceRef {
        self.ctx.me()
    }

    /// `n` calls bouncing between this agent and `other`, each awaiting the next.
    #[expose]
    async fn countdown(&self, n: u64, other: Proxy) -> Result<u64, Error> {
        if n == 0 {
            return Ok(0);
        }
        let rest = other
            .call("countdown", vec![(n - 1).into(), self.ctx.me().into()])
            .await?;
        Ok(rest.as_u64().unwrap_or_default() + 1)
    }

    /// Keeps `items`; `kept` returns them.
    #[expose]
    fn keep(&self, items: Vec<i64>) {
        *self.kept.lock().unwrap() = items;
    }

    #[expose]
    fn kept(&self) -> Vec<i64> {
        self.kept.lock().unwrap().clone()
    }

    /// Python's catch-alls next to a default.
    #[expose]
    fn gather(
        &self,
        first: i64,
        #[args] rest: Vec<Value>,
        #[default(1.5)] scale: f64,
        #[kwargs] options: BTreeMap<String, Value>,
    ) -> (i64, Vec<Value>, f64, BTreeMap<String, Value>) {
        (first, rest, scale, options)
    }

    /// `n` typed calls bouncing between this agent and `other`, each awaiting the next.
    #[expose]
    async fn countdown_typed(&self, n: u64, other: Proxy) -> Result<u64, Error> {
        if n == 0 {
            return Ok(0);
        }
        let other = SubjectProxy::from_proxy(other);
        let me = Proxy::from_ref(self.ctx.me());
        Ok(other.countdown_typed(n - 1, me).await? + 1)
    }

    /// Not exposed: calling it is a `LookupError`.
    #[allow(dead_code)]
    fn helper(&self) {}
}

/// The two containers: `home` holds the subject; `away` calls it over TCP.
struct World {
    home: Container,
    away: Container,
    /// The subject in `home`, and its partner in `away` (for callbacks from remote calls).
    subject: String,
    away_subject: String,
}

async fn world() -> World {
    let home = Container::bind("127.0.0.1:0").await.unwrap();
    let away = Container::bind("127.0.0.1:0").await.unwrap();
    let subject = home.spawn(new_subject).unwrap().addr().to_owned();
    let away_subject = away.spawn(new_subject).unwrap().addr().to_owned();
    World {
        home,
        away,
        subject,
        away_subject,
    }
}

/// One way of calling the subject: the proxy, and the caller's own container (whose agents
/// the subject can call back).
struct Side {
    proxy: Proxy,
    partner: Proxy,
}

impl World {
    async fn local(&self) -> Side {
        let proxy = self
            .home
            .connect(&self.subject, Retry::Never)
            .await
            .unwrap();
        assert!(proxy.is_local(), "{proxy} to its own container is local");
        let partner = self
            .home
            .connect(&self.subject, Retry::Never)
            .await
            .unwrap();
        Side { proxy, partner }
    }

    async fn remote(&self) -> Side {
        let proxy = self
            .away
            .connect(&self.subject, Retry::Never)
            .await
            .unwrap();
        assert!(!proxy.is_local() && proxy.channel().is_some());
        let partner = self
            .away
            .connect(&self.away_subject, Retry::Never)
            .await
            .unwrap();
        assert!(partner.is_local());
        Side { proxy, partner }
    }
}

/// What a caller can observe of an outcome, compared whole between the two ways.
#[derive(Debug, PartialEq)]
enum Seen {
    Ok(Value),
    Remote {
        kind: Option<String>,
        message: String,
        traceback: String,
        display: String,
    },
    Other(String),
}

fn seen(outcome: Result<Value, Error>) -> Seen {
    match outcome {
        Ok(value) => Seen::Ok(value),
        Err(Error::Remote(remote)) => Seen::Remote {
            kind: remote.kind().map(str::to_owned),
            message: remote.message().to_owned(),
            traceback: remote.traceback().to_owned(),
            display: remote.to_string(),
        },
        Err(other) => Seen::Other(format!("{other:?}")),
    }
}

type Kwargs = Vec<(&'static str, Value)>;

/// A method, what to pass it, and the exception kind expected (`None`: a result).
type Call = (
    &'static str,
    fn(&Side) -> (Vec<Value>, Kwargs),
    Option<&'static str>,
);

/// The calls run both ways: method, positional and keyword arguments, and the kind of
/// exception expected (`None`: a result).
const TABLE: &[Call] = &[
    (
        "echo",
        |_| {
            let nested = Value::Map(vec![
                ("ünïcødé".into(), Value::List(vec![1.into(), Value::Nil])),
                ("float".into(), 2.5.into()),
                ("big".into(), Value::UInt(u64::MAX)),
                (
                    "date".into(),
                    Value::from(
                        "2016-02-28T12:00:00.250000+01:00"
                            .parse::<aiomas::Date>()
                            .unwrap(),
                    ),
                ),
            ]);
            (vec![nested], vec![])
        },
        None,
    ),
    ("add", |_| (vec![1.into()], vec![("b", 2.into())]), None),
    ("add", |_| (vec![40.into()], vec![]), None),
    ("add", |_| (vec![], vec![]), Some("TypeError")),
    (
        "add",
        |_| (vec![1.into(), 2.into(), 3.into()], vec![]),
        Some("TypeError"),
    ),
    (
        "add",
        |_| (vec![1.into()], vec![("c", 2.into())]),
        Some("TypeError"),
    ),
    (
        "add",
        |_| (vec![1.into()], vec![("a", 2.into())]),
        Some("TypeError"),
    ),
    ("add", |_| (vec!["one".into()], vec![]), Some("TypeError")),
    ("nope", |_| (vec![], vec![]), Some("LookupError")),
    ("helper", |_| (vec![], vec![]), Some("LookupError")),
    (
        "fail",
        |_| (vec!["boom: ünïcødé".into()], vec![]),
        Some("ValueError"),
    ),
    ("explode", |_| (vec![], vec![]), Some("RuntimeError")),
    ("nap", |_| (vec![5.into()], vec![]), None),
    // A callback to an agent of the caller's container, and one that fails there.
    (
        "call_back",
        |side| {
            (
                vec![side.partner.service_ref().clone().into(), "ping".into()],
                vec![],
            )
        },
        None,
    ),
    (
        "call_back",
        |side| {
            (
                vec![side.partner.service_ref().clone().into(), "nope".into()],
                vec![],
            )
        },
        Some("LookupError"),
    ),
    // Twenty calls bouncing between the subject and the caller's agent.
    (
        "countdown",
        |side| {
            (
                vec![20.into(), side.partner.service_ref().clone().into()],
                vec![],
            )
        },
        None,
    ),
];

#[tokio::test]
async fn local_and_remote_calls_give_identical_outcomes() {
    let world = world().await;
    let (local, remote) = (world.local().await, world.remote().await);
    for (method, args, expected) in TABLE {
        let mut outcomes = Vec::new();
        for side in [&local, &remote] {
            let (args, kwargs) = args(side);
            let kwargs = kwargs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            outcomes.push(seen(side.proxy.call_kw(method, args, kwargs).await));
        }
        let [local_seen, remote_seen] = <[Seen; 2]>::try_from(outcomes).unwrap();
        assert_eq!(local_seen, remote_seen, "{method}: local vs remote");
        match (expected, &local_seen) {
            (None, Seen::Ok(_)) => {}
            (Some(kind), Seen::Remote { kind: got, .. }) => {
                assert_eq!(got.as_deref(), Some(*kind), "{method}: {local_seen:?}")
            }
            _ => panic!("{method}: expected {expected:?}, got {local_seen:?}"),
        }
    }
    // Each side's partner was called back once, by the first `call_back`.
    for side in [&local, &remote] {
        let pings = side.partner.call("ping", vec![]).await.unwrap();
        assert_eq!(pings, Value::from(2));
    }
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn typed_proxies_take_the_local_path_too() {
    let world = world().await;
    let (local, remote) = (world.local().await, world.remote().await);
    let typed = |side: &Side| SubjectProxy::from_proxy(side.proxy.clone());
    let (local, remote) = (typed(&local), typed(&remote));
    assert!(local.proxy().is_local());
    assert_eq!(
        local.add(1, 2).await.unwrap(),
        remote.add(1, 2).await.unwrap()
    );
    assert_eq!(local.kept().await.unwrap(), remote.kept().await.unwrap());
    let failure = |outcome: Result<(), Error>| seen(outcome.map(|()| Value::Nil));
    assert_eq!(
        failure(local.fail("typed".into()).await),
        failure(remote.fail("typed".into()).await)
    );
    world.home.shutdown().await;
    world.away.shutdown().await;
}

/// The subject as a caller may declare it, with other types than the subject's own: the
/// callee's decoding (or the caller's, of the result) fails as it would remotely.
#[aiomas::proxy]
trait Loose {
    async fn add(&self, a: String) -> i64;
    async fn kept(&self) -> Vec<String>;
    async fn gather(&self, first: f64, #[args] rest: Vec<i64>, scale: String) -> Value;
}

/// A typed outcome, for comparing the two ways whole.
fn seen_typed<T: std::fmt::Debug>(outcome: Result<T, Error>) -> Seen {
    seen(outcome.map(|value| Value::from(format!("{value:?}"))))
}

#[tokio::test]
async fn typed_calls_give_identical_outcomes_both_ways() {
    let world = world().await;
    let (local, remote) = (world.local().await, world.remote().await);
    let mut outcomes: [Vec<Seen>; 2] = Default::default();
    for (side, outcomes) in [&local, &remote].into_iter().zip(&mut outcomes) {
        let typed = SubjectProxy::from_proxy(side.proxy.clone());
        let loose = LooseProxy::from_proxy(side.proxy.clone());
        let nested = Value::Map(vec![
            ("ünïcødé".into(), Value::List(vec![1.into(), Value::Nil])),
            ("big".into(), Value::UInt(u64::MAX)),
            (
                "date".into(),
                "2016-02-28T12:00:00+01:00"
                    .parse::<aiomas::Date>()
                    .unwrap()
                    .into(),
            ),
        ]);
        outcomes.push(seen_typed(typed.echo(nested).await));
        outcomes.push(seen_typed(typed.add(1, 2).await));
        let options = BTreeMap::from([("k".to_owned(), Value::from("v"))]);
        let rest = vec![Value::from(2), Value::from("x")];
        outcomes.push(seen_typed(typed.gather(1, rest, 3.0, options).await));
        outcomes.push(seen_typed(
            typed.gather(1, vec![], 1.5, BTreeMap::new()).await,
        ));
        outcomes.push(seen_typed(
            typed.call_back(side.partner.clone(), "ping".into()).await,
        ));
        outcomes.push(seen_typed(
            typed.countdown_typed(12, side.partner.clone()).await,
        ));
        // Wrong types: the callee's TypeError, then the caller's own decoding error.
        outcomes.push(seen_typed(loose.add("one".into()).await));
        typed.keep(vec![1, 2]).await.unwrap();
        outcomes.push(seen_typed(loose.kept().await));
        outcomes.push(seen_typed(loose.gather(1.0, vec![2], "big".into()).await));
        outcomes.push(seen_typed(typed.explode().await));
    }
    let [local_seen, remote_seen] = outcomes;
    for (local, remote) in local_seen.iter().zip(&remote_seen) {
        assert_eq!(local, remote, "local vs remote");
    }
    assert_eq!(local_seen.len(), remote_seen.len());
    let kinds: Vec<_> = local_seen
        .iter()
        .map(|seen| match seen {
            Seen::Remote { kind, .. } => kind.clone().unwrap_or_default(),
            Seen::Ok(_) => "ok".into(),
            Seen::Other(other) => other.split('(').next().unwrap_or_default().to_owned(),
        })
        .collect();
    let expected = [
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "ok",
        "TypeError",
        "Deserialization",
        "TypeError",
        "RuntimeError",
    ];
    assert_eq!(kinds, expected, "{local_seen:#?}");
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn typed_arguments_and_results_are_copies() {
    let world = world().await;
    let local = SubjectProxy::from_proxy(world.local().await.proxy);
    let mut items = vec![1, 2, 3];
    local.keep(items.clone()).await.unwrap();
    items.push(4);
    let mut kept = local.kept().await.unwrap();
    assert_eq!(
        kept,
        [1, 2, 3],
        "the caller's change does not reach the callee"
    );
    kept.clear();
    assert_eq!(local.kept().await.unwrap(), [1, 2, 3], "nor the result's");
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn error_texts_are_pythons() {
    let world = world().await;
    let local = world.local().await;
    let text = |outcome: Result<Value, Error>| match outcome {
        Err(Error::Remote(remote)) => remote.message().to_owned(),
        other => panic!("expected an exception, got {other:?}"),
    };
    assert_eq!(
        text(local.proxy.call("nope", vec![]).await),
        "Name \"nope\" not found in \"agents/0\""
    );
    assert_eq!(
        text(local.proxy.call("add", vec![]).await),
        "add() missing 1 required positional argument: 'a'"
    );
    assert_eq!(
        text(local.proxy.call("explode", vec![]).await),
        "agents/0/explode() panicked: kaboom"
    );
    let origin = match local.proxy.call("fail", vec!["x".into()]).await {
        Err(Error::Remote(remote)) => remote.origin().to_owned(),
        other => panic!("{other:?}"),
    };
    let addr = world.home.addr().unwrap().to_string();
    assert_eq!(origin, addr, "the origin is the container's address");
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn connect_picks_the_local_path_for_every_name_of_the_container() {
    let world = world().await;
    let port = world.home.addr().unwrap().to_string();
    let port = port.rsplit(':').next().unwrap();
    for url in [
        world.subject.clone(),
        format!("tcp://localhost:{port}/0"),
        format!("tcp://127.0.0.1:{port}/0"),
    ] {
        let proxy = world.home.connect(&url, Retry::Never).await.unwrap();
        assert!(proxy.is_local(), "{url}");
        assert_eq!(proxy.to_string(), format!("SubjectProxy('{url}')"));
        assert_eq!(proxy.call("add", vec![2.into()]).await.unwrap(), 2.into());
    }
    // Another container's address is not ours.
    let other = world.home.connect(&world.away_subject, Retry::Never).await;
    assert!(!other.unwrap().is_local());
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn in_process_queues_and_unix_sockets_are_named_too() {
    let mut addrs = vec![Addr::local("local-calls-queue")];
    if cfg!(unix) {
        let path = std::env::temp_dir().join(format!("aiomas-local-{}.sock", std::process::id()));
        addrs.push(Addr::unix(path));
    }
    for addr in addrs {
        let container = Container::create(addr.clone(), ContainerOptions::default())
            .await
            .unwrap();
        let url = container.spawn(new_subject).unwrap().addr().to_owned();
        let proxy = container.connect(&url, Retry::Never).await.unwrap();
        assert!(proxy.is_local(), "{url}");
        match proxy.call("fail", vec!["x".into()]).await {
            Err(Error::Remote(remote)) => {
                let peer = match &addr {
                    Addr::Local(queue) => format!("LocalQueue('{queue}')"),
                    other => other.to_string(),
                };
                assert_eq!(remote.origin(), peer, "named as a remote caller sees it");
            }
            other => panic!("{other:?}"),
        }
        container.shutdown().await;
    }
}

#[tokio::test]
async fn unknown_and_removed_agents_fail_as_remotely() {
    let world = world().await;
    let missing = format!("{}7", world.home.base_url());
    let local = world
        .home
        .connect(&missing, Retry::Never)
        .await
        .unwrap_err();
    let remote = world
        .away
        .connect(&missing, Retry::Never)
        .await
        .unwrap_err();
    assert_eq!(local.to_string(), remote.to_string());
    assert!(
        local
            .to_string()
            .starts_with("Agent \"7\" does not exist in Container("),
        "{local}"
    );
    assert!(
        matches!(local, Error::Connection(ref e) if e.kind() == ConnectionErrorKind::NoSuchAgent)
    );

    let (local, remote) = (world.local().await, world.remote().await);
    assert!(world.home.remove("0").await);
    let local = seen(local.proxy.call("ping", vec![]).await);
    let remote = seen(remote.proxy.call("ping", vec![]).await);
    assert_eq!(local, remote);
    assert!(
        matches!(&local, Seen::Remote { message, .. } if message == "Name \"0\" not found in \"agents\""),
        "{local:?}"
    );
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn references_cross_between_local_and_remote_calls() {
    let world = world().await;
    let local = world.local().await;

    // A returned reference is a proxy of the same kind: local here.
    let me: Proxy = aiomas::from_value(local.proxy.call("me", vec![]).await.unwrap()).unwrap();
    assert!(me.is_local());
    assert_eq!(me.service_ref(), local.proxy.service_ref());
    assert_eq!(
        me.call("add", vec![1.into(), 1.into()]).await.unwrap(),
        2.into()
    );

    // A remote proxy passed to a local agent still calls over its connection.
    let far = world
        .home
        .connect(&world.away_subject, Retry::Never)
        .await
        .unwrap();
    let got = local
        .proxy
        .call(
            "call_back",
            vec![Value::from(far.service_ref().clone()), "ping".into()],
        )
        .await
        .unwrap();
    assert_eq!(got, Value::from(1));

    // A local proxy passed on to a remote peer is a valid reference on that connection: the
    // far agent calls our subject back over it.
    let got = far
        .call(
            "call_back",
            vec![
                Value::from(local.proxy.service_ref().clone()),
                "ping".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(got, Value::from(1));
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn arguments_and_results_are_copies() {
    let world = world().await;
    let local = world.local().await;
    let mut items = vec![1, 2, 3];
    local
        .proxy
        .call("keep", vec![aiomas::to_value(&items).unwrap()])
        .await
        .unwrap();
    items.push(4);
    let mut kept: Vec<i64> =
        aiomas::from_value(local.proxy.call("kept", vec![]).await.unwrap()).unwrap();
    assert_eq!(
        kept,
        [1, 2, 3],
        "the caller's change does not reach the callee"
    );
    kept.clear();
    let again: Vec<i64> =
        aiomas::from_value(local.proxy.call("kept", vec![]).await.unwrap()).unwrap();
    assert_eq!(
        again,
        [1, 2, 3],
        "the callee's value is not the caller's result"
    );
    world.home.shutdown().await;
    world.away.shutdown().await;
}

/// Gives up on `what` after 10 s (a hang is a failure, not a stuck test).
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish"))
}

#[tokio::test]
async fn calls_run_concurrently_and_outlive_an_impatient_caller() {
    let world = world().await;
    let (local, remote) = (world.local().await, world.remote().await);
    let agent = world.home.agent::<Subject>("0").unwrap();
    for (done, side) in [&local, &remote].into_iter().enumerate() {
        // A waiting call does not hold up the next: the second one lets the first pass.
        let (waited, opened) = within("a call that opens the gate for another", async {
            tokio::join!(
                side.proxy.call("wait_gate", vec![]),
                side.proxy.call("open_gate", vec![])
            )
        })
        .await;
        assert_eq!(waited.unwrap(), "passed".into());
        assert_eq!(opened.unwrap(), Value::Nil);

        // A call whose caller stops waiting goes on.
        let mut call = Box::pin(side.proxy.call("mark_after_gate", vec![]));
        let gave_up = tokio::time::timeout(Duration::from_millis(20), &mut call).await;
        assert!(gave_up.is_err(), "the call waits for the gate");
        drop(call);
        side.proxy.call("open_gate", vec![]).await.unwrap();
        within("the abandoned call", async {
            while agent.marks.load(Ordering::SeqCst) != done as u64 + 1 {
                tokio::task::yield_now().await;
            }
        })
        .await;
    }
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn deep_synchronous_call_chains_do_not_overflow_the_stack() {
    let world = world().await;
    let home = &world.home;
    let first = home.spawn(new_subject).unwrap().addr().to_owned();
    let second = home.spawn(new_subject).unwrap().addr().to_owned();
    let first = home.connect(&first, Retry::Never).await.unwrap();
    let second = home.connect(&second, Retry::Never).await.unwrap();
    let depth = 50 * u64::from(MAX_INLINE_LOCAL_CALLS);
    let got = first
        .call(
            "countdown",
            vec![depth.into(), second.service_ref().clone().into()],
        )
        .await
        .unwrap();
    assert_eq!(got, Value::from(depth));
    world.home.shutdown().await;
    world.away.shutdown().await;
}

#[tokio::test]
async fn calls_after_shutdown_fail_with_a_closed_connection() {
    let world = world().await;
    let (local, remote) = (world.local().await, world.remote().await);
    world.home.shutdown().await;
    for side in [&local, &remote] {
        match side.proxy.call("ping", vec![]).await {
            Err(Error::Connection(err)) => assert!(
                matches!(
                    err.kind(),
                    ConnectionErrorKind::Closed | ConnectionErrorKind::Reset
                ),
                "{err}"
            ),
            other => panic!("{other:?}"),
        }
    }
    world.away.shutdown().await;
}

#[tokio::test]
async fn a_dropped_container_leaves_its_local_proxies_failing_cleanly() {
    let container = Container::bind("127.0.0.1:0").await.unwrap();
    let url = container.spawn(new_subject).unwrap().addr().to_owned();
    let proxy = container.connect(&url, Retry::Never).await.unwrap();
    let me = proxy.service_ref().clone();
    drop(container);
    match proxy.call("ping", vec![]).await {
        Err(Error::Connection(err)) => assert_eq!(err.kind(), ConnectionErrorKind::Closed),
        other => panic!("{other:?}"),
    }
    // A reference to the dropped container's agent is no longer callable in-process.
    tokio::task::yield_now().await;
    let stale = Proxy::from_ref(me);
    assert!(stale.call("ping", vec![]).await.is_err());
}
