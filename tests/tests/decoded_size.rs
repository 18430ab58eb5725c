//! Issue 8, "the frame limit bounds bytes, not decoded values": what decoding one frame
//! allocates, measured with a counting global allocator (never RSS).
//!
//! On the old main an 8 MiB JSON frame of tiny elements (`[0]`, `{"a":0}`) decoded to some
//! 40-50 bytes of values per byte of JSON (+328 MiB as the issue measured it), and a 34 KB
//! blosc frame (8 MiB of MsgPack) to ~+590 MiB, both beyond [`DEFAULT_MAX_DECODED_SIZE`]. Now
//! every frame stays within [`DECODED_BYTES_PER_BODY_BYTE`] times its size, and a server with
//! a lower `max_decoded_size` stops decoding as soon as a frame exceeds it.
//!
//! The allocator counts the whole process, so the tests here take turns ([`MEASURING`]).

use std::sync::Mutex;
use std::time::Duration;

use aiomas::channel::{Addr, ChannelOptions, DEFAULT_MAX_DECODED_SIZE, DEFAULT_MAX_FRAME_SIZE};
use aiomas::codec::{Codec, DECODED_BYTES_PER_BODY_BYTE};
use aiomas::Value;
use aiomas_tests::{assert_works, echo_server, within};
use peak_alloc::PeakAlloc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// One measurement at a time: the counts are process-wide.
static MEASURING: Mutex<()> = Mutex::new(());

/// The most bytes allocated at once while `f` runs, above what was allocated before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let result = f();
    (result, ALLOCATOR.peak_usage().saturating_sub(before))
}

const MIB: usize = 1 << 20;

/// `[0, 1, [e, e, ...]]` in JSON, `len` bytes long: `element` repeated as often as fits.
fn tiny_elements_json(element: &[u8], len: usize) -> Vec<u8> {
    let mut frame = b"[0,1,[".to_vec();
    frame.extend_from_slice(element);
    while frame.len() + element.len() + 3 <= len {
        frame.push(b',');
        frame.extend_from_slice(element);
    }
    frame.extend_from_slice(b"]]");
    frame
}

/// `[0, 1, [0, 0, ...]]` in JSON, `len` bytes long: the densest JSON there is.
fn tiny_element_json(len: usize) -> Vec<u8> {
    tiny_elements_json(b"0", len)
}

/// The row: an 8 MiB frame of tiny elements decoded to +328 MiB, some 40 bytes of values per
/// byte of JSON (a list grew to 4 slots for its first element, and slots were larger). Now
/// each byte of the frame costs at most [`DECODED_BYTES_PER_BODY_BYTE`], at the peak of the
/// decode (growing lists counted twice while they move), whatever the tiny elements are.
#[test]
fn an_8_mib_json_frame_of_tiny_elements_stays_within_its_budget() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    for element in [&b"0"[..], b"[0]", b"[[0]]", b"{\"a\":0}"] {
        let frame = tiny_elements_json(element, DEFAULT_MAX_FRAME_SIZE - 1);
        let (decoded, peak) = peak_during(|| Codec::Json.decode(&frame).unwrap());
        let items = decoded.as_list().unwrap()[2].as_list().unwrap().len();
        // "[0,1,[" e ("," e)* "]]"
        assert_eq!(
            items,
            (frame.len() - 8 - element.len()) / (element.len() + 1) + 1
        );
        drop(decoded);
        let per_byte = peak as f64 / frame.len() as f64;
        let shape = String::from_utf8_lossy(element);
        println!(
            "{items} elements {shape}: peak {} MiB, {per_byte:.1} bytes per frame byte",
            peak / MIB
        );
        assert!(
            peak <= DECODED_BYTES_PER_BODY_BYTE * frame.len(),
            "{} bytes of JSON ({items} elements {shape}) decoded with a peak of {} MiB: \
             {per_byte:.1} bytes per frame byte, over the budget of {DECODED_BYTES_PER_BODY_BYTE}",
            frame.len(),
            peak / MIB,
        );
    }
}

// Every frame within the frame limit stays within the default cap, too.
const _: () =
    assert!(DECODED_BYTES_PER_BODY_BYTE * DEFAULT_MAX_FRAME_SIZE <= DEFAULT_MAX_DECODED_SIZE);

