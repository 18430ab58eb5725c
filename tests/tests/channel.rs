//! Behaviour of the channel layer, Rust on both sides.
//!
//! Every test is bounded in time ([`within`] or `tokio::time::timeout`): a broken channel fails
//! a test, it never hangs CI. Protocol-error tests talk to our server through a raw TCP socket
//! that writes frames by hand.

use std::time::{Duration, Instant};

use aiomas::channel::{self, Addr, Channel, ChannelOptions, Request, Retry, Server};
use aiomas::codec::Codec;
use aiomas::{ConnectionErrorKind, Error, Value};
use aiomas_tests::{temp_socket_path, within};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

// --- helpers ---------------------------------------------------------------

/// The most any test here may take as a whole (each await inside has a tighter bound).
const TEST_LIMIT: f64 = 60.0;

/// Builds a list value.
macro_rules! list {
    ($($item:expr),* $(,)?) => { Value::List(vec![$(Value::from($item)),*]) };
}

/// A small deterministic PRNG (xorshift64*), so tests need no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the handlers of a [`TestServer`] report.
#[derive(Debug)]
enum Event {
    /// A connection handler's `recv` failed with this error; the handler ended.
    Ended(Error),
    /// `Request::reply` returned this error.
    ReplyFailed(Error),
}

/// A server answering the commands below, each request in its own task:
///
/// - `["sleep", ms, x]`: reply `x` after `ms` milliseconds
/// - `["fail", kind, message]`: `Request::fail(kind, message)`
/// - `["close"]`: close the connection without replying
/// - `["big", n]`: reply a string of `n` bytes
/// - `["bytes"]`: reply bytes
/// - anything else: reply the content unchanged (echo)
struct TestServer {
    server: Server,
    events: mpsc::UnboundedReceiver<Event>,
    options: ChannelOptions,
}

impl TestServer {
    async fn start(addr: Addr, options: ChannelOptions) -> TestServer {
        let (tx, events) = mpsc::unbounded_channel();
        let server = within(
            5.0,
            "start_server",
            channel::start_server(addr, options.clone(), move |channel| {
                serve(channel, tx.clone())
            }),
        )
        .await
        .expect("start_server");
        TestServer {
            server,
            events,
            options,
        }
    }

    async fn tcp() -> TestServer {
        Self::start(Addr::tcp("127.0.0.1", 0), ChannelOptions::default()).await
    }

    fn addr(&self) -> &Addr {
        self.server.addr()
    }

    async fn next_event(&mut self) -> Event {
        within(5.0, "a server event", self.events.recv())
            .await
            .expect("the server's handlers are gone")
    }

    /// Waits for a connection handler to end and returns the error its `recv` ended with.
    async fn ended(&mut self) -> Error {
        loop {
            match self.next_event().await {
                Event::Ended(err) => return err,
                Event::ReplyFailed(_) => {}
            }
        }
    }

    /// Proves the server still serves: a fresh client gets an echo.
    async fn assert_alive(&self) {
        let client = connect_with(self.addr(), self.options.clone()).await;
        let reply = within(5.0, "echo from a fresh client", client.send("still there?")).await;
        assert_eq!(reply.expect("echo"), Value::from("still there?"));
        client.close().await;
    }
}

async fn serve(channel: Channel, events: mpsc::UnboundedSender<Event>) {
    loop {
        match channel.recv().await {
            Ok(request) => {
                tokio::spawn(handle(request, events.clone()));
            }
            Err(err) => {
                let _ = events.send(Event::Ended(err));
                return;
            }
        }
    }
}

async fn handle(request: Request, events: mpsc::UnboundedSender<Event>) {
    let content = request.content().clone();
    let items = content.as_list().unwrap_or_default();
    let command = items.first().and_then(Value::as_str).unwrap_or_default();
    let result = match (command, items) {
        ("sleep", [_, ms, x]) => {
            let ms = ms.as_u64().expect("sleep milliseconds");
            tokio::time::sleep(Duration::from_millis(ms)).await;
            request.reply(x.clone())
        }
        ("fail", [_, kind, message]) => {
            request.fail(kind.as_str().unwrap(), message.as_str().unwrap())
        }
        ("close", [_]) => {
            let channel = request.channel().expect("the connection is alive");
            channel.close().await;
            Ok(())
        }
        ("big", [_, n]) => request.reply("x".repeat(n.as_u64().unwrap() as usize)),
        ("bytes", [_]) => request.reply(Value::Bytes(vec![0, 1, 2])),
        _ => request.reply(content),
    };
    if let Err(err) = result {
        let _ = events.send(Event::ReplyFailed(err));
    }
}

async fn connect_with(addr: &Addr, options: ChannelOptions) -> Channel {
    within(
        5.0,
        "open_connection",
        channel::open_connection(addr, options),
    )
    .await
    .unwrap_or_else(|err| panic!("cannot connect to {addr}: {err}"))
}

async fn connect(addr: &Addr) -> Channel {
    connect_with(addr, ChannelOptions::default()).await
}

