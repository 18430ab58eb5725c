//! A 64 MiB byte payload echoed through MsgPack (issue 12, item 5): each side of the call peaks
//! at no more than twice the payload, counted by a global allocator that tracks the peak of
//! live heap bytes (no RSS).
//!
//! Each side is measured against a raw peer that costs nothing while it runs: it writes a frame
//! built beforehand and reads the other side's frame in small chunks it throws away. So the
//! peak is the side's own: on the server the frame read, the value decoded from it and the
//! reply's frame; on the client the request's frame, then the reply's frame and its value.
//! (Before issue 12 either side peaked at 5x: frame buffers grown by doubling, and a MsgPack
//! reader that copied each `bin` into a buffer of its own first.)
//!
//! One test function on purpose: the counters are process-wide, parallel tests would blur them.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::{rpc, Bytes, Value};
use peak_alloc::PeakAlloc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const PAYLOAD: usize = 64 * 1024 * 1024;
/// Room for what is not the payload: frame headers, socket buffers, connection state.
const SLACK: f64 = 0.02;

struct Store;

#[aiomas::service]
impl Store {
    #[expose]
    fn echo(&self, data: Bytes) -> Bytes {
        data
    }
}

fn options() -> ChannelOptions {
    ChannelOptions::default()
        .codec(Codec::MsgPack)
        .max_frame_size(2 * PAYLOAD)
}

/// `[msg_type, msg_id, content]` as a MsgPack frame with its 4-byte length.
fn frame(msg_type: u8, msg_id: u64, content: Value) -> Vec<u8> {
    let message = Value::List(vec![
        Value::Int(msg_type.into()),
        Value::Int(msg_id as i64),
        content,
    ]);
    let body = Codec::MsgPack.encode(&message).unwrap();
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

/// Reads one frame and throws it away in 64 KiB chunks; returns its body's size and last byte.
async fn discard_frame(socket: &mut (impl AsyncRead + Unpin), chunk: &mut [u8]) -> (usize, u8) {
    let mut header = [0; 4];
    socket.read_exact(&mut header).await.unwrap();
    let size = u32::from_be_bytes(header) as usize;
    let (mut left, mut last) = (size, 0);
    while left > 0 {
        let want = left.min(chunk.len());
        let n = socket.read(&mut chunk[..want]).await.unwrap();
        assert!(n > 0, "the frame was cut");
        last = chunk[n - 1];
        left -= n;
    }
    (size, last)
}

/// The peak of live heap bytes above what was live before `run`, in units of `PAYLOAD`.
async fn peak_over<F: std::future::Future>(run: F) -> (F::Output, f64) {
    aiomas_tests::peak_over(&HEAP, PAYLOAD, run).await
}

#[tokio::test(flavor = "current_thread")]
async fn a_64_mib_bytes_echo_peaks_at_twice_the_payload_on_each_side() {
    let mut chunk = vec![0; 64 * 1024];
    let payload = || Value::Bytes(vec![7; PAYLOAD]);

    // The server's side: a raw client sends a request built beforehand.
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), Store, options())
        .await
        .unwrap();
    let port = server.addr().port().expect("a TCP server has a port");
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let warm_up = frame(
        0,
        0,
        Value::List(vec![
            "echo".into(),
            Value::List(vec![Value::Bytes(vec![7; 16])]),
            Value::Map(vec![]),
        ]),
    );
    socket.write_all(&warm_up).await.unwrap();
    discard_frame(&mut socket, &mut chunk).await;
    let request = frame(
        0,
        1,
        Value::List(vec![
            "echo".into(),
            Value::List(vec![payload()]),
            Value::Map(vec![]),
        ]),
    );
    let ((size, last), cost) = peak_over(async {
        socket.write_all(&request).await.unwrap();
        discard_frame(&mut socket, &mut chunk).await
    })
    .await;
    assert!(size > PAYLOAD && last == 7, "the echo came back whole");
    println!("server side: peak {cost:.2}x the payload");
    assert!(
        cost <= 2.0 + SLACK,
        "the server side peaked at {cost:.2}x the payload"
    );
    drop((request, socket));
    server.close().await;

    // The client's side: a raw server answers with a reply built beforehand.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let reply = frame(1, 1, payload());
    let addr = Addr::tcp("127.0.0.1", port);
    let client = rpc::open_connection(&addr, options());
    let (client, accepted) = tokio::join!(client, listener.accept());
    let (client, (mut peer, _)) = (client.unwrap(), accepted.unwrap());
    let remote = client.remote();
    let warm_up = async {
        discard_frame(&mut peer, &mut chunk).await;
        peer.write_all(&frame(1, 0, Value::Bytes(vec![7; 16])))
            .await
            .unwrap();
    };
    let (echoed, ()) = tokio::join!(
        remote.call("echo", vec![Value::Bytes(vec![7; 16])]),
        warm_up
    );
    echoed.unwrap();
    let payload = payload();
    let (echoed, cost) = peak_over(async {
        let answer = async {
            discard_frame(&mut peer, &mut chunk).await;
            peer.write_all(&reply).await.unwrap();
        };
        tokio::join!(remote.call("echo", vec![payload]), answer).0
    })
    .await;
    assert_eq!(echoed.unwrap().as_bytes().map(<[u8]>::len), Some(PAYLOAD));
    println!("client side: peak {cost:.2}x the payload");
    assert!(
        cost <= 2.0 + SLACK,
        "the client side peaked at {cost:.2}x the payload"
    );
    client.close().await;
}
