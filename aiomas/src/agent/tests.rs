//! Agent lifecycle, handles and the container's own lifecycle (issue 8, "container
//! lifecycle": each of these failed before the fix it names).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::registry::spawn_by_name;
use super::*;
use crate::channel::{Addr, ChannelOptions, Retry};
use crate::clock::ClockExt;
use crate::rpc::{self, Args, Exception, ServiceMap};
use crate::{ConnectionErrorKind, Error, Value};

/// Records its lifecycle in `log`.
struct Probe {
    ctx: AgentContext,
    log: Arc<Mutex<Vec<String>>>,
}

#[crate::agent]
impl Probe {
    /// Spawned by name: `tag` goes to the log.
    #[spawn]
    fn new(ctx: AgentContext, #[default(0)] tag: i64) -> Self {
        let log = Arc::new(Mutex::new(vec![format!("tag {tag}")]));
        Probe { ctx, log }
    }

    #[on_start]
    async fn start(self: Arc<Self>) -> Result<(), Error> {
        self.note(format!("start {}", self.ctx.id()));
        Ok(())
    }

    #[on_stop]
    async fn stop(&self) {
        self.note(format!("stop {}", self.ctx.id()));
    }

    #[expose]
    fn id(&self) -> String {
        self.ctx.id().to_owned()
    }

    fn note(&self, entry: String) {
        self.log.lock().unwrap().push(entry);
    }
}

/// An agent without hooks.
struct Plain;

#[crate::agent]
impl Plain {
    #[expose]
    fn hello(&self) -> String {
        "hi".into()
    }
}

async fn container(options: ContainerOptions) -> Container {
    Container::create(Addr::tcp("127.0.0.1", 0), options)
        .await
        .unwrap()
}

fn probe(log: &Arc<Mutex<Vec<String>>>) -> impl FnOnce(AgentContext) -> Probe + '_ {
    move |ctx| Probe {
        ctx,
        log: log.clone(),
    }
}

async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn hooks_run_at_spawn_removal_and_shutdown() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let c = container(ContainerOptions::default()).await;
    let first = c.spawn(probe(&log)).unwrap();
    let second = c.spawn(probe(&log)).unwrap();
    assert_eq!((first.id(), second.id()), ("0", "1"));
    assert_eq!(second.addr(), format!("{}1", c.base_url()));
    assert_eq!(second.to_string(), format!("Probe('{}1')", c.base_url()));
    settle().await;
    assert!(c.remove("0").await);
    assert!(!c.remove("0").await, "removed once");
    c.shutdown().await;
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(log.contains(&"start 0".into()) && log.contains(&"start 1".into()));
    assert_eq!(&log[2..], ["stop 0", "stop 1"]);
}

#[tokio::test]
async fn lookup_is_typed_and_removed_agents_answer_like_unknown_ones() {
    let c = container(ContainerOptions::default()).await;
    let probe = c.spawn(probe(&Arc::default())).unwrap();
    c.spawn(|_| Plain).unwrap();
    let found = c.agent::<Probe>("0").unwrap();
    assert!(Arc::ptr_eq(found.agent(), probe.agent()));
    assert_eq!(found.addr(), probe.addr());
    assert!(c.agent::<Plain>("0").is_none(), "agent 0 is no Plain");
    assert!(c.agent::<Plain>("1").is_some());
    assert!(c.agent::<Plain>("2").is_none());

    let peer = container(ContainerOptions::default()).await;
    let remote = peer.connect(probe.addr(), Retry::Never).await.unwrap();
    assert_eq!(remote.call("id", vec![]).await.unwrap(), Value::from("0"));
    assert!(c.remove("0").await);
    assert!(c.agent::<Probe>("0").is_none());
    let removed = remote.call("id", vec![]).await.unwrap_err().to_string();
    let never = rpc::open_connection(&c.addr().unwrap(), ChannelOptions::default())
        .await
        .unwrap();
    let never_err = never
        .remote()
        .child("agents")
        .child("7")
        .call("id", vec![])
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(removed.replace("\"0\"", "\"7\""), never_err);
    let fresh = container(ContainerOptions::default()).await;
    let err = fresh.connect(probe.addr(), Retry::Never).await.unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    fresh.shutdown().await;
    // A new agent gets a new id: ids are never reused.
    assert_eq!(c.spawn(|_| Plain).unwrap().id(), "2");
    never.close().await;
    peer.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn failing_and_panicking_tasks_are_reported_with_the_agents_address() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = reports.clone();
    let options = ContainerOptions::default().on_task_failure(move |failure| {
        sink.lock().unwrap().push(failure.clone());
    });
    let c = container(options).await;
    let agent = c.spawn(|_| Plain).unwrap();
    let probe = c.spawn(probe(&Arc::default())).unwrap();
    let failed = probe.ctx.spawn(async { Err::<(), _>("no luck") });
    assert_eq!(failed.await.unwrap(), Some(Err("no luck")));
    let panicked = probe.ctx.spawn(async {
        if true {
            panic!("boom");
        }
    });
    assert!(panicked.await.unwrap_err().is_panic());
    let fine = c.spawn_task(async {});
    assert_eq!(fine.await.unwrap(), Some(()));
    let reports = reports.lock().unwrap().clone();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert_eq!(reports[0].agent.as_deref(), Some(probe.addr()));
    assert_eq!(
        (reports[0].message.as_str(), reports[0].panicked),
        ("no luck", false)
    );
    assert_eq!(
        (reports[1].message.as_str(), reports[1].panicked),
        ("boom", true)
    );
    assert_eq!(
        reports[1].to_string(),
        format!("task of agent {} panicked: boom", probe.addr())
    );
    drop(agent);
    c.shutdown().await;
}

