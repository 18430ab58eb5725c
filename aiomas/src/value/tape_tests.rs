//! A tape gives what a `Value` gives: for every pair of written and read types below, the
//! decoded result (or the error's text) through a tape is the one through `to_value` and
//! `from_value`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use super::Tape;
use crate::value::{from_value, to_value, Bytes, Extension, Home, ServiceRef, Value};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Msg {
    id: i64,
    values: Vec<f64>,
    name: String,
}

/// `Msg` with a field more, which `Msg` ignores.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Wide {
    id: i64,
    extra: Vec<Vec<String>>,
    values: Vec<f64>,
    name: String,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Pair(i8, i8),
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Meters(f64);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Either {
    Number(i64),
    Text(String),
    Msg(Msg),
}

/// What reading `U` from `value` gives: the value, or the error's text.
fn read<U: DeserializeOwned + Debug>(outcome: Result<U, crate::Error>) -> String {
    match outcome {
        Ok(value) => format!("Ok({value:?})"),
        Err(err) => format!("Err({err})"),
    }
}

/// Writes `value` both ways, reads `U` back both ways, and compares; returns the outcome.
fn same<T: Serialize + ?Sized, U: DeserializeOwned + Debug>(value: &T) -> String {
    let via_value = read(to_value(value).and_then(from_value::<U>));
    let via_tape = read(Tape::of(value).and_then(Tape::decode::<U>));
    assert_eq!(via_tape, via_value, "{}", std::any::type_name::<U>());
    let as_value = Tape::of(value)
        .map(Tape::into_value)
        .map_err(|e| e.to_string());
    assert_eq!(as_value, to_value(value).map_err(|e| e.to_string()));
    let copied = Tape::of(value).map(|tape| tape.to_value());
    assert_eq!(copied.map_err(|e| e.to_string()), as_value);
    via_tape
}

fn msg() -> Msg {
    Msg {
        id: 7,
        values: vec![1.0, 2.5],
        name: "ünïcødé".into(),
    }
}

#[test]
fn structs_read_back_and_fail_alike() {
    assert_eq!(same::<_, Msg>(&msg()), format!("Ok({:?})", msg()));
    same::<_, Value>(&msg());
    same::<_, BTreeMap<String, Value>>(&msg());
    same::<_, (i64, Vec<f64>, String)>(&msg());
    assert!(same::<_, i64>(&msg()).starts_with("Err("));
    assert!(same::<_, Vec<i64>>(&msg()).starts_with("Err("));
    let wide = Wide {
        id: 1,
        extra: vec![vec!["skipped".into()], vec![]],
        values: vec![3.0],
        name: "n".into(),
    };
    // The ignored field's subtree is skipped: what follows it reads right.
    same::<_, (Msg, i64)>(&(&wide, 5));
    same::<_, Vec<Msg>>(&[&wide, &wide]);
    same::<_, (IgnoredAny, String)>(&(&wide, "after"));
    same::<_, Wide>(&msg());
}

#[test]
fn enums_and_untagged_enums_read_back_and_fail_alike() {
    let shapes = [
        Shape::Dot,
        Shape::Circle(1.5),
        Shape::Rect { w: 2, h: 3 },
        Shape::Pair(-1, 1),
    ];
    for shape in &shapes {
        same::<_, Shape>(shape);
        same::<_, Value>(shape);
        same::<_, (Shape, i64)>(&(shape, 1));
    }
    same::<_, Shape>(&"Hexagon");
    same::<_, Shape>(&5);
    same::<_, Shape>(&[1, 2]);
    for either in [
        Either::Number(3),
        Either::Text("t".into()),
        Either::Msg(msg()),
    ] {
        same::<_, Either>(&either);
    }
    same::<_, Either>(&2.5);
}

#[test]
fn scalars_convert_and_fail_alike() {
    same::<_, f64>(&3);
    same::<_, f64>(&3.5f32);
    same::<_, f32>(&u64::MAX);
    same::<_, u64>(&u64::MAX);
    same::<_, i64>(&u64::MAX);
    same::<_, u8>(&-1);
    same::<_, i128>(&-(1i128 << 100));
    same::<_, u128>(&(1u128 << 127));
    same::<_, Value>(&(1u128 << 127));
    same::<_, i64>(&"7");
    same::<_, String>(&7);
    same::<_, char>(&'ß');
    same::<_, char>(&"two");
    same::<_, bool>(&true);
    same::<_, ()>(&());
    same::<_, ()>(&1);
    same::<_, Unit>(&());
    same::<_, Unit>(&"x");
    same::<_, Meters>(&2.5);
    same::<_, Meters>(&"far");
}

