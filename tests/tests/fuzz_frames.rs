//! Fuzz target for the channel frame reader, black-box through the public API (issue 8, item
//! 10): random bytes and mutated valid frames written to a server socket, one connection per
//! input. The server must close or answer every such connection (never hang on it) and keep
//! serving a good client.

use std::time::Duration;

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::Codec;
use aiomas::Value;
use aiomas_tests::fuzz::{mutated, Fuzz, Rng};
use aiomas_tests::{assert_works, echo_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `[msg_type, msg_id, content]` frames as a peer sends them: a 4-byte big-endian length, then
/// the body.
fn frame(codec: Codec, message: &Value) -> Vec<u8> {
    let body = codec.encode(message).unwrap();
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

fn corpus(codec: Codec) -> Vec<Vec<u8>> {
    let request = |id: u64, content: Value| Value::List(vec![0.into(), id.into(), content]);
    let messages = [
        request(0, "ohai".into()),
        request(1, Value::List(vec!["x".into(), 1.5.into(), Value::Nil])),
        request(7, Value::Map(vec![("k".into(), Value::List(vec![]))])),
        Value::List(vec![1.into(), 3.into(), "a reply to nobody".into()]),
        Value::List(vec![2.into(), 4.into(), "an error to nobody".into()]),
    ];
    let frames: Vec<Vec<u8>> = messages.iter().map(|m| frame(codec, m)).collect();
    let mut corpus = frames.clone();
    corpus.push(frames.concat());
    corpus.push(vec![0, 0, 0, 0]);
    corpus.push(0xffff_ffffu32.to_be_bytes().to_vec());
    corpus
}

/// Writes `input`, half-closes, and waits for the server to close its side.
async fn hostile_connection(port: u16, input: &[u8]) {
    let mut raw = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    // The server may close early (a bad header): a failed write is fine.
    if raw.write_all(input).await.is_ok() {
        let _ = raw.shutdown().await;
    }
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut sink)).await;
    assert!(
        closed.is_ok(),
        "the server kept a half-closed connection open"
    );
}

fn fuzz_frames(codec: Codec) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let options = ChannelOptions::default().codec(codec);
    let server = runtime.block_on(echo_server(Addr::tcp("127.0.0.1", 0), options.clone()));
    let port = server.addr().port().unwrap();
    let corpus = corpus(codec);
    let mut noise = Rng::new(99);
    let name = format!("{codec} frame reader");
    let report = Fuzz::new(&name)
        .duration(Duration::from_secs(8))
        .mutate(&corpus, |input| {
            runtime.block_on(async {
                hostile_connection(port, input).await;
                if noise.one_in(4) {
                    // Pure noise, and a valid frame with garbage behind it.
                    let junk: Vec<u8> = (0..noise.below(64)).map(|_| noise.byte()).collect();
                    hostile_connection(port, &junk).await;
                    let mut tail = mutated(&mut noise, &corpus);
                    tail.splice(0..0, corpus[0].iter().copied());
                    hostile_connection(port, &tail).await;
                }
            });
        });
    assert!(report.runs > 0);
    runtime.block_on(async {
        assert_works(server.addr(), options).await;
        server.close().await;
    });
}

#[test]
fn fuzz_json_frame_reader() {
    fuzz_frames(Codec::Json);
}

#[test]
fn fuzz_msgpack_blosc_frame_reader() {
    fuzz_frames(Codec::MsgPackBlosc);
}