/// Values every codec carries (no bytes: JSON cannot).
fn sample_values() -> Vec<Value> {
    vec![
        Value::Nil,
        true.into(),
        false.into(),
        0.into(),
        (-1).into(),
        i64::MIN.into(),
        i64::MAX.into(),
        u64::MAX.into(),
        (1u64 << 31).into(),
        0.5.into(),
        1.0.into(),
        (-1e300).into(),
        "".into(),
        "äöü ✓ 日本 🦀 \"quoted\" \\ \n\t\u{0}".into(),
        list![],
        Value::Map(vec![]),
        list![
            1,
            "two",
            list![3.5, Value::Nil],
            Value::Map(vec![("k".into(), list![])])
        ],
        Value::Map(vec![
            ("z".into(), 1.into()),
            ("a".into(), list![true, false]),
            ("m".into(), Value::Map(vec![("deep".into(), "yes".into())])),
        ]),
        "long ".repeat(100_000).into(),
    ]
}

async fn assert_echoes(channel: &Channel, values: Vec<Value>) {
    for value in values {
        let reply = within(5.0, "echo", channel.send(value.clone())).await;
        let reply = reply.unwrap_or_else(|err| panic!("echo of {value:.100} failed: {err}"));
        assert_eq!(reply, value, "echo changed the value");
    }
}

/// A free TCP port on 127.0.0.1 (bound and released again).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local_addr").port()
}

fn expect_connection_error(result: Result<impl std::fmt::Debug, Error>, what: &str) {
    match result {
        Err(Error::Connection(_)) => {}
        other => panic!("{what}: expected Error::Connection, got {other:?}"),
    }
}

// --- raw frames ------------------------------------------------------------

/// A frame: 4-byte big-endian length, then `body`.
fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

async fn read_raw_frame(stream: &mut TcpStream) -> Vec<u8> {
    within(5.0, "a raw frame", async {
        let mut header = [0; 4];
        stream.read_exact(&mut header).await.expect("frame header");
        let mut body = vec![0; u32::from_be_bytes(header) as usize];
        stream.read_exact(&mut body).await.expect("frame body");
        body
    })
    .await
}