/// Fails in its start hook.
struct Grumpy;

#[crate::agent]
impl Grumpy {
    #[on_start]
    async fn start(self: Arc<Self>) -> Result<(), String> {
        Err("not today".into())
    }
}

#[tokio::test]
async fn a_failing_start_hook_is_reported() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = ContainerOptions::default().on_task_failure(move |f| {
        let _ = tx.send(f.to_string());
    });
    let c = container(options).await;
    let grumpy = c.spawn(|_| Grumpy).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        report,
        format!("start hook of agent {} failed: not today", grumpy.addr())
    );
    c.shutdown().await;
}

static REGISTRY: &[AgentType] = &[
    AgentType::of::<Probe>("probes:Probe"),
    AgentType::of::<Plain>("plain:Plain"),
];

impl Spawnable for Plain {
    async fn from_args(_: AgentContext, args: Args) -> Result<Self, Exception> {
        args.finish()?;
        Ok(Plain)
    }
}

#[tokio::test]
async fn the_registry_matches_the_full_name_and_the_constructor_runs_hooks() {
    let c = container(ContainerOptions::default()).await;
    let args = |qualname: &str| Args::new(qualname, vec![], vec![]);
    for wrong in ["whatever:Probe", "Probe", "probes.Probe", "probes:Prob"] {
        let err = spawn_by_name(REGISTRY, &c, wrong, args(wrong))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "AttributeError", "{wrong}");
    }
    assert_eq!(c.agent_count(), 0, "nothing spawned");
    let (_, addr) = spawn_by_name(REGISTRY, &c, "probes:Probe", args("probes:Probe"))
        .await
        .unwrap();
    assert_eq!(addr, format!("{}0", c.base_url()));
    let bad = Args::new("probes:Probe", vec![Value::from("x")], vec![]);
    let err = spawn_by_name(REGISTRY, &c, "probes:Probe", bad)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "TypeError", "{err:?}");
    // The failed spawn used no id.
    let (_, addr) = spawn_by_name(REGISTRY, &c, "plain:Plain", args("plain:Plain"))
        .await
        .unwrap();
    assert_eq!(addr, format!("{}1", c.base_url()));
    c.shutdown().await;
}

// --- issue 8, container lifecycle ---------------------------------------------------------

#[tokio::test]
async fn failed_connects_leave_nothing_behind() {
    let c = container(ContainerOptions::default()).await;
    let long_host = "h".repeat(64 * 1024);
    for i in 0..64 {
        let url = format!("tcp://{long_host}{i}:1/0");
        assert!(c.connect(&url, Retry::Never).await.is_err());
    }
    // A refused port, too.
    let closed = container(ContainerOptions::default()).await;
    let url = format!("{}0", closed.base_url());
    closed.shutdown().await;
    assert!(c.connect(&url, Retry::Never).await.is_err());
    assert_eq!(c.inner.outgoing.lock().unwrap().len(), 0);
    c.shutdown().await;
}

#[tokio::test]
async fn a_failed_spawn_async_frees_its_id() {
    let c = container(ContainerOptions::default()).await;
    let failed = c
        .spawn_async(|_| async { Err::<Plain, _>(Error::Value("no".into())) })
        .await;
    assert!(failed.is_err());
    assert_eq!(c.spawn(|_| Plain).unwrap().id(), "0");
    c.shutdown().await;
}