#[test]
fn a_34_kb_blosc_frame_of_8_mib_msgpack_stays_within_its_budget() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    // [0, 1, [0] * n], n as large as fits into the frame limit (1-byte ints, array32 header).
    let n = DEFAULT_MAX_FRAME_SIZE - 8;
    let frame = {
        let message = Value::List(vec![
            0.into(),
            1.into(),
            Value::List(vec![Value::Int(0); n]),
        ]);
        Codec::MsgPackBlosc.encode(&message).unwrap()
    };
    assert!(frame.len() < 40_000, "{} bytes", frame.len());
    let (decoded, peak) = peak_during(|| Codec::MsgPackBlosc.decode(&frame).unwrap());
    assert_eq!(decoded.as_list().unwrap()[2].as_list().unwrap().len(), n);
    // The values, plus the decompressed body they are read from.
    let packed_len = n + 8;
    let budget = DECODED_BYTES_PER_BODY_BYTE * packed_len + packed_len;
    assert!(
        peak <= budget,
        "a {}-byte blosc frame ({packed_len} bytes of MsgPack) decoded with a peak of {} MiB, \
         over the budget of {} MiB",
        frame.len(),
        peak / MIB,
        budget / MIB
    );
}

#[test]
fn a_frame_over_the_decoded_cap_closes_its_connection_early_and_the_server_keeps_serving() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(refuse_a_frame_over_the_cap());
}

/// Sends `frame` to the server at `port`, which must close the connection without a reply,
/// allocating no more than the frame's bytes (our copy being written, the server's read buffer
/// as it grows) and the decoded-size `cap`.
async fn refused_within_the_cap(port: u16, frame: &[u8], cap: usize) {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    raw.write_all(frame).await.unwrap();
    let mut rest = Vec::new();
    let read = within(10.0, "the server closes", raw.read_to_end(&mut rest)).await;
    assert!(read.is_ok() || rest.is_empty(), "{read:?}");
    assert!(rest.is_empty(), "the server replied {} bytes", rest.len());
    let peak = ALLOCATOR.peak_usage().saturating_sub(before);
    let allowed = 3 * frame.len() + cap + 2 * MIB;
    assert!(
        peak <= allowed,
        "peak {} MiB while refusing the frame, allowed {} MiB",
        peak / MIB,
        allowed / MIB
    );
}

async fn refuse_a_frame_over_the_cap() {
    let cap = MIB;
    let options = ChannelOptions::default().max_decoded_size(cap);
    let server = echo_server(Addr::tcp("127.0.0.1", 0), options.clone()).await;
    let addr = server.addr().clone();
    let port = addr.port().unwrap();

    let body = tiny_element_json(DEFAULT_MAX_FRAME_SIZE - 1);
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    drop(body);
    // Decoding stops at the cap instead of building ~200 MiB of values first.
    refused_within_the_cap(port, &frame, cap).await;

    // A good client is still served.
    assert_works(&addr, options).await;
    within(10.0, "close", server.close()).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// A typed argument is decoded straight from the frame (no `Value` tree), within the same
/// budget: a frame whose argument decodes to more than the cap closes its connection without
/// a reply, as a `Value` argument's frame does, and one within the cap is served.
#[test]
fn a_typed_argument_over_the_decoded_cap_closes_its_connection_and_one_within_is_served() {
    let _turn = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(typed_argument_within_the_cap());
}

/// `count(items)` requested with `items` a list of `len` empty strings, as a frame.
fn count_request(len: usize) -> Vec<u8> {
    let body = format!(
        r#"[0,1,["count",[[{}]],{{}}]]"#,
        vec![r#""""#; len].join(",")
    );
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body.as_bytes());
    frame
}

async fn typed_argument_within_the_cap() {
    use aiomas::rpc::{self, Args, Exception, ServiceMap};

    // Small frames (under 64 KiB) are decoded in place; this cap is well below what they can
    // decode to.
    let cap = 256 * 1024;
    let options = ChannelOptions::default().max_decoded_size(cap);
    let count = |mut args: Args| async move {
        let items: Vec<String> = args.required("items")?;
        args.finish()?;
        Ok::<_, Exception>(items.len())
    };
    let service = ServiceMap::new().function("count", count);
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), service, options)
        .await
        .unwrap();
    let port = server.addr().port().unwrap();

    // 1,000 empty strings: some 32 KiB of values, within the cap.
    let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    raw.write_all(&count_request(1_000)).await.unwrap();
    let mut header = [0; 4];
    within(10.0, "the reply", raw.read_exact(&mut header))
        .await
        .unwrap();
    let mut reply = vec![0; u32::from_be_bytes(header) as usize];
    raw.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, b"[1,1,1000]");

    // 20,000 in a 60 KB frame: some 640 KiB of values (each empty string is a 32-byte slot).
    let frame = count_request(20_000);
    assert!(frame.len() < 64 * 1024);
    refused_within_the_cap(port, &frame, cap).await;
    within(10.0, "close", server.close()).await;
}