#[test]
fn options_sequences_and_maps_read_back_and_fail_alike() {
    same::<_, Option<String>>(&Some("x"));
    same::<_, Option<String>>(&None::<String>);
    same::<_, String>(&None::<String>);
    same::<_, Option<Msg>>(&Some(msg()));
    same::<_, Vec<Option<i64>>>(&[Some(1), None]);
    same::<_, (i64, i64)>(&(1, 2, 3));
    same::<_, (i64, i64, i64)>(&(1, 2));
    same::<_, [i64; 2]>(&[1, 2]);
    let map: HashMap<String, i64> = [("a".into(), 1)].into();
    same::<_, HashMap<String, i64>>(&map);
    same::<_, BTreeMap<i64, String>>(&BTreeMap::from([(1, "one")]));
    same::<_, Vec<(String, i64)>>(&map);
    same::<_, Vec<Value>>(&Vec::<i64>::new());
}

#[test]
fn bytes_references_and_extensions_stay_what_values_make_of_them() {
    let bytes = Bytes::from(vec![0, 159, 255]);
    same::<_, Bytes>(&bytes);
    same::<_, Vec<u8>>(&bytes);
    same::<_, String>(&bytes);
    let service = ServiceRef {
        path: "agents/3".into(),
        home: Home::Local(4),
    };
    same::<_, ServiceRef>(&service);
    same::<_, Value>(&(&service, 1));
    same::<_, ServiceRef>(&"agents/3");
    let date = Value::Ext(Box::new(Extension {
        type_name: "arrow".into(),
        data: Value::from("2016-01-01T00:00:00+00:00"),
    }));
    same::<_, Value>(&date);
    same::<_, String>(&date);
    same::<_, crate::Date>(&date);
    // A map that only looks like a reserved token is read the same way too.
    same::<_, Value>(&BTreeMap::from([(super::SERVICE_REF_TOKEN, ("p", 1, 2))]));
}

#[test]
fn values_copy_through_a_tape() {
    let nested = Value::Map(vec![
        (
            "list".into(),
            Value::List(vec![1.into(), Value::Nil, 2.5.into()]),
        ),
        (Value::Int(3), Value::Bytes(vec![1, 2])),
        ("big".into(), Value::UInt(u64::MAX)),
    ]);
    assert_eq!(same::<_, Value>(&nested), format!("Ok({nested:?})"));
}

#[test]
fn custom_errors_of_serialize_are_the_same() {
    struct Refuses;
    impl Serialize for Refuses {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way"))
        }
    }
    let via_tape = Tape::of(&(1, Refuses)).map(|_| ()).unwrap_err();
    let via_value = to_value(&(1, Refuses)).map(|_| ()).unwrap_err();
    assert_eq!(via_tape.to_string(), via_value.to_string());
}

#[test]
fn top_level_items_are_read_one_by_one_where_they_lie() {
    let mut tape = Tape::new();
    tape.push(&msg()).unwrap();
    tape.push(&[1, 2]).unwrap();
    tape.push("three").unwrap();
    tape.push(&msg()).unwrap();
    let mut items = tape.into_items();
    assert_eq!(items.len(), 4);
    assert_eq!(items.decode_next::<Msg>().unwrap().unwrap(), msg());
    assert_eq!(
        items.next_value(),
        Some(Value::List(vec![1.into(), 2.into()]))
    );
    assert_eq!(items.len(), 2);
    // A mismatch is the error `from_value` gives, and the next item is still read.
    let wrong = items.decode_next::<i64>().unwrap().unwrap_err();
    let expected = crate::from_value::<i64>(Value::from("three")).unwrap_err();
    assert_eq!(wrong.to_string(), expected.to_string());
    assert!(!items.is_empty());
    assert_eq!(items.next_value(), Some(to_value(&msg()).unwrap()));
    assert!(items.is_empty());
    assert!(items.decode_next::<Msg>().is_none());
    assert!(items.next_value().is_none());
}