#[tokio::test]
async fn a_dropped_container_frees_its_agents_and_socket() {
    let c = container(ContainerOptions::default()).await;
    let addr = c.addr().unwrap();
    let agent: Weak<Probe> = Arc::downgrade(c.spawn(probe(&Arc::default())).unwrap().agent());
    let peer = container(ContainerOptions::default()).await;
    let url = format!("{}0", c.base_url());
    peer.connect(&url, Retry::Never).await.unwrap();
    drop(c);
    for _ in 0..100 {
        if agent.strong_count() == 0 && tokio::net::TcpListener::bind(addr_str(&addr)).await.is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(agent.strong_count(), 0, "the agent is freed");
    assert!(
        tokio::net::TcpListener::bind(addr_str(&addr)).await.is_ok(),
        "the port is free"
    );
    peer.shutdown().await;
}

fn addr_str(addr: &Addr) -> String {
    match addr {
        Addr::Tcp { host, port } => format!("{host}:{port}"),
        other => panic!("not tcp: {other:?}"),
    }
}

#[tokio::test]
async fn connect_and_spawn_after_shutdown_are_errors() {
    let c = container(ContainerOptions::default()).await;
    let peer = container(ContainerOptions::default()).await;
    let url = format!("{}0", peer.base_url());
    peer.spawn(|_| Plain).unwrap();
    c.shutdown().await;
    let err = c.spawn(|_| Plain).unwrap_err();
    assert!(matches!(&err, Error::Connection(e) if e.kind() == ConnectionErrorKind::Closed));
    let err = c.connect(&url, Retry::Never).await.unwrap_err();
    assert!(matches!(&err, Error::Connection(e) if e.kind() == ConnectionErrorKind::Closed));
    assert_eq!(c.inner.outgoing.lock().unwrap().len(), 0);
    peer.shutdown().await;
}

#[tokio::test]
async fn clock_timers_stop_with_the_container() {
    let c = container(ContainerOptions::default()).await;
    let held = Arc::new(AtomicUsize::new(0));
    let captured = held.clone();
    c.clock()
        .call_in(3600.0, move || {
            captured.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    assert_eq!(Arc::strong_count(&held), 2);
    c.shutdown().await;
    settle().await;
    assert_eq!(
        Arc::strong_count(&held),
        1,
        "the timer and its callback are gone"
    );
    assert!(c.clock().call_in(1.0, || ()).is_err());
}

#[tokio::test]
async fn connect_bounds_validate_aid() {
    let silent = ServiceMap::new().function("validate_aid", |_args: Args| async {
        std::future::pending::<()>().await;
        Ok::<_, Exception>(())
    });
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), silent, ChannelOptions::default())
        .await
        .unwrap();
    let port = server.addr().port().expect("a TCP server");
    let c =
        container(ContainerOptions::default().validate_timeout(Duration::from_millis(200))).await;
    let url = format!("tcp://127.0.0.1:{port}/0");
    let err = tokio::time::timeout(Duration::from_secs(10), c.connect(&url, Retry::Never))
        .await
        .expect("connect gives up")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Connection(e) if e.kind() == ConnectionErrorKind::TimedOut),
        "{err}"
    );
    c.shutdown().await;
    server.close().await;
}

#[tokio::test]
async fn an_empty_host_binds_all_interfaces_like_python() {
    let c = Container::create(Addr::tcp("", 0), ContainerOptions::default())
        .await
        .unwrap();
    let agent = c.spawn(|_| Plain).unwrap();
    assert!(!c.base_url().contains("0.0.0.0") && !c.base_url().starts_with("tcp://:"));
    let port = c.addr().and_then(|addr| addr.port()).expect("a TCP server");
    let peer = container(ContainerOptions::default()).await;
    // Reachable through loopback and through the advertised address.
    for url in [format!("tcp://127.0.0.1:{port}/0"), agent.addr().to_owned()] {
        let remote = peer.connect(&url, Retry::Never).await.unwrap();
        assert_eq!(
            remote.call("hello", vec![]).await.unwrap(),
            Value::from("hi")
        );
    }
    peer.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn removing_an_agent_stops_its_tasks_only() {
    let c = container(ContainerOptions::default()).await;
    let gone = c.spawn(probe(&Arc::default())).unwrap();
    let kept = c.spawn(probe(&Arc::default())).unwrap();
    let forever = || async { std::future::pending::<()>().await };
    let of_gone = gone.ctx.spawn(forever());
    let of_kept = kept.ctx.spawn(forever());
    assert!(c.remove(gone.id()).await);
    let stopped = tokio::time::timeout(Duration::from_secs(5), of_gone).await;
    assert_eq!(
        stopped.expect("the removed agent's task ends").unwrap(),
        None
    );
    settle().await;
    assert!(!of_kept.is_finished(), "the other agent's task runs on");
    c.shutdown().await;
    assert_eq!(of_kept.await.unwrap(), None, "shutdown stops it");
}
