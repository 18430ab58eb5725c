//! Fuzz targets for the codecs (issue 8, item 10), on the stable toolchain: each decoder fed
//! mutations of Python's golden bytes, the blosc header validation, and round-trip
//! properties of generated values. Zero crashes allowed; every decoded value must re-encode
//! and decode to itself. Seeds and durations: see [`aiomas_tests::fuzz`].

use std::time::Duration;

use aiomas::codec::Codec;
use aiomas::Error;
use aiomas_tests::fuzz::{arbitrary_value, same_value, Fuzz};

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// What Python's `json.dumps` writes (the golden texts of `codec/tests.rs`), and its edges.
fn json_corpus() -> Vec<Vec<u8>> {
    [
        r#"[0, 1, ["agents/0/step", [1, 2.5, "x"], {"k": null, "b": true}]]"#,
        r#"[1, 2, [null, "h\u00e9llo \ud83d\ude00 \u65e5\u672c"]]"#,
        "[0, 3, [-9223372036854775808, 18446744073709551615, -1, 2147483648, 9223372036854775807]]",
        "[0, 4, [0.1, -1e+100, 5e-324, 1.0, -0.0]]",
        r#"[0, 5, {"a": {"b": {"c": [1, [2, [3, {}]]]}}, "": []}]"#,
        r#"[0, 7, {"__type__": [0, "2016-01-01T00:00:00+00:00"]}]"#,
        r#"[0, 1, [NaN, Infinity, -Infinity, "NaN", {"Infinity": -Infinity}]]"#,
        r#"[0, 1, [18446744073709551616, -9223372036854775809, 1267650600228229401496703205376]]"#,
        r#"[0, 1, "\u0000NaN"]"#,
        r#"[2, 6, "Traceback (most recent call last):\n  ValueError: boom\n"]"#,
        " \n[0, 1, null]\r\n\t ",
        "[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Python's MsgPack golden bytes (msgpack 1.2.4, `use_bin_type=True`).
fn msgpack_corpus() -> Vec<Vec<u8>> {
    [
        "93000193ad6167656e74732f302f737465709301cb4004000000000000a17882a16bc0a162c3",
        "93010292c0b268c3a96c6c6f20f09f988020e697a5e69cac",
        "93000398d38000000000000000cfffffffffffffffffffce80000000cf7fffffffffffffff7fcc80d0df",
        "93000495cb3fb999999999999acbd4b249ad2594c37dcb0000000000000001cb3ff0000000000000cb8000000000000000",
        "93000582a16181a16281a16392019202920380a090",
        "93020692c40200ff8201a36f6e65fec400",
        "93000781a85f5f747970655f5f9200b9323031362d30312d30315430303a30303a30302b30303a3030",
        "930001ddffffffff010203",
        "930001dcffff01",
    ]
    .iter()
    .map(|h| unhex(h))
    .collect()
}

/// python-blosc 1.11.4 output, and our compressions of the MsgPack corpus.
fn blosc_corpus() -> Vec<Vec<u8>> {
    let mut corpus = vec![unhex(
        "02011108a0000000a00000008c000000140000007400000024936700000060000b01091161696f6d617320\
         0092601005000000020a128012036108c400a00002030b1360250361699340a0120b00040c816d617320\
         61696fa4c01203dc050da18012016d70c0130300060e6e6025026d6169c0130414070fd9208078006ec0\
         130a0008103861696f6d617320",
    )];
    for packed in msgpack_corpus() {
        if let Ok(value) = Codec::MsgPack.decode(&packed) {
            corpus.push(Codec::MsgPackBlosc.encode(&value).unwrap());
        }
    }
    corpus
}

/// Whatever a decoder accepts is a plain value that re-encodes and decodes to itself.
fn decodes_consistently(codec: Codec, input: &[u8]) {
    let value = match codec.decode(input) {
        Ok(value) => value,
        Err(Error::Protocol(_)) => return,
        Err(other) => panic!("{codec}: not a protocol error: {other:?}"),
    };
    let again = codec
        .encode(&value)
        .unwrap_or_else(|err| panic!("{codec}: decoded {value:.300} but cannot encode it: {err}"));
    let back = codec.decode(&again).unwrap();
    assert!(
        same_value(&value, &back),
        "{codec}: {value:.300} came back as {back:.300}"
    );
}

/// Where serde_json reads standard JSON, we read it too, unless it breaks an aiomas rule.
fn agrees_with_serde_json(input: &[u8]) {
    if serde_json::from_slice::<serde_json::Value>(input).is_err() {
        return;
    }
    if let Err(err) = Codec::Json.decode(input) {
        let msg = err.to_string();
        let aiomas_rule = ["nesting", "__type__", "typeid", "reserved key"];
        assert!(
            aiomas_rule.iter().any(|rule| msg.contains(rule)),
            "serde_json reads {:?} but we fail: {msg}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn fuzz_json_decoder() {
    let corpus = json_corpus();
    Fuzz::new("json decoder").mutate(&corpus, |input| {
        decodes_consistently(Codec::Json, input);
        agrees_with_serde_json(input);
    });
}

#[test]
fn fuzz_msgpack_decoder() {
    let corpus = msgpack_corpus();
    Fuzz::new("msgpack decoder")
        .mutate(&corpus, |input| decodes_consistently(Codec::MsgPack, input));
}

/// The blosc header is checked before c-blosc sees the frame: mutate the header fields (sizes,
/// flags, typesize) more often than the body.
#[test]
fn fuzz_blosc_decoder_and_header_validation() {
    let corpus = blosc_corpus();
    let mut header_rng = aiomas_tests::fuzz::Rng::new(7);
    Fuzz::new("blosc decoder").mutate(&corpus, |input| {
        decodes_consistently(Codec::MsgPackBlosc, input);
        if input.len() >= 16 {
            let mut forged = input.to_vec();
            let field = header_rng.below(4) * 4;
            let value = *header_rng.pick(&[0u32, 1, 15, 16, 0xffff, 0x7fff_ffff, u32::MAX]);
            forged[field..field + 4].copy_from_slice(&value.to_le_bytes());
            forged[2] ^= header_rng.byte() & 0x17;
            decodes_consistently(Codec::MsgPackBlosc, &forged);
        }
    });
}

/// decode(encode(v)) == v for generated values, in every codec (NaN compares as NaN).
#[test]
fn fuzz_round_trips() {
    for codec in [Codec::Json, Codec::MsgPack, Codec::MsgPackBlosc] {
        let name = format!("{codec} round trip");
        Fuzz::new(&name).duration(Duration::from_secs(5)).generate(
            |rng| {
                let depth = rng.below(5);
                arbitrary_value(rng, codec, depth)
            },
            |value| {
                let bytes = codec
                    .encode(value)
                    .unwrap_or_else(|err| panic!("{codec}: cannot encode {value:.300}: {err}"));
                let back = codec
                    .decode(&bytes)
                    .unwrap_or_else(|err| panic!("{codec}: cannot decode {value:.300}: {err}"));
                assert!(
                    same_value(value, &back),
                    "{codec}: {value:.300} came back as {back:.300}"
                );
            },
        );
    }
}
