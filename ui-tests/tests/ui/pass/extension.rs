//! `#[derive(aiomas::ExtensionType)]`: every struct shape, serde attributes, and code that
//! compiles in a `#![no_implicit_prelude]` module.

use aiomas::{from_value, to_value, ExtensionType, Value};

#[derive(Debug, PartialEq, aiomas::ExtensionType)]
#[aiomas(name = "ndarray")]
#[serde(rename_all = "camelCase")]
pub struct Array {
    #[serde(rename = "type")]
    dtype: String,
    shape_of: Vec<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    data: aiomas::Bytes,
}

/// Named after the type by default.
#[derive(Debug, PartialEq, aiomas::ExtensionType)]
pub struct Meters(f64);

#[derive(Debug, PartialEq, aiomas::ExtensionType)]
pub struct Marker;

mod isolated {
    #![no_implicit_prelude]

    #[derive(::aiomas::ExtensionType)]
    pub struct Pair(pub i32, pub i32);
}

fn main() {
    let array = Array {
        dtype: "<f8".into(),
        shape_of: vec![1],
        label: None,
        data: aiomas::Bytes::from(vec![0; 8]),
    };
    let value = to_value(&array).unwrap();
    assert_eq!(value.extension_name(), Some("ndarray"));
    assert_eq!(value.data().get("type"), Some(&Value::from("<f8")));
    assert_eq!(value.data().get("label"), None);
    assert!(value.data().get("shapeOf").is_some());
    assert_eq!(from_value::<Array>(value).unwrap(), array);

    assert_eq!(Meters::NAME, "Meters");
    let meters = to_value(&Meters(2.5)).unwrap();
    assert_eq!(meters.data(), &Value::Float(2.5));
    assert_eq!(from_value::<Meters>(meters).unwrap(), Meters(2.5));
    // The plain data decodes too.
    assert_eq!(from_value::<Meters>(Value::Float(1.0)).unwrap(), Meters(1.0));
    // Another extension type's object does not.
    let marker = to_value(&Marker).unwrap();
    assert!(from_value::<Meters>(marker).is_err());

    let pair = to_value(&isolated::Pair(1, 2)).unwrap();
    assert_eq!(pair.extension_name(), Some(<isolated::Pair as ExtensionType>::NAME));
}
