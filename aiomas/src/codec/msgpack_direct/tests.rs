//! The direct decode of MsgPack results against the `Value` path: every shape decodes to the
//! same result or fails with the same text, and the frames it leaves to the full decode
//! (extension objects, service references, `ext` items, bad or oversized frames) are decoded
//! exactly as before.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::super::decode::Decoding;
use super::super::direct::fixtures::{
    scalars_of_another_kind, test_format, Meters, Msg, Shape, Unit,
};
use super::super::{msgpack, Codec, Content, Received, WireFormat};
use crate::value::{from_value, BigInt, Bytes as ByteBuf, ServiceRef, Value};
use crate::Error;

fn msgpack() -> WireFormat {
    test_format(Codec::MsgPack)
}

/// The MsgPack encoding of `value` (extension objects as their wrappers).
fn packed(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts = Vec::new();
    msgpack()
        .encode_message(1, 7, value, &mut parts)
        .expect("encodable");
    // `[1, 7, content]` is 0x93 0x01 0x07 and the content.
    out.extend_from_slice(&parts[3..]);
    out
}

/// The MsgPack encoding of the JSON text `json` (read as the JSON codec reads it).
fn from_json(json: &str) -> Vec<u8> {
    let (_, _, value) = test_format(Codec::Json)
        .decode_message(format!("[1, 7, {json}]").as_bytes())
        .unwrap();
    packed(&value)
}

/// The result frame `[1, 7, content]`.
fn result_frame(content: &[u8]) -> Vec<u8> {
    [&[0x93, 0x01, 0x07], content].concat()
}

fn received(format: &WireFormat, content: &[u8]) -> Result<Received, Error> {
    let (msg_type, msg_id, received) =
        format.decode_frame(Bytes::from(result_frame(content)), true)?;
    assert_eq!((msg_type, msg_id), (1, 7));
    Ok(received)
}

fn is_direct(received: &Received) -> bool {
    matches!(received.0, Content::MsgPack { .. })
}

/// The `Value` path's outcome for `content` into `T`, as text (`NaN` is not equal to itself).
fn through_value<T: DeserializeOwned + Debug>(format: &WireFormat, content: &[u8]) -> String {
    let (_, _, value) = format.decode_message(&result_frame(content)).unwrap();
    format!("{:?}", from_value::<T>(value))
}

/// Decodes `content` into `T` both ways and checks they agree; `direct` says which way the new
/// path must take. Returns the outcome, as text.
#[track_caller]
fn same_bytes<T: DeserializeOwned + Debug>(content: &[u8], direct: bool) -> String {
    let format = msgpack();
    let received = received(&format, content).unwrap();
    assert_eq!(is_direct(&received), direct, "{content:x?}");
    // A kept content is a `Value` too, the same one.
    let (_, _, value) = format.decode_message(&result_frame(content)).unwrap();
    assert_eq!(format!("{:?}", received.to_value()), format!("{value:?}"));
    let outcome = format!("{:?}", received.decode::<T>());
    assert_eq!(
        outcome,
        through_value::<T>(&format, content),
        "{content:x?}"
    );
    outcome
}

#[track_caller]
fn same<T: DeserializeOwned + Debug>(json: &str, direct: bool) -> String {
    same_bytes::<T>(&from_json(json), direct)
}

