//! Arguments decoded straight from a JSON request frame against the same arguments decoded
//! through `Value`s: the same parameters, or the same Python `TypeError` texts.

use std::collections::BTreeMap;
use std::fmt::Debug;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{Args, Param};
use crate::codec::{Codec, Serializers, WireFormat};
use crate::Value;

fn json() -> WireFormat {
    WireFormat::new(
        Codec::Json,
        Serializers::new().with_type("arrow").with_service_refs(),
    )
}

/// The request `[0, 3, ["agents/0/f", [args], {kwargs}]]` as a direct call, if it is one, and
/// as values.
fn both(args: &str, kwargs: &str) -> (Option<Args>, Args) {
    let frame = format!(r#"[0, 3, ["agents/0/f", [{args}], {{{kwargs}}}]]"#);
    let format = json();
    let (_, _, received) = format
        .decode_frame(Bytes::from(frame.clone()), true)
        .unwrap();
    let direct = received
        .into_call()
        .ok()
        .map(|call| Args::from_call(call).1);
    let (_, _, content) = format.decode_message(frame.as_bytes()).unwrap();
    let Value::List(parts) = content else {
        panic!()
    };
    let [_, Value::List(positional), Value::Map(keywords)] = <[Value; 3]>::try_from(parts).unwrap()
    else {
        panic!()
    };
    let keywords = keywords
        .into_iter()
        .map(|(k, v)| (k.as_str().unwrap().to_owned(), v))
        .collect();
    (direct, Args::new("f", positional, keywords))
}

/// Binds `f(a: A, b: B = default, *args, **kwargs)`-like parameters both ways and compares.
#[track_caller]
fn same<A, B>(args: &str, kwargs: &str, direct: bool) -> String
where
    A: DeserializeOwned + Debug,
    B: DeserializeOwned + Debug,
{
    let (fast, slow) = both(args, kwargs);
    assert_eq!(fast.is_some(), direct, "{args} / {kwargs}");
    let fast = fast.unwrap_or_else(|| both(args, kwargs).1);
    let bind = |mut args: Args| {
        let params = [Param::Required("a"), Param::Optional("b")];
        format!(
            "{:?}",
            args.check(&params).and_then(|()| {
                let a: A = args.required("a")?;
                let b: Option<B> = args.optional("b")?;
                args.finish()?;
                Ok((a, b))
            })
        )
    };
    let outcome = bind(fast);
    assert_eq!(outcome, bind(slow), "{args} / {kwargs}");
    outcome
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read through Debug
struct Msg {
    id: i64,
    values: Vec<f64>,
    name: String,
}

#[test]
fn typed_arguments_decode_as_through_values() {
    let msg = r#"{"id": 1, "values": [1.0, 2.5, 3.25], "name": "agent"}"#;
    assert!(same::<Msg, i64>(msg, "", true).starts_with("Ok((Msg { id: 1"));
    same::<Msg, i64>(&format!("{msg}, 2"), "", true);
    same::<Msg, i64>(msg, r#""b": 2"#, true);
    same::<Msg, i64>("", &format!(r#""a": {msg}"#), true);
    same::<(i64, String), Vec<Option<bool>>>(r#"[1, "x"]"#, r#""b": [true, null]"#, true);
    same::<BTreeMap<String, f64>, Value>(r#"{"x": NaN, "y": -Infinity}"#, "", true);
    same::<i128, Value>("123456789012345678901234567890", "", true);
    same::<crate::value::Bytes, ()>("[1, 2, 3]", "", true);
}

#[test]
fn wrong_types_and_counts_give_python_texts_as_through_values() {
    let text = same::<i64, i64>(r#""one""#, "", true);
    assert!(
        text.contains("f() argument 'a': invalid type: string"),
        "{text}"
    );
    same::<Msg, i64>(r#"{"id": 1}"#, "", true);
    same::<(i64, i64), i64>("[1, 2, 3]", "", true);
    same::<u8, i64>("300", "", true);
    let text = same::<i64, i64>("1, 2, 3", "", true);
    assert!(
        text.contains("takes from 1 to 2 positional arguments but 3 were given"),
        "{text}"
    );
    same::<i64, i64>("1", r#""a": 2"#, true);
    same::<i64, i64>("1", r#""c": 2"#, true);
    same::<i64, i64>("", "", true);
}

#[test]
fn wrapped_arguments_are_decoded_through_values() {
    // An Arrow date (typeid 0): extension objects are left to the full decode.
    same::<String, i64>(r#"{"__type__": [0, "2016-01-01"]}"#, "", false);
    same::<i64, Value>("1", r#""b": {"__type__": [0, "2016-01-01"]}"#, false);
}

#[test]
fn the_rest_of_the_arguments_decode_as_through_values() {
    let (fast, slow) = both(r#"1, "two", [3]"#, r#""k": {"n": 4}"#);
    let rest = |mut args: Args| {
        let first: i64 = args.required("first").unwrap();
        let rest: Vec<Value> = args.rest_args().unwrap();
        let kwargs: BTreeMap<String, Value> = args.rest_kwargs().unwrap();
        args.finish().unwrap();
        (first, rest, kwargs)
    };
    assert_eq!(rest(fast.unwrap()), rest(slow));
    let (fast, slow) = both("1, 2", "");
    let all = |args: Args| format!("{:?}", args.into_positional::<(i64, i64)>());
    assert_eq!(all(fast.unwrap()), all(slow));
}
