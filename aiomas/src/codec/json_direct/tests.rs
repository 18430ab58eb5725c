//! The direct decode of JSON results against the `Value` path: every shape decodes to the same
//! result or fails with the same text, and the frames it leaves to the full decode (extension
//! objects, service references, bad or oversized frames) are decoded exactly as before.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::super::decode::Decoding;
use super::super::direct::fixtures::{
    scalars_of_another_kind, test_format, Meters, Msg, Shape, Unit,
};
use super::super::{json_parser, Content, Received, WireFormat};
use super::Codec;
use crate::value::{from_value, BigInt, Bytes as ByteBuf, ServiceRef, Value};
use crate::Error;

fn json() -> WireFormat {
    test_format(Codec::Json)
}

/// The content of the result frame `[1, 7, content]`, decoded by `format`.
fn received(format: &WireFormat, content: &str) -> Result<Received, Error> {
    let frame = format!("[1, 7, {content}]");
    let (msg_type, msg_id, received) = format.decode_frame(Bytes::from(frame), true)?;
    assert_eq!((msg_type, msg_id), (1, 7));
    Ok(received)
}

fn is_direct(received: &Received) -> bool {
    matches!(received.0, Content::Json { .. })
}

/// The `Value` path's outcome for `content` into `T`, as text (`NaN` is not equal to itself).
fn through_value<T: DeserializeOwned + Debug>(format: &WireFormat, content: &str) -> String {
    let frame = format!("[1, 7, {content}]");
    let (_, _, value) = format.decode_message(frame.as_bytes()).unwrap();
    format!("{:?}", from_value::<T>(value))
}

