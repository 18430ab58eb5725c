//! Issue 8, row "four such frames at once: every other connection's calls stalled 1.5-3 s
//! (decoding runs on the async workers)", and its twin for encoding: a large frame is decoded or
//! encoded where it cannot stall the other connections.
//!
//! Without a single wall-clock assertion: a hook in the global allocator holds the thread that
//! decodes (or encodes) the large frame in the middle of the work, at its first allocation of
//! [`HOLD_AT`] bytes or more, until another connection has completed [`CALLS`] calls, or until
//! [`DEADLINE`] has passed. The side under test runs on a runtime with one worker: were the large
//! frame handled on that worker, the held thread would be the worker, and no other connection's
//! call could complete before the deadline.
//!
//! The tests use only API that predates the hardening, so they run unchanged against the old
//! transport (where all of them fail).

use std::alloc::System;
use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, ServiceMap};
use aiomas::Value;
use aiomas_tests::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker, Allocator};

#[global_allocator]
static ALLOCATOR: Allocator<System> = Allocator::system();

const MIB: usize = 1 << 20;
/// Allocations this large happen only inside the large decode or encode.
const HOLD_AT: usize = 16 * MIB;
/// Calls another connection must complete while the large frame is held.
const CALLS: usize = 20;
/// How long the other connection's calls may take at most (a stalled one never completes).
const DEADLINE: Duration = Duration::from_secs(10);

thread_local! {
    /// Set on every thread of the runtime under test (its worker and its blocking pool).
    static UNDER_TEST: Cell<bool> = const { Cell::new(false) };
}

static ARMED: AtomicBool = AtomicBool::new(false);
static HELD: AtomicBool = AtomicBool::new(false);
static RELEASED: AtomicBool = AtomicBool::new(false);

/// Holds the first thread under test that makes a large allocation once armed.
struct Hold;

impl AllocationTracker for Hold {
    fn allocated(&self, _addr: usize, size: usize, _wrapped: usize, _group: AllocationGroupId) {
        let under_test = UNDER_TEST.try_with(Cell::get).unwrap_or(false);
        if size < HOLD_AT || !under_test || !ARMED.swap(false, SeqCst) {
            return;
        }
        HELD.store(true, SeqCst);
        // Never forever: the test releases the hold, at the latest after its own deadline.
        let deadline = Instant::now() + 2 * DEADLINE;
        while !RELEASED.load(SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn deallocated(
        &self,
        _: usize,
        _: usize,
        _: usize,
        _: AllocationGroupId,
        _: AllocationGroupId,
    ) {
    }
}

/// Runs one test at a time (the hold is process-wide) with a fresh hold.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    static INSTALL: Once = Once::new();
    let turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    INSTALL.call_once(|| {
        AllocationRegistry::set_global_tracker(Hold).expect("the only tracker");
        AllocationRegistry::enable_tracking();
    });
    ARMED.store(false, SeqCst);
    HELD.store(false, SeqCst);
    RELEASED.store(false, SeqCst);
    turn
}

/// The runtime under test: one worker, every thread marked.
fn runtime_under_test() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .on_thread_start(|| UNDER_TEST.with(|t| t.set(true)))
        .build()
        .unwrap()
}

/// The rest of the test: the peers of the side under test.
fn runtime_of_peers() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn options() -> ChannelOptions {
    ChannelOptions::default().max_frame_size(64 * MIB)
}

/// `ping`, `len` (of its list argument) and `sink` (takes anything).
fn service() -> ServiceMap {
    ServiceMap::new()
        .function("ping", |_: Args| async { Ok::<_, Exception>("pong") })
        .function("len", |args: Args| async move {
            let (list,): (Vec<Value>,) = args.into_positional()?;
            Ok::<_, Exception>(list.len())
        })
        .function("sink", |_: Args| async { Ok::<_, Exception>(true) })
}

/// An RPC server of [`service`] whose connections run on `runtime`.
fn rpc_server_on(runtime: &Runtime) -> rpc::RpcServer {
    let start = rpc::start_server(Addr::tcp("127.0.0.1", 0), service(), options());
    runtime.block_on(start).unwrap()
}

