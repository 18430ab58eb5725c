//! Hostile and broken peers against the transport (issue 8): each test is a row of the issue's
//! table, or a deadline or bound it asks for.
//!
//! Hostile peers are raw TCP sockets speaking the frame format (4-byte big-endian length, then
//! JSON `[msg_type, msg_id, content]`). Memory is measured with a counting global allocator
//! (`stats_alloc`), never from RSS; the tests therefore run one at a time (`serial`), each on a
//! runtime of its own with two workers. Waits that depend on a peer are bounded (`within`,
//! `eventually`), so no test can hang.

use std::alloc::System;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiomas::channel::{self, Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::rpc::{self, Args, Exception, FromProxy, ServiceMap};
use aiomas::{ConnectionErrorKind, Error, Value};
use aiomas_tests::{echo_server, within};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MIB: isize = 1024 * 1024;

/// Runs `test` on a fresh two-worker runtime, one test at a time (the allocator is global).
fn serial<F: Future<Output = ()>>(test: F) {
    static SERIAL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

/// Bytes allocated and not freed, process-wide (reallocations are already counted in both).
fn live_bytes() -> isize {
    let stats = ALLOCATOR.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// Waits (at most `secs`) until `done` holds; panics with `what` otherwise.
async fn eventually(secs: f64, what: &str, mut done: impl FnMut() -> bool) {
    within(secs, what, async {
        while !done() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

/// Waits (at most `secs`) until the bytes allocated since `before` fall below `limit`.
async fn memory_settles(secs: f64, what: &str, before: isize, limit: isize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(secs);
    loop {
        let grown = live_bytes() - before;
        if grown < limit {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{what}: still {} KiB more than before after {secs} s",
                grown / 1024
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An RPC server for `service` on a free local port.
async fn rpc_server(service: impl rpc::IntoService, options: ChannelOptions) -> rpc::RpcServer {
    rpc::start_server(Addr::tcp("127.0.0.1", 0), service, options)
        .await
        .unwrap()
}

/// A frame with a JSON body.
fn frame(body: &str) -> Vec<u8> {
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body.as_bytes());
    frame
}

/// An RPC request frame calling `path` with JSON `args`.
fn call_frame(msg_id: u64, path: &str, args: &str) -> Vec<u8> {
    frame(&format!("[0, {msg_id}, [\"{path}\", {args}, {{}}]]"))
}

fn tcp_port(addr: &Addr) -> u16 {
    match addr {
        Addr::Tcp { port, .. } => *port,
        other => panic!("not a TCP address: {other}"),
    }
}

async fn raw_connect(addr: &Addr) -> TcpStream {
    TcpStream::connect(("127.0.0.1", tcp_port(addr)))
        .await
        .unwrap()
}

/// Whether the server closed `socket` (EOF or reset), reading and discarding what comes first.
async fn closed_by_server(socket: &mut TcpStream) -> bool {
    let mut sink = vec![0; 64 * 1024];
    loop {
        match socket.read(&mut sink).await {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
    }
}

/// A service whose `hold` calls never end; each running one holds a clone of the returned Arc
/// (whose count is [`IDLE_COUNT`] while none runs).
fn holding_service() -> (ServiceMap, Arc<()>) {
    let held = Arc::new(());
    let service = ServiceMap::new()
        .function("hold", {
            let held = held.clone();
            move |_: Args| {
                let held = held.clone();
                async move {
                    let _held = held;
                    std::future::pending::<()>().await;
                    Ok::<_, Exception>(())
                }
            }
        })
        .function("ping", |_: Args| async { Ok::<_, Exception>("pong") });
    (service, held)
}

/// The count of the Arc of [`holding_service`] while no call runs (the test's and the service's).
const IDLE_COUNT: usize = 2;

// --- backpressure -------------------------------------------------------------------------

/// Row: "pipelined requests with 4 KiB replies and never read them: the container grew from
/// 3 MiB to ~460 MiB". Now the in-flight bound stops reading, so TCP pushes back.
///
/// The peer pipelines 30,000 calls; the test watches until the server has answered them all
/// or has stopped answering (no call for a second: TCP pushes back), at most 30 s. Unbounded,
/// every reply would wait in memory (over 120 MiB).
#[test]
fn a_peer_that_never_reads_its_replies_cannot_grow_our_memory() {
    const CALLS: u64 = 30_000;
    serial(async {
        let answered = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let service = ServiceMap::new().function("blob", {
            let answered = answered.clone();
            move |_: Args| {
                answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                async { Ok::<_, Exception>("x".repeat(4096)) }
            }
        });
        let server = rpc_server(service, ChannelOptions::default()).await;
        let before = live_bytes();
        let socket = raw_connect(server.addr()).await;
        let (_unread, mut writer) = socket.into_split();
        let flood = tokio::spawn(async move {
            for msg_id in 0..CALLS {
                if writer
                    .write_all(&call_frame(msg_id, "blob", "[]"))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            std::future::pending::<()>().await;
        });
        let answered_now = || answered.load(std::sync::atomic::Ordering::Relaxed);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let (mut peak, mut last, mut still) = (0, 0, 0);
        while answered_now() < CALLS && still < 50 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            peak = peak.max(live_bytes() - before);
            let now = answered_now();
            (last, still) = (now, if now == last { still + 1 } else { 0 });
        }
        peak = peak.max(live_bytes() - before);
        flood.abort();
        // 1,000 replies in flight of ~4 KiB each, plus buffers.
        assert!(
            peak < 24 * MIB,
            "grew by {} KiB with {last} of {CALLS} calls answered",
            peak / 1024
        );
        server.close().await;
    });
}

// --- owned call tasks ----------------------------------------------------------------------

/// Row: "20,000 calls that never finish, then hung up; 3 rounds: 10,000 live tasks remain even
/// after `RpcServer::close()`". Now the calls belong to their connection.
///
/// A peer with more calls than the in-flight bound is not read while it waits; its hang-up is
/// still noticed if it resets the connection (as a killed or crashed peer's kernel does when it
/// has unsent or unread data). A polite close (FIN) queues behind the unread requests, so it is
/// noticed once they have been read: the rounds below show both.
#[test]
fn calls_of_a_peer_that_hung_up_are_aborted() {
    serial(async {
        let (service, held) = holding_service();
        let server = rpc_server(service, ChannelOptions::default()).await;
        let before = live_bytes();
        for (round, calls, reset) in [(0, 20_000, true), (1, 20_000, true), (2, 900, false)] {
            let socket = raw_connect(server.addr()).await;
            if reset {
                socket.set_zero_linger().unwrap();
            }
            let frames: Vec<u8> = (0..calls)
                .flat_map(|id| call_frame(id, "hold", "[]"))
                .collect();
            // The server stops reading at its in-flight bound; what it read runs.
            let writing = tokio::spawn(async move {
                let mut socket = socket;
                let _ = socket.write_all(&frames).await;
                std::future::pending::<()>().await;
            });
            let running = calls.min(1_000) as usize;
            eventually(20.0, "calls start", || {
                Arc::strong_count(&held) == IDLE_COUNT + running
            })
            .await;
            writing.abort();
            let _ = writing.await;
            eventually(10.0, &format!("round {round}: calls aborted"), || {
                Arc::strong_count(&held) == IDLE_COUNT
            })
            .await;
        }
        memory_settles(10.0, "their memory is freed", before, MIB).await;

        // Calls of a connection that is still open end with the server.
        let mut socket = raw_connect(server.addr()).await;
        let frames: Vec<u8> = (0..100)
            .flat_map(|id| call_frame(id, "hold", "[]"))
            .collect();
        socket.write_all(&frames).await.unwrap();
        eventually(10.0, "calls start", || {
            Arc::strong_count(&held) == IDLE_COUNT + 100
        })
        .await;
        within(15.0, "server closes", server.close()).await;
        eventually(10.0, "calls aborted by close", || {
            Arc::strong_count(&held) == IDLE_COUNT
        })
        .await;
    });
}

// --- every call gets an answer ------------------------------------------------------------

/// Row: "called an unknown method whose name is ~8 MiB: the error reply exceeds the frame limit,
/// nothing is sent, the caller hangs forever". (A 256 KiB limit here, the same case.)
#[test]
fn an_error_reply_too_large_for_the_frame_limit_is_shortened() {
    serial(async {
        let options = ChannelOptions::default().max_frame_size(256 * 1024);
        let server = rpc_server(ServiceMap::new(), options.clone()).await;
        let client = rpc::open_connection(server.addr(), options).await.unwrap();
        // The request just fits; the error reply, which quotes the name, would not.
        let name = "x".repeat(256 * 1024 - 40);
        let err = within(10.0, "the error reply", client.remote().call(&name, vec![]))
            .await
            .unwrap_err();
        let Error::Remote(remote) = &err else {
            panic!("expected an exception reply, got {err:?}");
        };
        assert!(remote.traceback().len() < 256 * 1024);
        assert!(
            remote
                .traceback()
                .contains("bytes cut to fit the frame limit"),
            "{}",
            &remote.traceback()[remote.traceback().len() - 200..]
        );
        // The connection goes on.
        let err = client.remote().call("missing", vec![]).await.unwrap_err();
        assert!(matches!(err, Error::Remote(_)), "{err:?}");
        client.close().await;
        server.close().await;
    });
}

/// A request that its handler drops unanswered is answered for it: no caller waits forever.
#[test]
fn a_dropped_request_is_answered() {
    serial(async {
        let server = channel::start_server(
            Addr::tcp("127.0.0.1", 0),
            ChannelOptions::default(),
            |channel| async move {
                while let Ok(request) = channel.recv().await {
                    drop(request);
                }
            },
        )
        .await
        .unwrap();
        let channel =
            channel::open_connection(server.addr(), ChannelOptions::default().call_timeout(None))
                .await
                .unwrap();
        let err = within(10.0, "the answer", channel.send("ohai"))
            .await
            .unwrap_err();
        let Error::Remote(remote) = &err else {
            panic!("expected an exception reply, got {err:?}");
        };
        assert_eq!(remote.kind(), Some("RuntimeError"), "{remote}");
        assert!(
            remote.message().contains("dropped without a reply"),
            "{remote}"
        );
        server.close().await;
    });
}

/// Row: "one 8 MiB call per connection, then idle: the 8 MiB read buffer stays allocated for the
/// connection's life".
#[test]
fn a_large_frame_leaves_no_large_buffer_behind() {
    serial(async {
        let server = echo_server(Addr::tcp("127.0.0.1", 0), ChannelOptions::default()).await;
        let channel = channel::open_connection(server.addr(), ChannelOptions::default())
            .await
            .unwrap();
        assert_eq!(channel.send("ohai").await.unwrap(), "cya".into());
        let before = live_bytes();
        let big = Value::Str("x".repeat(7 * 1024 * 1024));
        assert_eq!(channel.send(big.clone()).await.unwrap(), big);
        drop(big);
        memory_settles(5.0, "the read buffers are released", before, MIB).await;
        channel.close().await;
        server.close().await;
    });
}

// --- deadlines ------------------------------------------------------------------------------

/// Row: "16 connections each sending 8 MiB - 1 byte, then silence: 130 MiB held forever (no
/// read timeout mid-frame)".
#[test]
fn frames_that_stall_midway_are_cut_after_the_read_timeout() {
    serial(async {
        let options = ChannelOptions::default().read_timeout(Duration::from_millis(300));
        let server = echo_server(Addr::tcp("127.0.0.1", 0), options).await;
        let before = live_bytes();
        let mut sockets = Vec::new();
        for _ in 0..16 {
            let mut socket = raw_connect(server.addr()).await;
            let size: u32 = 8 * 1024 * 1024 - 1;
            socket.write_all(&size.to_be_bytes()).await.unwrap();
            socket.write_all(&vec![b' '; 1024 * 1024]).await.unwrap();
            sockets.push(socket);
        }
        for socket in &mut sockets {
            assert!(
                within(
                    10.0,
                    "the server cuts the stalled frame",
                    closed_by_server(socket)
                )
                .await
            );
        }
        memory_settles(10.0, "their buffers are freed", before, 2 * MIB).await;
        server.close().await;
    });
}

struct Sleeper;

#[aiomas::service]
impl Sleeper {
    /// Answers `ms` after sleeping that long.
    #[expose]
    async fn sleep(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }
}

/// A per-call timeout on typed and dynamic proxies and a default per connection; the
/// connection stays usable and the late reply is dropped.
#[test]
fn calls_time_out_and_the_connection_stays_usable() {
    serial(async {
        let server = rpc_server(Sleeper, ChannelOptions::default()).await;
        let options = ChannelOptions::default().call_timeout(Some(Duration::from_millis(100)));
        let client = rpc::open_connection(server.addr(), options).await.unwrap();

        // The connection's default.
        let err = client
            .remote()
            .call("sleep", vec![2_000.into()])
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_eq!(
            client.remote().call("sleep", vec![1.into()]).await.unwrap(),
            1.into()
        );

        // Per proxy: typed and dynamic, shorter and longer than the default.
        let typed: SleeperProxy = client.remote_as();
        let err = typed
            .with_timeout(Some(Duration::from_millis(20)))
            .sleep(60)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert_eq!(typed.with_timeout(None).sleep(300).await.unwrap(), 300);
        let patient = client.remote().with_timeout(Some(Duration::from_secs(5)));
        assert_eq!(
            patient.call("sleep", vec![300.into()]).await.unwrap(),
            300.into()
        );

        // The late replies arrive and are dropped; the connection is fine.
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        assert!(!client.channel().is_closed());
        assert_eq!(typed.sleep(1).await.unwrap(), 1);
        client.close().await;
        server.close().await;
    });
}

/// Abandoned calls (cancelled or timed out) leave nothing behind, even when their replies never
/// come (they used to leave a tombstone each), and requests to a peer that never reads wait in
/// a bounded queue.
#[test]
fn abandoned_calls_leave_nothing_behind() {
    serial(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            std::future::pending::<()>().await;
            drop(socket);
        });
        let channel =
            channel::open_connection(&Addr::tcp("127.0.0.1", port), ChannelOptions::default())
                .await
                .unwrap();
        let before = live_bytes();
        for _ in 0..50_000 {
            let call = channel.send_with_timeout("ohai", None);
            let _ = tokio::time::timeout(Duration::ZERO, call).await;
        }
        let grown = live_bytes() - before;
        assert!(grown < 256 * 1024, "grew by {} KiB", grown / 1024);
        silent.abort();
    });
}

// --- connection hygiene ----------------------------------------------------------------------

/// Row: "idle connections up to the descriptor limit: good clients locked out". At the cap, a
/// new connection displaces the longest-idle one; busy ones keep working; when all are busy the
/// newcomer is refused.
#[test]
fn at_the_connection_cap_idle_connections_make_room_and_busy_ones_keep_working() {
    serial(async {
        let release = Arc::new(tokio::sync::Notify::new());
        let service = ServiceMap::new()
            .function("wait", {
                let release = release.clone();
                move |_: Args| {
                    let release = release.clone();
                    async move {
                        release.notified().await;
                        Ok::<_, Exception>("done")
                    }
                }
            })
            .function("ping", |_: Args| async { Ok::<_, Exception>("pong") });
        let options = ChannelOptions::default().max_connections(3);
        let server = rpc_server(service, options).await;

        let busy = rpc::open_connection(server.addr(), ChannelOptions::default())
            .await
            .unwrap();
        let busy_call = tokio::spawn({
            let remote = busy.remote();
            async move { remote.call("wait", vec![]).await }
        });
        let mut oldest_idle = raw_connect(server.addr()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut newer_idle = raw_connect(server.addr()).await;
        tokio::time::sleep(Duration::from_millis(100)).await;

        // At the cap: a good client gets in, the longest-idle connection makes room.
        let good = rpc::open_connection(server.addr(), ChannelOptions::default())
            .await
            .unwrap();
        let pong = within(
            5.0,
            "the newcomer's call",
            good.remote().call("ping", vec![]),
        )
        .await;
        assert_eq!(pong.unwrap(), "pong".into());
        assert!(
            within(
                5.0,
                "the idlest is displaced",
                closed_by_server(&mut oldest_idle)
            )
            .await
        );

        // Everybody busy: the next newcomer is refused, the busy ones go on.
        newer_idle
            .write_all(&call_frame(0, "wait", "[]"))
            .await
            .unwrap();
        let good_call = tokio::spawn({
            let remote = good.remote();
            async move { remote.call("wait", vec![]).await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let refused = rpc::open_connection(server.addr(), ChannelOptions::default())
            .await
            .unwrap();
        let err = within(5.0, "the refusal", refused.remote().call("ping", vec![]))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connection(_)), "{err:?}");

        release.notify_waiters();
        assert_eq!(
            within(5.0, "busy call", busy_call).await.unwrap().unwrap(),
            "done".into()
        );
        assert_eq!(
            within(5.0, "good call", good_call).await.unwrap().unwrap(),
            "done".into()
        );
        server.close().await;
    });
}

/// An optional idle timeout closes connections without calls; one with a call in flight stays.
#[test]
fn the_idle_timeout_closes_only_idle_connections() {
    serial(async {
        let (service, held) = holding_service();
        let options = ChannelOptions::default().idle_timeout(Some(Duration::from_millis(200)));
        let server = rpc_server(service, options).await;
        let mut idle = raw_connect(server.addr()).await;
        let mut busy = raw_connect(server.addr()).await;
        busy.write_all(&call_frame(0, "hold", "[]")).await.unwrap();
        assert!(within(5.0, "the idle one is closed", closed_by_server(&mut idle)).await);
        eventually(5.0, "the call runs", || {
            Arc::strong_count(&held) == IDLE_COUNT + 1
        })
        .await;
        let mut byte = [0; 1];
        let still_open =
            tokio::time::timeout(Duration::from_millis(600), busy.read(&mut byte)).await;
        assert!(
            still_open.is_err(),
            "the busy connection was closed: {still_open:?}"
        );
        server.close().await;
    });
}

/// Row: "a 1,000-connection burst: ~1 s SYN-retry stalls, the listen backlog is fixed at 128".
/// While the server does not accept, 600 connections wait in its listen queue (with 128, the
/// 130th connect times out: the kernel drops its SYN).
#[test]
fn a_burst_of_connections_fits_the_listen_queue() {
    let _one_at_a_time = {
        static SERIAL_BACKLOG: Mutex<()> = Mutex::new(());
        SERIAL_BACKLOG.lock().unwrap_or_else(|p| p.into_inner())
    };
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let server = channel::start_server(
                Addr::tcp("127.0.0.1", 0),
                ChannelOptions::default(),
                |_| async {},
            )
            .await
            .unwrap();
            addr_tx.send(tcp_port(server.addr())).unwrap();
            // Blocks the only thread of the runtime: nothing is accepted meanwhile.
            let _ = release_rx.recv();
            server.close().await;
        });
    });
    let port = addr_rx.recv().unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut queued = Vec::new();
    for _ in 0..600 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(socket) => queued.push(socket),
            Err(_) => break,
        }
    }
    let waiting = queued.len();
    drop(queued);
    release_tx.send(()).unwrap();
    server.join().unwrap();
    assert_eq!(
        waiting, 600,
        "only {waiting} connections fit the listen queue"
    );
}

// --- errors a user can act on -----------------------------------------------------------------

/// Connection failures say what happened instead of "early eof", and keep their sources.
#[test]
fn connection_failures_say_what_happened() {
    serial(async {
        // The peer hangs up while a call is pending.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            // The whole request, so that it hangs up politely (FIN).
            let mut header = [0; 4];
            socket.read_exact(&mut header).await.unwrap();
            let mut body = vec![0; u32::from_be_bytes(header) as usize];
            socket.read_exact(&mut body).await.unwrap();
        });
        let channel =
            channel::open_connection(&Addr::tcp("127.0.0.1", port), ChannelOptions::default())
                .await
                .unwrap();
        let err = within(5.0, "the failure", channel.send("ohai"))
            .await
            .unwrap_err();
        let Error::Connection(conn) = &err else {
            panic!("expected a connection error, got {err:?}");
        };
        assert_eq!(conn.kind(), ConnectionErrorKind::Closed);
        assert!(
            err.to_string()
                .contains("closed by the peer while 1 call was pending"),
            "{err}"
        );
        assert!(!err.to_string().contains("early eof"), "{err}");

        // Refused, with the I/O error as the source.
        let err =
            channel::open_connection(&Addr::tcp("127.0.0.1", port), ChannelOptions::default())
                .await
                .unwrap_err();
        assert!(
            matches!(&err, Error::Connection(c) if c.kind() == ConnectionErrorKind::Refused),
            "{err:?}"
        );
        assert!(err.to_string().contains("refused"), "{err}");
        let source = std::error::Error::source(&err).expect("the I/O error is kept");
        assert!(
            source.to_string().to_lowercase().contains("refused"),
            "{source}"
        );

        // A codec mismatch is named on the side that notices it.
        let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel();
        let server = channel::start_server(
            Addr::tcp("127.0.0.1", 0),
            ChannelOptions::default(),
            move |channel| {
                let seen = seen_tx.clone();
                async move {
                    if let Err(err) = channel.recv().await {
                        let _ = seen.send(err.to_string());
                    }
                }
            },
        )
        .await
        .unwrap();
        let msgpack = channel::open_connection(
            server.addr(),
            ChannelOptions::default().codec(Codec::MsgPack),
        )
        .await
        .unwrap();
        let err = within(5.0, "the failure", msgpack.send("ohai"))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Connection(_)), "{err:?}");
        let seen = within(5.0, "the server's error", seen_rx.recv())
            .await
            .unwrap();
        assert!(seen.contains("codec mismatch suspected"), "{seen}");
        assert!(seen.contains("msgpack"), "{seen}");
        server.close().await;
    });
}
