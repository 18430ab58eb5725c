//! What a large byte payload costs in memory on its way through an RPC call, counted by a
//! global allocator that tracks the peak of live heap bytes (no RSS).
//!
//! Both ends run in this process, so one call holds every copy the path makes: the caller's
//! frame, the server's frame and decoded value, the parameter, the result, its frame and the
//! caller's decoded reply. Each must be one flat buffer: a `Value` per byte (32 bytes each)
//! would cost far more than the bounds below.
//!
//! One test function on purpose: the counters are process-wide, parallel tests would blur them.

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::{rpc, Bytes, Value};
use peak_alloc::PeakAlloc;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const PAYLOAD: usize = 4 * 1024 * 1024;

struct Store;

#[aiomas::service]
impl Store {
    /// Python `bytes` into a plain `Vec<u8>`.
    #[expose]
    fn count(&self, data: Vec<u8>) -> usize {
        data.iter().filter(|b| **b == 7).count()
    }

    /// The byte type both ways.
    #[expose]
    fn echo(&self, data: Bytes) -> Bytes {
        data
    }
}

/// The peak of live heap bytes above what was live before `run`, in units of `PAYLOAD`.
async fn peak_over<F: std::future::Future>(run: F) -> (F::Output, f64) {
    aiomas_tests::peak_over(&HEAP, PAYLOAD, run).await
}

#[tokio::test(flavor = "current_thread")]
async fn byte_payloads_cost_about_their_size_per_copy() {
    let options = || ChannelOptions::default().codec(Codec::MsgPack);
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), Store, options())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), options())
        .await
        .unwrap();
    let remote = client.remote();
    // Warm-up: connection buffers and lazily built state are not part of the payload's cost.
    remote
        .call("echo", vec![Value::Bytes(vec![7; 16])])
        .await
        .unwrap();

    // Five copies at most: the caller's frame, the server's frame, the MsgPack reader's buffer
    // (rmp-serde copies a `bin` out of a reader), the decoded bytes and the `Vec<u8>`.
    let payload = Value::Bytes(vec![7; PAYLOAD]);
    let (count, cost) = peak_over(remote.call("count", vec![payload])).await;
    assert_eq!(count.unwrap(), Value::from(PAYLOAD));
    println!("bytes into Vec<u8>: peak {cost:.2}x the payload");
    assert!(
        cost < 5.5,
        "bytes into Vec<u8> peaked at {cost:.2}x the payload"
    );

    // There and back: the argument's copies as above, then the result's frames and the reply's
    // value; the parameter becomes the result without a copy, and the argument's copies are
    // gone by then.
    let payload = Value::Bytes(vec![7; PAYLOAD]);
    let (echoed, cost) = peak_over(remote.call("echo", vec![payload])).await;
    let echoed = echoed.unwrap();
    assert_eq!(echoed.as_bytes().map(<[u8]>::len), Some(PAYLOAD));
    println!("Bytes echoed: peak {cost:.2}x the payload");
    assert!(
        cost < 5.5,
        "an echoed Bytes peaked at {cost:.2}x the payload"
    );
    drop(echoed);

    // The typed path: a `Bytes` argument encodes as one buffer too.
    let payload = Bytes::from(vec![7; PAYLOAD]);
    let (encoded, cost) = peak_over(async { aiomas::to_value(&payload).unwrap() }).await;
    assert_eq!(encoded.as_bytes().map(<[u8]>::len), Some(PAYLOAD));
    assert!(
        cost < 1.1,
        "encoding a Bytes peaked at {cost:.2}x the payload"
    );
    // For the record: a plain `Vec<u8>` encodes as a list, one `Value` per byte.
    let plain = vec![7u8; PAYLOAD];
    let (_, cost) = peak_over(async { aiomas::to_value(&plain).unwrap() }).await;
    println!("a plain Vec<u8> as a Value: peak {cost:.2}x the payload");

    client.close().await;
    server.close().await;
}
