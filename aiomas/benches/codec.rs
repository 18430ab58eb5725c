//! Frame encode + decode round trips per codec, through the public [`Codec`] API.
//!
//! The message is shaped like a real RPC request, `[0, 42, [path, args, kwargs]]`, in two
//! sizes: a small one (~100 bytes of JSON) and a medium one (~10 KB of JSON: 500 floats and a
//! few strings). Throughput is reported in messages per second. A second group decodes one
//! large frame (~1 MiB of JSON: 100,000 small numbers).
//!
//! Run with `cargo bench -p aiomas --bench codec`.

use std::hint::black_box;
use std::time::Duration;

use aiomas::codec::Codec;
use aiomas::Value;
use criterion::{BenchmarkId, Criterion, Throughput};

const CODECS: [Codec; 3] = [Codec::Json, Codec::MsgPack, Codec::MsgPackBlosc];

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// `[0, 42, [path, args, kwargs]]`: an RPC request as the channel layer frames it.
fn request(path: &str, args: Vec<Value>, kwargs: Value) -> Value {
    Value::List(vec![
        0.into(),
        42.into(),
        Value::List(vec![path.into(), Value::List(args), kwargs]),
    ])
}

fn small_request() -> Value {
    request(
        "agents/0/step",
        vec![3600.into(), 0.25.into(), "go".into()],
        map(vec![
            ("inputs", map(vec![("P", 12.5.into()), ("Q", (-3).into())])),
            ("dt", 60.into()),
        ]),
    )
}

fn medium_request() -> Value {
    let series: Vec<Value> = (0..500)
        .map(|i| Value::Float(f64::from(i).mul_add(0.137, 1.0).sin() * 1e3))
        .collect();
    request(
        "agents/17/set_schedule",
        vec![
            "grid/node_42".into(),
            Value::List(series),
            "2016-01-01T00:00:00+00:00".into(),
        ],
        map(vec![
            ("unit", "kW".into()),
            ("source", "aiomas-rs benchmark".into()),
            ("resolution", 900.into()),
        ]),
    )
}

fn frame_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame encode+decode per codec");
    group.throughput(Throughput::Elements(1));
    for (size, message) in [("small", small_request()), ("medium", medium_request())] {
        for codec in CODECS {
            let frame = codec.encode(&message).expect("encodable");
            // Only a sanity check: JSON need not return bit-identical floats here.
            let decoded = codec.decode(&frame).expect("decodable");
            assert_eq!(decoded.as_list().map(<[Value]>::len), Some(3));
            println!("{codec} {size}: {} bytes per frame", frame.len());
            group.bench_with_input(
                BenchmarkId::new(codec.name(), size),
                &message,
                |b, message| {
                    b.iter(|| {
                        let frame = codec.encode(black_box(message)).unwrap();
                        codec.decode(black_box(&frame)).unwrap()
                    });
                },
            );
        }
    }
    group.finish();
}

/// Decoding one large frame: ~1 MiB of small integers and floats, as a co-simulation ships
/// time series (the decoder's per-element cost dominates).
fn large_frame_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("large frame decode");
    group.throughput(Throughput::Elements(1));
    let items: Vec<Value> = (0..100_000)
        .map(|i| match i % 3 {
            0 => Value::from(i % 1000),
            1 => Value::Float(f64::from(i) * 0.25),
            _ => Value::from(-(i as i64)),
        })
        .collect();
    let message = request("agents/1/series", vec![Value::List(items)], map(vec![]));
    for codec in CODECS {
        let frame = codec.encode(&message).expect("encodable");
        println!("{codec} large: {} bytes per frame", frame.len());
        group.bench_with_input(
            BenchmarkId::new(codec.name(), "large"),
            &frame,
            |b, frame| {
                b.iter(|| codec.decode(black_box(frame)).unwrap());
            },
        );
    }
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .configure_from_args();
    frame_round_trip(&mut criterion);
    large_frame_decode(&mut criterion);
    criterion.final_summary();
}