#[test]
fn structs_lists_and_scalars_decode_as_through_a_value() {
    let msg = r#"{"id": 1, "values": [1.0, 2.5, 3], "name": "agent", "tag": null, "extra": [{}]}"#;
    assert!(same::<Msg>(msg, true).starts_with("Ok(Msg { id: 1, values: [1.0, 2.5, 3.0]"));
    same::<Vec<Msg>>(&format!("[{msg}, {msg}]"), true);
    same::<Msg>(r#"[1, [], "positional", "tag"]"#, true);
    same::<Msg>(r#"{"id": 1, "values": []}"#, true);
    same::<Msg>(
        r#"{"id": "1", "values": [], "name": "x", "tag": null}"#,
        true,
    );
    same::<Msg>(r#"{"id": 1, "values": [1, "two"], "name": "x"}"#, true);
    same::<Value>(msg, true);
    same::<Value>(
        r#"[1, -2, 18446744073709551615, -0.0, "é\n", {"a": [[]]}]"#,
        true,
    );
    same::<BTreeMap<String, Vec<i64>>>(r#"{"a": [1, 2], "b\"": []}"#, true);
    same::<(i64, String, bool, ())>(r#"[1, "s", false, null]"#, true);
    same::<String>(r#""café 😀""#, true);
    same::<char>(r#""x""#, true);
    same::<char>(r#""xy""#, true);
    same::<u8>("256", true);
    same::<i32>("-1.5", true);
    same::<f32>("3", true);
    same::<Option<Vec<u8>>>("[1, 2, 255]", true);
    same::<Option<u8>>("null", true);
    same::<()>("[]", true);
    same::<Unit>("{}", true);
    same::<Meters>("2.5", true);
    same::<Meters>("[2.5]", true);
    same::<ByteBuf>("[1, 2]", true);
    same::<ByteBuf>(r#""text""#, true);
    scalars_of_another_kind!(same);
}

#[test]
fn msgpack_keys_integers_floats_and_bytes_decode_as_through_a_value() {
    // Integer and list keys, which JSON cannot carry.
    let int_keys = Value::Map(vec![(1.into(), true.into()), ((-3).into(), false.into())]);
    same_bytes::<BTreeMap<i64, bool>>(&packed(&int_keys), true);
    same_bytes::<BTreeMap<String, bool>>(&packed(&int_keys), true);
    same_bytes::<Value>(&packed(&int_keys), true);
    let list_key = Value::Map(vec![(Value::List(vec![1.into()]), 2.into())]);
    same_bytes::<Value>(&packed(&list_key), true);
    same_bytes::<BTreeMap<Vec<u8>, u8>>(&packed(&list_key), true);
    // Every integer width, and floats of both sizes.
    for int in [
        &[0x7f][..],
        &[0xe0],
        &[0xcc, 0xff],
        &[0xcd, 0xff, 0xff],
        &[0xce, 0xff, 0xff, 0xff, 0xff],
        &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        &[0xcf, 0, 0, 0, 0, 0, 0, 0, 5],
        &[0xd0, 0x80],
        &[0xd1, 0x80, 0],
        &[0xd2, 0x80, 0, 0, 0],
        &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
        &[0xca, 0x40, 0x20, 0, 0],
        &[0xca, 0x7f, 0xc0, 0, 0],
        &[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
    ] {
        same_bytes::<Value>(int, true);
        same_bytes::<i64>(int, true);
        same_bytes::<u64>(int, true);
        same_bytes::<u8>(int, true);
        same_bytes::<f32>(int, true);
        same_bytes::<i128>(int, true);
        same_bytes::<BigInt>(int, true);
    }
    // bin 8/16/32, and a `str` that is not UTF-8 (rmp_serde hands it over as bytes).
    let bin = packed(&Value::Bytes(vec![1, 2, 255]));
    let bin16 = packed(&Value::Bytes(vec![7; 300]));
    let bin32 = packed(&Value::Bytes(vec![9; 70_000]));
    let not_utf8 = [0xa2, 0xff, 0xfe];
    for bytes in [&bin[..], &bin16, &bin32, &not_utf8] {
        same_bytes::<ByteBuf>(bytes, true);
        same_bytes::<Vec<u8>>(bytes, true);
        same_bytes::<String>(bytes, true);
        same_bytes::<Value>(bytes, true);
        same_bytes::<Option<ByteBuf>>(bytes, true);
    }
    same_bytes::<[u8; 3]>(&bin, true);
    same_bytes::<(u8, u8)>(&bin, true);
    let long_str = packed(&Value::Str("y".repeat(70_000)));
    assert!(same_bytes::<String>(&long_str, true).starts_with("Ok(\"yyy"));
    // A struct of bytes and a field name that is not UTF-8.
    let fields = Value::Map(vec![
        ("id".into(), 1.into()),
        (Value::Bytes(b"values".to_vec()), Value::List(vec![])),
        ("name".into(), "n".into()),
    ]);
    same_bytes::<Msg>(&packed(&fields), true);
}

#[test]
fn length_mismatches_fail_as_through_a_value() {
    let too_many = same::<(i64, i64)>("[1, 2, 3]", true);
    assert!(too_many.contains("invalid length 3"), "{too_many}");
    same::<(i64, i64)>("[1]", true);
    same::<[u8; 2]>(r#"[1, 2, 3, [4, {"a": 5}]]"#, true);
    same::<Msg>(r#"[1, [], "n", null, "extra"]"#, true);
}

#[test]
fn enums_decode_as_through_a_value() {
    same::<Vec<Shape>>(
        r#"["Dot", {"Circle": 1.5}, {"Rect": {"w": 2, "h": 3}}, {"Pair": [-1, 1]}]"#,
        true,
    );
    same::<Shape>(r#"{"Dot": null}"#, true);
    same::<Shape>(r#"{"Square": 1}"#, true);
    same::<Shape>(r#"{"Circle": 1, "Dot": null}"#, true);
    same::<Shape>("[1]", true);
    same::<Shape>("7", true);
    let int_variant = Value::Map(vec![(1.into(), 2.into())]);
    same_bytes::<Shape>(&packed(&int_variant), true);
}

#[test]
fn python_floats_and_wide_integers_decode_as_through_a_value() {
    assert_eq!(
        same::<Vec<f64>>("[NaN, Infinity, -Infinity]", true),
        "Ok([NaN, inf, -inf])"
    );
    same::<i128>("-9223372036854775808", true);
    same::<u128>("18446744073709551615", true);
    same::<i64>("18446744073709551615", true);
    same::<f64>("18446744073709551615", true);
    assert!(same::<BigInt>("18446744073709551615", true).contains("18446744073709551615"));
}

#[test]
fn wrapped_values_and_ext_items_are_left_to_the_full_decode() {
    // An Arrow date (extension typeid 0) and a service reference (typeid 1).
    let wrapper = |typeid: i64, data: &str| {
        let pair = Value::List(vec![typeid.into(), data.into()]);
        Value::Map(vec![("__type__".into(), pair)])
    };
    let date = packed(&wrapper(0, "2016-01-01"));
    assert_eq!(same_bytes::<String>(&date, false), "Ok(\"2016-01-01\")");
    same_bytes::<Value>(&[&[0x91][..], &date].concat(), false);
    let service = packed(&wrapper(1, "agents/3"));
    same_bytes::<ServiceRef>(&service, false);
    same_bytes::<Value>(&[&[0x81, 0xa4][..], b"peer", &service].concat(), false);
    // Python treats any dict holding "__type__" as a wrapper, wherever the key is.
    let late_wrapper = Value::Map(vec![
        ("a".into(), 1.into()),
        ("__type__".into(), Value::List(vec![0.into(), "x".into()])),
    ]);
    same_bytes::<Value>(&packed(&late_wrapper), false);
    // Reserved keys, unknown typeids and `ext` items (fixext 1, ext 8) fail as they did.
    let reserved = Value::Map(vec![("$aiomas::BigInt".into(), "1".into())]);
    let unknown = Value::Map(vec![(
        "__type__".into(),
        Value::List(vec![9.into(), 1.into()]),
    )]);
    for bad in [
        packed(&reserved),
        packed(&unknown),
        vec![0xd4, 0x01, 0x00],
        vec![0x91, 0xc7, 0x01, 0x05, 0x00],
    ] {
        let format = msgpack();
        let frame = result_frame(&bad);
        let old = format.decode_message(&frame).unwrap_err();
        let new = format.decode_frame(Bytes::from(frame), true).unwrap_err();
        assert_eq!(new.to_string(), old.to_string());
    }
}

#[test]
fn other_messages_and_bad_frames_are_decoded_as_before() {
    let format = msgpack();
    let request = Codec::Json.decode(br#"[0, 1, ["echo", [1], {}]]"#).unwrap();
    let request = Codec::MsgPack.encode(&request).unwrap();
    let request_without_kwargs = [&[0x93, 0x00, 0x01, 0x93, 0xa1, b'f', 0x90, 0xc0][..]].concat();
    let big_id = [
        0x93, 0x01, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
    ];
    for frame in [
        &[0x93, 0x02, 0x01, 0xa1, b'x'][..],
        &[0x93, 0x01, 0x01, 0x92, 0x01],
        &[0x93, 0x01, 0x01, 0x01, 0x01],
        &[0x94, 0x01, 0x01, 0x01, 0x01],
        &[0x93, 0x01, 0xff, 0x02],
        &[0x93, 0x01, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x02],
        &[0x93, 0x01, 0x01, 0xc1],
        &[0x93, 0x01, 0x01, 0xa3, b'a'],
        &[0x93, 0x01, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff],
        &[0x93, 0x01, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff],
        &[0x93, 0x01, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff],
        &[0x93, 0x00, 0x01, 0x93, 0x01, 0x90, 0x80],
        &[0x93, 0x00, 0x01, 0x93, 0xa1, b'f', 0x90, 0x81, 0x01, 0x02],
        &request_without_kwargs,
        &[0x80],
        &[],
    ] {
        let old = format.decode_message(frame);
        let new = format.decode_frame(Bytes::copy_from_slice(frame), true);
        match (old, new) {
            (Ok((t, id, value)), Ok((t2, id2, received))) => {
                assert!(!is_direct(&received), "{frame:x?}");
                assert_eq!((t, id, value), (t2, id2, received.into_value().unwrap()));
            }
            (Err(old), Err(new)) => assert_eq!(new.to_string(), old.to_string(), "{frame:x?}"),
            (old, new) => panic!("{frame:x?}: {old:?} vs {new:?}"),
        }
    }
    // Any unsigned id is read as the full decode reads it.
    let (_, id, kept) = format
        .decode_frame(Bytes::copy_from_slice(&big_id), true)
        .unwrap();
    assert_eq!((id, is_direct(&kept)), (u64::MAX, true));
    assert_eq!(format.decode_message(&big_id).unwrap().1, u64::MAX);
    // A request keeps its arguments in the frame, and its content is the `Value` it was.
    let (_, _, call) = format
        .decode_frame(Bytes::from(request.clone()), true)
        .unwrap();
    let (_, _, value) = format.decode_message(&request).unwrap();
    assert_eq!(call.call_path(), Some("echo"));
    assert_eq!(call.to_value(), value);
    assert_eq!(call.into_value().unwrap(), value);
    // Nesting: 127 levels inside the envelope decode, 128 fail as before.
    let nested = |depth: usize| [vec![0x91; depth - 1], vec![0x90]].concat();
    assert!(is_direct(&received(&format, &nested(127)).unwrap()));
    let too_deep = nested(128);
    let old = format.decode_message(&result_frame(&too_deep));
    assert_eq!(
        received(&format, &too_deep).unwrap_err().to_string(),
        old.unwrap_err().to_string()
    );
}

#[test]
fn a_typed_result_is_charged_exactly_what_its_values_are() {
    // Nils cost their slots only: an array of them is the densest honest MsgPack. Then every
    // kind of item the scan charges: strings, bytes, maps, nested lists.
    let nils = Value::List(vec![Value::Nil; 2000]);
    let mixed = Codec::Json
        .decode(br#"[{"a": [1, "xyz", {"k": []}], "bb": null}, "s", [[], {}], 2.5]"#)
        .unwrap();
    let mixed = Value::List(vec![
        mixed,
        Value::Bytes(vec![1; 100]),
        Value::Map(vec![(1.into(), Value::Bytes(vec![2; 3]))]),
    ]);
    for content in [nils, mixed] {
        let frame = result_frame(&packed(&content));
        let format = msgpack();
        let built = Decoding::new(&format, frame.len());
        msgpack::decode_within(&built, &frame).unwrap();
        let scanned = Decoding::new(&format, frame.len());
        assert!(super::plain_message(&scanned, &frame).is_some());
        let charged = built.budget.spent();
        assert_eq!(scanned.budget.spent(), charged, "{content}");
        for (limit, fits) in [(charged, true), (charged - 1, false)] {
            let format = msgpack().with_decoded_limit(limit);
            let old = format.decode_message(&frame);
            let new = format.decode_frame(Bytes::from(frame.clone()), true);
            assert_eq!(old.is_ok(), fits);
            match new {
                Ok((_, _, received)) => {
                    assert!(fits && is_direct(&received));
                    assert_eq!(received.decode::<Value>().unwrap(), content);
                }
                Err(err) => {
                    assert!(!fits);
                    assert!(err.to_string().contains("max_decoded_size"), "{err}");
                    assert_eq!(err.to_string(), old.unwrap_err().to_string());
                }
            }
        }
    }
}

#[test]
fn a_request_is_charged_exactly_what_its_values_are() {
    let request = Codec::Json
        .decode(br#"[0, 9, ["agents/0/f", [1, "two", [3, {"x": []}]], {"k": "v", "n": [null]}]]"#)
        .unwrap();
    let frame = Codec::MsgPack.encode(&request).unwrap();
    let format = msgpack();
    let built = Decoding::new(&format, frame.len());
    msgpack::decode_within(&built, &frame).unwrap();
    let scanned = Decoding::new(&format, frame.len());
    assert!(matches!(
        super::plain_message(&scanned, &frame).map(|plain| plain.content),
        Some(super::PlainContent::Call { .. })
    ));
    assert_eq!(scanned.budget.spent(), built.budget.spent());
}

#[cfg(feature = "blosc")]
#[test]
fn blosc_frames_keep_their_decompressed_content() {
    let format = test_format(Codec::MsgPackBlosc);
    let content = Codec::Json
        .decode(br#"{"id": 1, "values": [1.5], "name": "agent", "tag": "t"}"#)
        .unwrap();
    let mut frame = Vec::new();
    format.encode_message(1, 7, &content, &mut frame).unwrap();
    let (_, _, received) = format
        .decode_frame(Bytes::from(frame.clone()), true)
        .unwrap();
    assert!(is_direct(&received));
    let (_, _, value) = format.decode_message(&frame).unwrap();
    let through_value = format!("{:?}", from_value::<Msg>(value));
    assert_eq!(format!("{:?}", received.decode::<Msg>()), through_value);
    // A frame that does not decompress fails as before.
    let old = format.decode_message(&frame[..10]).unwrap_err();
    let new = format
        .decode_frame(Bytes::copy_from_slice(&frame[..10]), true)
        .unwrap_err();
    assert_eq!(new.to_string(), old.to_string());
}