/// Waits until the peer has closed `stream` (EOF or reset), discarding what arrives.
async fn assert_closed_by_peer(stream: &mut TcpStream) {
    within(5.0, "the peer closing the raw connection", async {
        let mut buf = [0; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// Connects a raw TCP client to a fresh JSON server, checks it with a valid request, writes
/// `bad`, and asserts: the server closes that connection, its `recv` ends with
/// `Error::Protocol`, and it keeps serving other clients.
async fn assert_protocol_error(bad: &[u8], what: &str) {
    assert_protocol_error_with(ChannelOptions::default(), bad, what).await;
}

/// [`assert_protocol_error`] against a server with `options` (codec, frame limit).
async fn assert_protocol_error_with(options: ChannelOptions, bad: &[u8], what: &str) {
    let codec = options.get_codec();
    let mut server = TestServer::start(Addr::tcp("127.0.0.1", 0), options).await;
    let mut raw = TcpStream::connect(server.addr().to_string())
        .await
        .expect("raw connect");
    // Our hand-made frames are right: a valid request gets its reply.
    let request = codec.encode(&list![0, 0, list!["hi", 1]]).unwrap();
    raw.write_all(&frame(&request)).await.unwrap();
    let reply = codec.decode(&read_raw_frame(&mut raw).await).unwrap();
    assert_eq!(reply, list![1, 0, list!["hi", 1]], "{what}: sanity request");

    raw.write_all(bad).await.unwrap();
    assert_closed_by_peer(&mut raw).await;
    match server.ended().await {
        Error::Protocol(msg) => assert!(!msg.is_empty()),
        other => {
            panic!("{what}: expected the connection to end with Error::Protocol, got {other:?}")
        }
    }
    server.assert_alive().await;
    within(10.0, "Server::close", server.server.close()).await;
}

/// A blosc frame body: the 16-byte header (version 2, blosclz 1, flags, typesize 8, nbytes,
/// blocksize, cbytes = the body's length) and `payload`.
fn blosc_body(flags: u8, nbytes: u32, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![2u8, 1, flags, 8];
    body.extend_from_slice(&nbytes.to_le_bytes());
    body.extend_from_slice(&nbytes.min(1 << 16).to_le_bytes());
    body.extend_from_slice(&((16 + payload.len()) as u32).to_le_bytes());
    body.extend_from_slice(payload);
    body
}

// --- transports ------------------------------------------------------------

#[tokio::test]
async fn echo_over_tcp_v4() {
    within(TEST_LIMIT, "test echo_over_tcp_v4", async {
        let server = TestServer::tcp().await;
        let client = connect(server.addr()).await;
        assert!(client.peer().starts_with("127.0.0.1:"), "{}", client.peer());
        assert_echoes(&client, sample_values()).await;
        client.close().await;
        within(10.0, "Server::close", server.server.close()).await;
    })
    .await;
}

#[tokio::test]
async fn echo_over_tcp_v6() {
    within(TEST_LIMIT, "test echo_over_tcp_v6", async {
        let server = TestServer::start(Addr::tcp("::1", 0), ChannelOptions::default()).await;
        assert!(server.addr().to_string().starts_with("[::1]:"));
        let client = connect(server.addr()).await;
        assert_echoes(&client, sample_values()).await;
        // The printed form parses back to the same address.
        let reparsed: Addr = server.addr().to_string().parse().unwrap();
        let again = connect(&reparsed).await;
        assert_echoes(&again, vec!["v6".into()]).await;
        within(10.0, "Server::close", server.server.close()).await;
    })
    .await;
}

#[tokio::test]
async fn echo_over_unix_socket() {
    within(TEST_LIMIT, "test echo_over_unix_socket", async {
        let path = temp_socket_path("echo");
        let server = TestServer::start(Addr::unix(&path), ChannelOptions::default()).await;
        assert_eq!(server.addr(), &Addr::unix(&path));
        let client = connect(server.addr()).await;
        assert_echoes(&client, sample_values()).await;
        client.close().await;
        within(10.0, "Server::close", server.server.close()).await;
        drop(server);
        assert!(!path.exists(), "the socket file is removed with the server");
    })
    .await;
}

#[tokio::test]
async fn echo_over_local_queue() {
    within(TEST_LIMIT, "test echo_over_local_queue", async {
        let addr = Addr::local(format!("channel-echo-{}", std::process::id()));
        let server = TestServer::start(addr.clone(), ChannelOptions::default()).await;
        let client = connect(&addr).await;
        assert_echoes(&client, sample_values()).await;
        client.close().await;
        within(10.0, "Server::close", server.server.close()).await;
    })
    .await;
}

#[tokio::test]
async fn echo_with_every_codec() {
    within(TEST_LIMIT, "test echo_with_every_codec", async {
        for codec in [Codec::Json, Codec::MsgPack, Codec::MsgPackBlosc] {
            let options = ChannelOptions::default().codec(codec);
            let server = TestServer::start(Addr::tcp("127.0.0.1", 0), options.clone()).await;
            let client = connect_with(server.addr(), options).await;
            let mut values = sample_values();
            if codec != Codec::Json {
                values.push(Value::Bytes(vec![]));
                values.push(Value::Bytes((0..=255).collect()));
                values.push(Value::Map(vec![(1.into(), "int key".into())]));
            }
            assert_echoes(&client, values).await;
            client.close().await;
            within(10.0, "Server::close", server.server.close()).await;
        }
    })
    .await;
}

#[tokio::test]
async fn port_zero_reports_the_real_port() {
    within(TEST_LIMIT, "test port_zero_reports_the_real_port", async {
        let server = TestServer::tcp().await;
        let port = server.addr().port().expect("a TCP address");
        assert_ne!(port, 0);
        assert_eq!(server.addr(), &Addr::tcp("127.0.0.1", port));
        // Something really listens there.
        within(5.0, "raw connect", TcpStream::connect(("127.0.0.1", port)))
            .await
            .expect("connect to the reported port");
        within(10.0, "Server::close", server.server.close()).await;
    })
    .await;
}

// --- concurrency -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_concurrent_requests_get_their_own_replies() {
    within(
        TEST_LIMIT,
        "test thousand_concurrent_requests_get_their_own_replies",
        async {
            let server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let mut rng = Rng(0x5eed);
            let mut calls = JoinSet::new();
            for i in 0..1000u64 {
                let client = client.clone();
                let ms = rng.below(20);
                calls.spawn(async move { (i, client.send(list!["sleep", ms, i]).await) });
            }
            let mut order = Vec::new();
            within(30.0, "1000 concurrent requests", async {
                while let Some(joined) = calls.join_next().await {
                    let (i, reply) = joined.expect("request task");
                    assert_eq!(
                        reply.expect("reply"),
                        Value::from(i),
                        "reply of request {i}"
                    );
                    order.push(i);
                }
            })
            .await;
            assert_eq!(order.len(), 1000);
            assert!(
                order.windows(2).any(|w| w[0] > w[1]),
                "replies should have come out of order"
            );
            client.close().await;
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_sides_send_requests_on_one_connection() {
    within(
        TEST_LIMIT,
        "test both_sides_send_requests_on_one_connection",
        async {
            const N: u64 = 100;
            let (results_tx, mut results) = mpsc::unbounded_channel();
            let server = channel::start_server(
                Addr::tcp("127.0.0.1", 0),
                ChannelOptions::default(),
                move |channel| {
                    let results_tx = results_tx.clone();
                    async move {
                        // Serve the client's requests ...
                        let serving = tokio::spawn(answer_as(channel.clone(), "server"));
                        // ... while sending our own on the same connection.
                        let mut calls = JoinSet::new();
                        for i in 0..N {
                            let channel = channel.clone();
                            calls.spawn(
                                async move { (i, channel.send(list!["from server", i]).await) },
                            );
                        }
                        while let Some(joined) = calls.join_next().await {
                            let _ = results_tx.send(joined.expect("server request task"));
                        }
                        let _ = serving.await;
                    }
                },
            )
            .await
            .unwrap();

            let client = connect(server.addr()).await;
            let serving = tokio::spawn(answer_as(client.clone(), "client"));
            let mut calls = JoinSet::new();
            for i in 0..N {
                let client = client.clone();
                calls.spawn(async move { (i, client.send(list!["from client", i]).await) });
            }
            within(20.0, "requests in both directions", async {
                while let Some(joined) = calls.join_next().await {
                    let (i, reply) = joined.expect("client request task");
                    assert_eq!(reply.unwrap(), list!["server", "from client", i]);
                }
                for _ in 0..N {
                    let (i, reply) = results.recv().await.expect("server results");
                    assert_eq!(reply.unwrap(), list!["client", "from server", i]);
                }
            })
            .await;
            client.close().await;
            within(10.0, "serving task ends", serving).await.unwrap();
            within(10.0, "Server::close", server.close()).await;
        },
    )
    .await;
}

/// Answers every request `[tag, n]` with `[me, tag, n]` until the connection closes.
async fn answer_as(channel: Channel, me: &'static str) {
    while let Ok(request) = channel.recv().await {
        tokio::spawn(async move {
            let mut reply = vec![Value::from(me)];
            reply.extend(request.content().as_list().unwrap().iter().cloned());
            let _ = request.reply(Value::List(reply));
        });
    }
}

// --- errors from the peer --------------------------------------------------

#[tokio::test]
async fn fail_arrives_as_remote_error() {
    within(TEST_LIMIT, "test fail_arrives_as_remote_error", async {
        let server = TestServer::tcp().await;
        let client = connect(server.addr()).await;
        let result = within(
            5.0,
            "fail",
            client.send(list!["fail", "ValueError", "bad things ✓"]),
        )
        .await;
        let Err(Error::Remote(remote)) = result else {
            panic!("expected Error::Remote, got {result:?}");
        };
        assert_eq!(remote.kind(), Some("ValueError"));
        assert_eq!(remote.message(), "bad things ✓");
        assert!(remote.traceback().starts_with("Traceback"), "{remote}");
        assert_eq!(remote.origin(), client.peer());
        // The connection is fine afterwards.
        assert_echoes(&client, vec!["after fail".into()]).await;
        assert!(!client.is_closed());
        within(10.0, "Server::close", server.server.close()).await;
    })
    .await;
}

#[tokio::test]
async fn peer_closing_mid_request_fails_send_and_recv() {
    within(
        TEST_LIMIT,
        "test peer_closing_mid_request_fails_send_and_recv",
        async {
            let server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let receiver = tokio::spawn({
                let client = client.clone();
                async move { client.recv().await }
            });
            let slow = tokio::spawn({
                let client = client.clone();
                async move { client.send(list!["sleep", 60_000, "never"]).await }
            });
            tokio::time::sleep(Duration::from_millis(50)).await;

            let started = Instant::now();
            let result = within(
                5.0,
                "send that the peer closes",
                client.send(list!["close"]),
            )
            .await;
            expect_connection_error(result, "the request the peer closed on");
            assert!(started.elapsed() < Duration::from_secs(3));
            let other = within(5.0, "other pending send", slow).await.unwrap();
            expect_connection_error(other, "another pending request");
            let recv = within(5.0, "waiting recv", receiver).await.unwrap();
            expect_connection_error(recv, "a waiting recv");

            assert!(client.is_closed());
            expect_connection_error(
                within(5.0, "send after close", client.send("late")).await,
                "a send after the close",
            );
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn peer_vanishing_fails_pending_send() {
    within(
        TEST_LIMIT,
        "test peer_vanishing_fails_pending_send",
        async {
            // A raw server that reads the request and drops the socket without a word.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = Addr::tcp("127.0.0.1", listener.local_addr().unwrap().port());
            let peer = tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut header = [0; 4];
                socket.read_exact(&mut header).await.unwrap();
                let mut body = vec![0; u32::from_be_bytes(header) as usize];
                socket.read_exact(&mut body).await.unwrap();
                drop(socket);
            });
            let client = connect(&addr).await;
            let result = within(5.0, "send to a vanishing peer", client.send("hello?")).await;
            expect_connection_error(result, "the peer went away");
            expect_connection_error(within(5.0, "recv", client.recv()).await, "recv");
            peer.await.unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn close_flushes_queued_replies() {
    within(TEST_LIMIT, "test close_flushes_queued_replies", async {
        const N: usize = 200;
        // The server collects all requests, queues all replies (20 KB each, more than the
        // socket buffers take at once), and closes right away.
        let server = channel::start_server(
            Addr::tcp("127.0.0.1", 0),
            ChannelOptions::default(),
            |channel| async move {
                let mut requests = Vec::new();
                while requests.len() < N {
                    match channel.recv().await {
                        Ok(request) => requests.push(request),
                        Err(_) => return,
                    }
                }
                for request in requests {
                    let n = request.content().as_u64().unwrap();
                    let _ = request.reply(list![n, "r".repeat(20_000)]);
                }
                channel.close().await;
            },
        )
        .await
        .unwrap();
        let client = connect(server.addr()).await;
        let mut calls = JoinSet::new();
        for i in 0..N {
            let client = client.clone();
            calls.spawn(async move { (i, client.send(i).await) });
        }
        within(20.0, "all replies before the close", async {
            while let Some(joined) = calls.join_next().await {
                let (i, reply) = joined.unwrap();
                let reply = reply.unwrap_or_else(|err| panic!("reply {i} lost: {err}"));
                assert_eq!(reply.as_list().unwrap()[0], Value::from(i));
            }
        })
        .await;
        // And then the close arrives.
        expect_connection_error(within(5.0, "recv after close", client.recv()).await, "recv");
        within(10.0, "Server::close", server.close()).await;
    })
    .await;
}

#[tokio::test]
async fn own_close_fails_pending_requests_and_later_calls() {
    within(
        TEST_LIMIT,
        "test own_close_fails_pending_requests_and_later_calls",
        async {
            let mut server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let pending = tokio::spawn({
                let client = client.clone();
                async move { client.send(list!["sleep", 60_000, 0]).await }
            });
            let receiver = tokio::spawn({
                let client = client.clone();
                async move { client.recv().await }
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            within(5.0, "Channel::close", client.close()).await;
            expect_connection_error(within(5.0, "pending", pending).await.unwrap(), "pending");
            expect_connection_error(within(5.0, "recv", receiver).await.unwrap(), "recv");
            expect_connection_error(
                within(5.0, "send", client.send(1)).await,
                "send after close",
            );
            assert!(client.is_closed());
            // Closing twice is fine.
            within(5.0, "second close", client.close()).await;
            // The server saw the connection end.
            expect_connection_error(Err::<(), _>(server.ended().await), "server recv");
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection() {
    within(
        TEST_LIMIT,
        "test dropping_the_last_handle_closes_the_connection",
        async {
            let mut server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let clone = client.clone();
            assert_echoes(&clone, vec!["one".into()]).await;
            drop(client);
            assert_echoes(&clone, vec!["still open while a clone lives".into()]).await;
            drop(clone);
            expect_connection_error(Err::<(), _>(server.ended().await), "server recv");
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn a_late_reply_to_a_cancelled_request_is_ignored() {
    within(
        TEST_LIMIT,
        "test a_late_reply_to_a_cancelled_request_is_ignored",
        async {
            let mut server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let cancelled = tokio::time::timeout(
                Duration::from_millis(50),
                client.send(list!["sleep", 300, "late"]),
            )
            .await;
            assert!(cancelled.is_err(), "the request should still be pending");
            // Let the late reply arrive.
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert!(
                !client.is_closed(),
                "a late reply must not break the connection"
            );
            assert_echoes(&client, vec!["after the late reply".into()]).await;
            // Nothing went wrong on the server side either.
            assert!(server.events.try_recv().is_err());
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

// --- protocol errors -------------------------------------------------------

#[tokio::test]
async fn malformed_payload_is_a_protocol_error() {
    within(
        TEST_LIMIT,
        "test malformed_payload_is_a_protocol_error",
        async {
            assert_protocol_error(&frame(b"[0, 1, not json"), "malformed JSON").await;
            assert_protocol_error(&frame(b"\xff\xfe\x00"), "not UTF-8").await;
            assert_protocol_error(&frame(b""), "empty body").await;
        },
    )
    .await;
}

#[tokio::test]
async fn unknown_msg_type_is_a_protocol_error() {
    within(
        TEST_LIMIT,
        "test unknown_msg_type_is_a_protocol_error",
        async {
            assert_protocol_error(&frame(br#"[7, 1, "x"]"#), "msg_type 7").await;
            assert_protocol_error(&frame(br#"[256, 1, "x"]"#), "msg_type 256").await;
            assert_protocol_error(&frame(br#"["0", 1, "x"]"#), "msg_type as a string").await;
            assert_protocol_error(&frame(br#"[-1, 1, "x"]"#), "negative msg_type").await;
        },
    )
    .await;
}

#[tokio::test]
async fn reply_to_unknown_id_is_a_protocol_error() {
    within(
        TEST_LIMIT,
        "test reply_to_unknown_id_is_a_protocol_error",
        async {
            assert_protocol_error(&frame(br#"[1, 42, "x"]"#), "result for id 42").await;
            assert_protocol_error(&frame(br#"[2, 0, "Error: x"]"#), "exception for id 0").await;
        },
    )
    .await;
}

#[tokio::test]
async fn message_of_the_wrong_shape_is_a_protocol_error() {
    within(
        TEST_LIMIT,
        "test message_of_the_wrong_shape_is_a_protocol_error",
        async {
            for bad in [
                &br#"[0, 1]"#[..],
                br#"[0, 1, "x", 4]"#,
                br#"[]"#,
                br#"{"msg_type": 0}"#,
                br#""just a string""#,
                br#"42"#,
                br#"[0, -1, "x"]"#,
                br#"[0, "1", "x"]"#,
                br#"[0, 1.5, "x"]"#,
            ] {
                let what = String::from_utf8_lossy(bad).into_owned();
                assert_protocol_error(&frame(bad), &what).await;
            }
        },
    )
    .await;
}

#[tokio::test]
async fn oversized_incoming_frame_is_refused() {
    within(
        TEST_LIMIT,
        "test oversized_incoming_frame_is_refused",
        async {
            // The header claims 4 GiB; no body follows. The server must refuse at once,
            // not wait for (or allocate) the claimed bytes.
            assert_protocol_error(&u32::MAX.to_be_bytes(), "a 4 GiB header").await;
            assert_protocol_error(
                &((aiomas::channel::DEFAULT_MAX_FRAME_SIZE + 1) as u32).to_be_bytes(),
                "one byte over the default limit",
            )
            .await;
        },
    )
    .await;
}

#[tokio::test]
async fn oversized_incoming_frame_with_a_small_limit() {
    within(
        TEST_LIMIT,
        "test oversized_incoming_frame_with_a_small_limit",
        async {
            let options = ChannelOptions::default().max_frame_size(1000);
            let mut server = TestServer::start(Addr::tcp("127.0.0.1", 0), options).await;
            let mut raw = TcpStream::connect(server.addr().to_string()).await.unwrap();
            raw.write_all(&2000u32.to_be_bytes()).await.unwrap();
            assert_closed_by_peer(&mut raw).await;
            assert!(matches!(server.ended().await, Error::Protocol(_)));
            server.assert_alive().await;
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn malformed_blosc_frame_is_a_protocol_error() {
    within(
        TEST_LIMIT,
        "test malformed_blosc_frame_is_a_protocol_error",
        async {
            let blosc = || ChannelOptions::default().codec(Codec::MsgPackBlosc);
            assert_protocol_error_with(blosc(), &frame(b"short"), "shorter than a blosc header")
                .await;
            let mut lying = blosc_body(0x02, 8, &[0; 8]);
            lying.push(0);
            assert_protocol_error_with(blosc(), &frame(&lying), "cbytes does not match the frame")
                .await;
            // A stored ("memcpyed") blosc buffer holding msgpack `[0, 1]`: decodes, wrong shape.
            let wrong_shape = blosc_body(0x02, 3, &[0x92, 0x00, 0x01]);
            assert_protocol_error_with(blosc(), &frame(&wrong_shape), "blosc of a 2-list").await;
        },
    )
    .await;
}

#[tokio::test]
async fn blosc_bomb_is_a_protocol_error() {
    within(TEST_LIMIT, "test blosc_bomb_is_a_protocol_error", async {
        // 32 bytes on the wire whose header claims 1 GiB once decompressed. It must be refused
        // before allocating, and like any other broken frame it is a protocol error of the
        // connection (not `FrameTooLarge`, which `send` documents as "this call only").
        let bomb = blosc_body(0x02, 1 << 30, &[0; 16]);
        assert_protocol_error_with(
            ChannelOptions::default().codec(Codec::MsgPackBlosc),
            &frame(&bomb),
            "a blosc header claiming 1 GiB",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn server_close_does_not_hang_on_a_peer_that_reads_nothing() {
    within(
        TEST_LIMIT,
        "test server_close_does_not_hang_on_a_peer_that_reads_nothing",
        async {
            let server = TestServer::tcp().await;
            let mut raw = TcpStream::connect(server.addr().to_string()).await.unwrap();
            // 40 MB of replies that the peer never reads: the server's writer gets stuck.
            for id in 0..40 {
                let body = format!(r#"[0, {id}, ["big", 1000000]]"#);
                raw.write_all(&frame(body.as_bytes())).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            within(
        10.0,
        "Server::close while a peer reads nothing (it waits for a writer that cannot flush)",
        server.server.close(),
    )
    .await;
            drop(raw);
        },
    )
    .await;
}

#[tokio::test]
async fn channel_close_does_not_hang_on_a_peer_that_reads_nothing() {
    within(
        TEST_LIMIT,
        "test channel_close_does_not_hang_on_a_peer_that_reads_nothing",
        async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = Addr::tcp("127.0.0.1", listener.local_addr().unwrap().port());
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let peer = tokio::spawn(async move {
                let (socket, _) = listener.accept().await.unwrap();
                let _ = stop_rx.await; // hold the socket, read nothing
                drop(socket);
            });
            let client = connect(&addr).await;
            let mut pending = JoinSet::new();
            for _ in 0..40 {
                let client = client.clone();
                pending.spawn(async move { client.send("x".repeat(1_000_000)).await });
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            within(
        10.0,
        "Channel::close while the peer reads nothing (it waits for a writer that cannot flush)",
        client.close(),
    )
    .await;
            within(5.0, "pending requests fail", async {
                while let Some(joined) = pending.join_next().await {
                    expect_connection_error(joined.unwrap(), "a pending request");
                }
            })
            .await;
            let _ = stop_tx.send(());
            peer.await.unwrap();
        },
    )
    .await;
}

#[tokio::test]
async fn protocol_error_from_the_server_fails_the_client() {
    within(
        TEST_LIMIT,
        "test protocol_error_from_the_server_fails_the_client",
        async {
            // A raw server that answers every request with a reply to an unknown id.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = Addr::tcp("127.0.0.1", listener.local_addr().unwrap().port());
            let peer = tokio::spawn(async move {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut header = [0; 4];
                socket.read_exact(&mut header).await.unwrap();
                let mut body = vec![0; u32::from_be_bytes(header) as usize];
                socket.read_exact(&mut body).await.unwrap();
                socket
                    .write_all(&frame(br#"[1, 9999, "who asked?"]"#))
                    .await
                    .unwrap();
                // Keep the socket open: the client must close on its own.
                let mut rest = Vec::new();
                let _ = socket.read_to_end(&mut rest).await;
            });
            let client = connect(&addr).await;
            let receiver = tokio::spawn({
                let client = client.clone();
                async move { client.recv().await }
            });
            let result = within(5.0, "send to a broken peer", client.send("hello")).await;
            assert!(
                matches!(result, Err(Error::Protocol(_)) | Err(Error::Connection(_))),
                "expected a protocol (or connection) error, got {result:?}"
            );
            assert!(client.is_closed());
            let recv = within(5.0, "recv", receiver).await.unwrap();
            assert!(recv.is_err(), "recv must fail too: {recv:?}");
            // The client closed its side: the raw server sees EOF.
            within(5.0, "the client closes the socket", peer)
                .await
                .unwrap();
        },
    )
    .await;
}

// --- errors of one call ----------------------------------------------------

#[tokio::test]
async fn oversized_outgoing_request_fails_only_that_call() {
    within(
        TEST_LIMIT,
        "test oversized_outgoing_request_fails_only_that_call",
        async {
            let server = TestServer::tcp().await;
            let client = connect_with(
                server.addr(),
                ChannelOptions::default().max_frame_size(1024),
            )
            .await;
            let result = within(5.0, "oversized send", client.send("x".repeat(2000))).await;
            match result {
                Err(Error::FrameTooLarge { size, limit }) => {
                    assert_eq!(limit, 1024);
                    assert!(size > 2000, "size {size}");
                }
                other => panic!("expected Error::FrameTooLarge, got {other:?}"),
            }
            assert!(!client.is_closed());
            assert_echoes(&client, vec!["x".repeat(900).into()]).await;
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn oversized_reply_becomes_an_exception_reply() {
    within(
        TEST_LIMIT,
        "test oversized_reply_becomes_an_exception_reply",
        async {
            let options = ChannelOptions::default().max_frame_size(1024);
            let mut server = TestServer::start(Addr::tcp("127.0.0.1", 0), options).await;
            let client = connect(server.addr()).await;
            let result = within(5.0, "oversized reply", client.send(list!["big", 5000])).await;
            let Err(Error::Remote(remote)) = result else {
                panic!("expected Error::Remote, got {result:?}");
            };
            assert_eq!(remote.kind(), Some("ValueError"), "{remote}");
            assert!(remote.message().contains("frame limit"), "{remote}");
            match server.next_event().await {
                Event::ReplyFailed(Error::FrameTooLarge { limit: 1024, .. }) => {}
                other => panic!("expected the server's reply to fail, got {other:?}"),
            }
            assert_echoes(&client, vec!["fine".into()]).await;
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn bytes_over_json_fail_only_that_call() {
    within(
        TEST_LIMIT,
        "test bytes_over_json_fail_only_that_call",
        async {
            let server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            for bad in [
                Value::Bytes(vec![1, 2, 3]),
                list!["echo", list![1, Value::Bytes(vec![])]],
                Value::Map(vec![("k".into(), Value::Bytes(vec![0]))]),
            ] {
                let result = within(5.0, "send bytes over JSON", client.send(bad.clone())).await;
                assert!(
                    matches!(result, Err(Error::Serialization(_))),
                    "sending {bad}: expected Error::Serialization, got {result:?}"
                );
                assert!(!client.is_closed());
                assert_echoes(&client, vec!["after bytes".into()]).await;
            }
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn bytes_in_a_json_reply_become_an_exception_reply() {
    within(
        TEST_LIMIT,
        "test bytes_in_a_json_reply_become_an_exception_reply",
        async {
            let mut server = TestServer::tcp().await;
            let client = connect(server.addr()).await;
            let result = within(5.0, "bytes reply", client.send(list!["bytes"])).await;
            let Err(Error::Remote(remote)) = result else {
                panic!("expected Error::Remote, got {result:?}");
            };
            assert_eq!(remote.kind(), Some("SerializationError"), "{remote}");
            assert!(matches!(
                server.next_event().await,
                Event::ReplyFailed(Error::Serialization(_))
            ));
            assert_echoes(&client, vec!["fine".into()]).await;
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

// --- connecting ------------------------------------------------------------

fn expect_refused(result: Result<Channel, Error>, what: &str) {
    match result {
        Err(Error::Connection(err)) => {
            assert_eq!(err.kind(), ConnectionErrorKind::Refused, "{what}: {err}")
        }
        other => panic!("{what}: expected a refused connection, got {other:?}"),
    }
}

#[tokio::test]
async fn retry_never_fails_fast_when_nobody_listens() {
    within(
        TEST_LIMIT,
        "test retry_never_fails_fast_when_nobody_listens",
        async {
            let never = || ChannelOptions::default().retry(Retry::Never);
            for addr in [
                Addr::tcp("127.0.0.1", free_port()),
                Addr::unix(temp_socket_path("nobody")),
                Addr::local(format!("nobody-{}", std::process::id())),
            ] {
                let started = Instant::now();
                let result = within(5.0, "connect", channel::open_connection(&addr, never())).await;
                expect_refused(result, &addr.to_string());
                assert!(
                    started.elapsed() < Duration::from_secs(1),
                    "{addr}: took {:?}",
                    started.elapsed()
                );
            }
        },
    )
    .await;
}

#[tokio::test]
async fn retry_for_succeeds_when_the_server_starts_later() {
    within(
        TEST_LIMIT,
        "test retry_for_succeeds_when_the_server_starts_later",
        async {
            let port = free_port();
            let addr = Addr::tcp("127.0.0.1", port);
            let late_server = tokio::spawn({
                let addr = addr.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(700)).await;
                    TestServer::start(addr, ChannelOptions::default()).await
                }
            });
            let started = Instant::now();
            let options = ChannelOptions::default().retry(Retry::For(Duration::from_secs(2)));
            let client = within(
                5.0,
                "connect with retries",
                channel::open_connection(&addr, options),
            )
            .await
            .expect("the retries should reach the late server");
            assert!(started.elapsed() >= Duration::from_millis(600));
            assert_echoes(&client, vec!["made it".into()]).await;
            let server = late_server.await.unwrap();
            within(10.0, "Server::close", server.server.close()).await;
        },
    )
    .await;
}

#[tokio::test]
async fn retry_for_gives_up_after_its_time() {
    within(
        TEST_LIMIT,
        "test retry_for_gives_up_after_its_time",
        async {
            let addr = Addr::tcp("127.0.0.1", free_port());
            let options = ChannelOptions::default().retry(Retry::For(Duration::from_millis(600)));
            let started = Instant::now();
            let result = within(
                10.0,
                "connect with retries",
                channel::open_connection(&addr, options),
            )
            .await;
            let elapsed = started.elapsed();
            expect_refused(result, "no server");
            assert!(
                elapsed >= Duration::from_millis(500),
                "gave up too early: {elapsed:?}"
            );
            assert!(
                elapsed < Duration::from_secs(5),
                "gave up too late: {elapsed:?}"
            );
        },
    )
    .await;
}

// --- servers ---------------------------------------------------------------

#[tokio::test]
async fn server_close_closes_connections_and_ends_handlers() {
    within(
        TEST_LIMIT,
        "test server_close_closes_connections_and_ends_handlers",
        async {
            let mut server = TestServer::tcp().await;
            let addr = server.addr().clone();
            let mut clients = Vec::new();
            let mut waiting = JoinSet::new();
            for i in 0..3 {
                let client = connect(&addr).await;
                assert_echoes(&client, vec![Value::from(i)]).await;
                let c = client.clone();
                waiting.spawn(async move { ("recv", c.recv().await.map(|_| Value::Nil)) });
                let c = client.clone();
                waiting.spawn(async move { ("send", c.send(list!["sleep", 60_000, i]).await) });
                clients.push(client);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;

            let started = Instant::now();
            within(10.0, "Server::close", server.server.close()).await;
            assert!(
                started.elapsed() < Duration::from_secs(4),
                "handlers should end with their connections, not be aborted after the grace period"
            );
            within(5.0, "clients notice the close", async {
                while let Some(joined) = waiting.join_next().await {
                    let (what, result) = joined.unwrap();
                    expect_connection_error(result, what);
                }
            })
            .await;
            for client in &clients {
                assert!(client.is_closed());
            }
            for _ in 0..3 {
                expect_connection_error(Err::<(), _>(server.ended().await), "handler's recv");
            }
            // Nobody listens any more.
            let result = within(
                5.0,
                "connect after close",
                channel::open_connection(&addr, ChannelOptions::default()),
            )
            .await;
            expect_refused(result, "connect after Server::close");
        },
    )
    .await;
}

#[tokio::test]
async fn server_close_releases_a_tcp_port_at_once() {
    within(
        TEST_LIMIT,
        "test server_close_releases_a_tcp_port_at_once",
        async {
            let server = TestServer::tcp().await;
            let addr = server.addr().clone();
            within(10.0, "Server::close", server.server.close()).await;
            // No connection was ever accepted, so nothing inside `close` had to wait; the listener
            // must still be gone when it returns (not merely "soon").
            let result = within(
                5.0,
                "connect right after close",
                channel::open_connection(&addr, ChannelOptions::default()),
            )
            .await;
            expect_refused(result, "TCP connect right after Server::close returned");
        },
    )
    .await;
}

#[tokio::test]
async fn server_close_removes_the_unix_socket_at_once() {
    within(
        TEST_LIMIT,
        "test server_close_removes_the_unix_socket_at_once",
        async {
            let path = temp_socket_path("close");
            let server = TestServer::start(Addr::unix(&path), ChannelOptions::default()).await;
            assert!(path.exists());
            within(10.0, "Server::close", server.server.close()).await;
            assert!(
                !path.exists(),
                "the socket file {} still exists after Server::close returned",
                path.display()
            );
        },
    )
    .await;
}

#[tokio::test]
async fn server_close_releases_a_local_queue_at_once() {
    within(
        TEST_LIMIT,
        "test server_close_releases_a_local_queue_at_once",
        async {
            let addr = Addr::local(format!("close-{}", std::process::id()));
            let server = TestServer::start(addr.clone(), ChannelOptions::default()).await;
            within(10.0, "Server::close", server.server.close()).await;
            let result = within(
                5.0,
                "connect right after close",
                channel::open_connection(&addr, ChannelOptions::default()),
            )
            .await;
            expect_refused(
                result,
                "local-queue connect right after Server::close returned",
            );
            // And the queue id can be bound again right away (a restarted container reuses it).
            let again = within(
                5.0,
                "rebind",
                channel::start_server(addr.clone(), ChannelOptions::default(), |_| async {}),
            )
            .await;
            let again = again.expect("rebinding a local queue right after Server::close");
            within(10.0, "Server::close", again.close()).await;
        },
    )
    .await;
}