/// A channel server that answers `"big"` with `big` and anything else with `"pong"`. (Not an
/// RPC service: that would convert a handler's result, copying it, before encoding.)
async fn big_reply_server(big: Value) -> channel::Server {
    let big = Arc::new(Mutex::new(Some(big)));
    channel::start_server(Addr::tcp("127.0.0.1", 0), options(), move |channel| {
        let big = big.clone();
        async move {
            while let Ok(request) = channel.recv().await {
                let _ = if request.content().as_str() == Some("big") {
                    // Taken, not cloned: the value was built outside the runtime under test.
                    let big = big.lock().unwrap().take().unwrap_or_default();
                    request.reply(big)
                } else {
                    request.reply("pong")
                };
            }
        }
    })
    .await
    .unwrap()
}

/// A 24 MiB string, built on the calling thread.
fn big_string() -> Value {
    Value::Str("x".repeat(24 * MIB))
}

/// Arms the hold, runs `start` (which leads to the large decode or encode), waits until the
/// hold has caught it, then lets `calls` run; releases the hold and says how many of the
/// calls completed meanwhile.
async fn calls_completed_while_held<C>(start: impl Future<Output = ()>, calls: C) -> usize
where
    C: Future<Output = usize> + Send + 'static,
{
    ARMED.store(true, SeqCst);
    start.await;
    within(DEADLINE.as_secs_f64(), "the large frame is held", async {
        while !HELD.load(SeqCst) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let calls = tokio::spawn(calls);
    let completed = tokio::time::timeout(DEADLINE, calls).await;
    RELEASED.store(true, SeqCst);
    match completed {
        Ok(done) => done.unwrap(),
        Err(_) => 0,
    }
}

/// Makes [`CALLS`] calls with `call`, one after another; how many got their answer.
async fn count_answered<F, Fut, T, E>(call: F) -> usize
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut done = 0;
    for _ in 0..CALLS {
        if call().await.is_ok() {
            done += 1;
        }
    }
    done
}

/// [`CALLS`] pings on `client`.
async fn pings(client: rpc::RpcClient) -> usize {
    count_answered(|| {
        let remote = client.remote();
        async move { remote.call("ping", vec![]).await }
    })
    .await
}

/// A request frame calling `len` with a list of `elements` zeros: about 2 bytes each.
fn len_request(elements: usize) -> Vec<u8> {
    let mut body = b"[0, 0, [\"len\", [[0".to_vec();
    body.extend(std::iter::repeat_n(*b",0", elements - 1).flatten());
    body.extend_from_slice(b"]], {}]]");
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

#[test]
fn a_large_frame_being_decoded_does_not_stall_other_connections() {
    let _turn = one_at_a_time();
    let tested = runtime_under_test();
    let server = rpc_server_on(&tested);
    let port = server.addr().port().unwrap();
    // 1 Mi elements: a 2 MiB frame whose values take 32 MiB or more.
    let elements = MIB;
    let frame = len_request(elements);
    runtime_of_peers().block_on(async {
        let good = rpc::open_connection(server.addr(), options())
            .await
            .unwrap();
        good.remote().call("ping", vec![]).await.unwrap();
        let mut hostile = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let completed = calls_completed_while_held(
            async { hostile.write_all(&frame).await.unwrap() },
            pings(good),
        )
        .await;
        assert_eq!(
            completed, CALLS,
            "calls another connection completed while a large frame was being decoded"
        );
        // The held decode goes on and its call is answered.
        let mut header = [0; 4];
        within(
            20.0,
            "the large call's reply",
            hostile.read_exact(&mut header),
        )
        .await
        .unwrap();
        let mut reply = vec![0; u32::from_be_bytes(header) as usize];
        hostile.read_exact(&mut reply).await.unwrap();
        assert_eq!(reply, format!("[1,0,{elements}]").into_bytes());
    });
    tested.block_on(server.close());
}

#[test]
fn a_large_reply_being_encoded_does_not_stall_other_connections() {
    let _turn = one_at_a_time();
    let tested = runtime_under_test();
    let server = tested.block_on(big_reply_server(big_string()));
    runtime_of_peers().block_on(async {
        let good = channel::open_connection(server.addr(), options())
            .await
            .unwrap();
        assert_eq!(good.send("ping").await.unwrap(), Value::from("pong"));
        let asking = channel::open_connection(server.addr(), options())
            .await
            .unwrap();
        let mut reply = None;
        let completed = calls_completed_while_held(
            async { reply = Some(tokio::spawn(async move { asking.send("big").await })) },
            async move { count_answered(|| good.send("ping")).await },
        )
        .await;
        assert_eq!(
            completed, CALLS,
            "calls another connection completed while a large reply was being encoded"
        );
        let reply = within(20.0, "the large reply", reply.unwrap()).await;
        assert_eq!(
            reply.unwrap().unwrap().as_str().map(str::len),
            Some(24 * MIB)
        );
    });
    tested.block_on(server.close());
}

#[test]
fn a_large_request_being_encoded_does_not_stall_other_connections() {
    a_large_request_does_not_stall_other_connections(|sender, big| async move {
        let sunk = sender.remote().call("sink", vec![Value::Str(big)]).await;
        sunk.map(|reply| reply == Value::Bool(true))
    });
}

/// Sends a 24 MiB string with `send` from a client on the runtime under test, and checks that
/// another client there completes [`CALLS`] calls while the request is being encoded.
fn a_large_request_does_not_stall_other_connections<F, Fut>(send: F)
where
    F: FnOnce(rpc::RpcClient, String) -> Fut,
    Fut: Future<Output = aiomas::Result<bool>> + Send + 'static,
{
    let _turn = one_at_a_time();
    let peers = runtime_of_peers();
    let server = rpc_server_on(&peers);
    let addr = server.addr().clone();
    let tested = runtime_under_test();
    // Both clients live on the runtime under test: their connections' tasks run there.
    let (sender, good) = tested.block_on(async {
        let sender = rpc::open_connection(&addr, options()).await.unwrap();
        let good = rpc::open_connection(&addr, options()).await.unwrap();
        good.remote().call("ping", vec![]).await.unwrap();
        (sender, good)
    });
    let big = "x".repeat(24 * MIB);
    let handle = tested.handle().clone();
    peers.block_on(async {
        let mut sent = None;
        let calls = {
            let handle = handle.clone();
            async move { handle.spawn(pings(good)).await.unwrap_or(0) }
        };
        let completed = calls_completed_while_held(
            async { sent = Some(handle.spawn(send(sender, big))) },
            calls,
        )
        .await;
        assert_eq!(
            completed, CALLS,
            "calls another connection completed while a large request was being encoded"
        );
        let sent = within(20.0, "the large request's reply", sent.unwrap()).await;
        assert!(sent.unwrap().unwrap(), "the server took the large request");
    });
    peers.block_on(server.close());
    drop(tested);
}

/// A typed service whose `big` hands out a string built outside the runtime under test (taken,
/// so the handler allocates nothing large) and whose `sink` takes one string.
struct Typed(Mutex<Option<String>>);

#[aiomas::service]
impl Typed {
    #[expose]
    fn ping(&self) -> String {
        "pong".into()
    }

    #[expose]
    fn big(&self) -> String {
        self.0.lock().unwrap().take().unwrap_or_default()
    }

    #[expose]
    fn sink(&self, data: String) -> bool {
        !data.is_empty()
    }
}

/// A typed result is borrowed while it is encoded into its reply frame, so it cannot move to
/// a blocking thread: a large one is encoded in `block_in_place` instead.
#[test]
fn a_large_typed_reply_being_encoded_does_not_stall_other_connections() {
    let _turn = one_at_a_time();
    let tested = runtime_under_test();
    let service = Typed(Mutex::new(Some("x".repeat(24 * MIB))));
    let start = rpc::start_server(Addr::tcp("127.0.0.1", 0), service, options());
    let server = tested.block_on(start).unwrap();
    runtime_of_peers().block_on(async {
        let good = rpc::open_connection(server.addr(), options())
            .await
            .unwrap();
        let asking = rpc::open_connection(server.addr(), options())
            .await
            .unwrap();
        let proxy: TypedProxy = asking.remote_as();
        assert_eq!(proxy.ping().await.unwrap(), "pong");
        let mut reply = None;
        let completed = calls_completed_while_held(
            async { reply = Some(tokio::spawn(async move { proxy.big().await })) },
            pings(good),
        )
        .await;
        assert_eq!(
            completed, CALLS,
            "calls another connection completed while a large typed reply was being encoded"
        );
        let reply = within(20.0, "the large reply", reply.unwrap()).await;
        assert_eq!(reply.unwrap().unwrap().len(), 24 * MIB);
    });
    tested.block_on(server.close());
}

/// A typed call's arguments are borrowed while they are encoded into the request frame: a
/// large one is encoded in `block_in_place`.
#[test]
fn a_large_typed_request_being_encoded_does_not_stall_other_connections() {
    a_large_request_does_not_stall_other_connections(|sender, big| async move {
        let proxy: TypedProxy = sender.remote_as();
        proxy.sink(big).await
    });
}