/// Decodes `content` into `T` both ways and checks they agree; `direct` says which way the new
/// path must take. Returns the outcome, as text.
#[track_caller]
fn same<T: DeserializeOwned + Debug>(content: &str, direct: bool) -> String {
    let format = json();
    let received = received(&format, content).unwrap();
    assert_eq!(is_direct(&received), direct, "{content}");
    let outcome = format!("{:?}", received.decode::<T>());
    assert_eq!(outcome, through_value::<T>(&format, content), "{content}");
    outcome
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
    same::<Msg>(
        r#"{"id": 1, "values": [1, "two"], "name": "x", "tag": null}"#,
        true,
    );
    same::<Value>(msg, true);
    same::<Value>(
        r#"[1, -2, 18446744073709551615, 1e400, -0, "\u00e9\n", {"a": [[]]}]"#,
        true,
    );
    same::<BTreeMap<String, Vec<i64>>>(r#"{"a": [1, 2], "b\"": []}"#, true);
    same::<BTreeMap<i64, bool>>(r#"{"1": true}"#, true);
    same::<(i64, String, bool, ())>(r#"[1, "s", false, null]"#, true);
    same::<String>(r#""caf\u00e9 \ud83d\ude00""#, true);
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
fn length_mismatches_fail_as_through_a_value() {
    let too_many = same::<(i64, i64)>("[1, 2, 3]", true);
    assert!(too_many.contains("invalid length 3"), "{too_many}");
    same::<(i64, i64)>("[1]", true);
    same::<[u8; 2]>("[1, 2, 3, [4, {\"a\": 5}]]", true);
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
}

#[test]
fn python_floats_and_big_integers_decode_as_through_a_value() {
    assert_eq!(
        same::<Vec<f64>>("[NaN, Infinity, -Infinity]", true),
        "Ok([NaN, inf, -inf])"
    );
    let big = "123456789012345678901234567890123456789012345";
    same::<f64>(big, true);
    same::<i128>(big, true);
    same::<i128>("-170141183460469231731687303715884105728", true);
    same::<u128>("340282366920938463463374607431768211455", true);
    same::<u64>("18446744073709551616", true);
    assert!(same::<BigInt>(big, true).contains(big));
    assert!(same::<Value>(&format!("[{big}]"), true).contains(big));
}

#[test]
fn wrapped_values_are_left_to_the_full_decode() {
    // An Arrow date (extension typeid 0) and a service reference (typeid 1).
    let date = r#"{"__type__": [0, "2016-01-01"]}"#;
    assert_eq!(same::<String>(date, false), "Ok(\"2016-01-01\")");
    same::<Value>(&format!("[{date}]"), false);
    let service = r#"{"__type__": [1, "agents/3"]}"#;
    same::<ServiceRef>(service, false);
    same::<Value>(&format!(r#"{{"peer": {service}}}"#), false);
    // Python treats any dict holding "__type__" as a wrapper, wherever the key is.
    same::<Value>(r#"{"a": 1, "__type__": [0, "x"]}"#, false);
    // Reserved keys and unknown typeids fail as they did.
    for bad in [r#"{"$aiomas::BigInt": "1"}"#, r#"{"__type__": [9, 1]}"#] {
        let format = json();
        let frame = format!("[1, 7, {bad}]");
        let old = format.decode_message(frame.as_bytes()).unwrap_err();
        let new = format.decode_frame(Bytes::from(frame), true).unwrap_err();
        assert_eq!(new.to_string(), old.to_string());
    }
}

#[test]
fn other_messages_and_bad_frames_are_decoded_as_before() {
    let format = json();
    for frame in [
        r#"[0, 1, ["echo", [1], {}]]"#,
        r#"[2, 1, "Traceback"]"#,
        r#"[1, 1, [1, 2]"#,
        r#"[1, 1, [1, 2], 4]"#,
        r#"[1, -1, 2]"#,
        // Message types and ids that are not plain non-negative 63-bit integers.
        r#"[1.0, 1, 2]"#,
        r#"[1, 1e3, 2]"#,
        r#"[1, 1.5, 2]"#,
        r#"[1, 01, 2]"#,
        r#"[1, -0, 2]"#,
        r#"[1, 9223372036854775808, 2]"#,
        r#"[1, 123456789012345678901, 2]"#,
        r#"[1, 1, {"a" 1}]"#,
        r#"[1, 1, "\x"]"#,
        r#"[1, 1, [1,]]"#,
        "[1, 1, tru]",
        "{}",
        "",
    ] {
        let old = format.decode_message(frame.as_bytes());
        let new = format.decode_frame(Bytes::from(frame), true);
        match (old, new) {
            (Ok((t, id, value)), Ok((t2, id2, received))) => {
                assert!(!is_direct(&received), "{frame}");
                assert_eq!((t, id, value), (t2, id2, received.into_value().unwrap()));
            }
            (Err(old), Err(new)) => assert_eq!(new.to_string(), old.to_string(), "{frame}"),
            (old, new) => panic!("{frame}: {old:?} vs {new:?}"),
        }
    }
    let largest_id = format
        .decode_frame(Bytes::from(r#"[1, 9223372036854775807, 2]"#), true)
        .unwrap();
    assert_eq!(largest_id.1, i64::MAX as u64);
    assert!(is_direct(&largest_id.2));
    let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert!(is_direct(&received(&format, &deep).unwrap()));
    let too_deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
    let old = format.decode_message(format!("[1, 1, {too_deep}]").as_bytes());
    assert_eq!(
        received(&format, &too_deep).unwrap_err().to_string(),
        old.unwrap_err().to_string()
    );
}

#[test]
fn a_typed_result_stays_within_the_decoded_size_budget() {
    // Empty strings cost their slots only: a list of them is the densest honest JSON.
    let items = vec!["\"\""; 2000].join(",");
    let content = format!("[{items}]");
    let frame = format!("[1, 7, {content}]");
    let format = json();
    let built = Decoding::new(&format, frame.len());
    json_parser::parse(&built, frame.as_bytes()).unwrap();
    let scanned = Decoding::new(&format, frame.len());
    assert!(super::plain_message(&scanned, frame.as_bytes()).is_some());
    // The scan charges exactly what building the values charges.
    let charged = built.budget.spent();
    assert_eq!(scanned.budget.spent(), charged);
    for (limit, fits) in [(charged, true), (charged - 1, false)] {
        let format = json().with_decoded_limit(limit);
        let old = format.decode_message(frame.as_bytes());
        let new = format.decode_frame(Bytes::from(frame.clone()), true);
        assert_eq!(old.is_ok(), fits);
        match new {
            Ok((_, _, received)) => {
                assert!(fits && is_direct(&received));
                assert_eq!(received.decode::<Vec<String>>().unwrap().len(), 2000);
            }
            Err(err) => {
                assert!(!fits);
                assert!(err.to_string().contains("max_decoded_size"), "{err}");
                assert_eq!(err.to_string(), old.unwrap_err().to_string());
            }
        }
    }
}
