//! Extra-serializer types: what `#[derive(aiomas::ExtensionType)]` implements, and the one
//! wrapping both it and [`Date`](super::Date) use.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::EXTENSION_TOKEN;
use crate::Value;

/// A type that travels as an extra-serializer object, `{"__type__": [typeid, data]}`, under the
/// name [`NAME`](Self::NAME) (Python's `extra_serializers` entry for its class).
///
/// Derive it with `#[derive(aiomas::ExtensionType)]` (which also derives `Serialize` and
/// `Deserialize`), and register [`NAME`](Self::NAME) on both sides in the same position.
/// Typed parameters of the type decode straight from the wrapper; a [`Value`] keeps the
/// wrapper ([`Value::Ext`]) and [`Value::data`] looks through it.
///
/// ```
/// use aiomas::{ExtensionType, Value};
///
/// #[derive(Debug, PartialEq, aiomas::ExtensionType)]
/// #[aiomas(name = "Point")]
/// struct Point {
///     x: i32,
///     y: i32,
/// }
///
/// let value = aiomas::to_value(&Point { x: 1, y: 2 }).unwrap();
/// assert_eq!(value.extension_name(), Some(Point::NAME));
/// assert_eq!(value.data().get("y"), Some(&Value::from(2)));
/// assert_eq!(aiomas::from_value::<Point>(value).unwrap(), Point { x: 1, y: 2 });
///
/// let options = aiomas::agent::ContainerOptions::default().extra_serializer(Point::NAME);
/// # let _ = options;
/// ```
pub trait ExtensionType: Serialize + DeserializeOwned {
    /// The name both sides register the type under.
    const NAME: &'static str;
}

/// Serializes `data` as the extension object `name`.
pub fn serialize_extension<S: Serializer, T: Serialize + ?Sized>(
    serializer: S,
    name: &str,
    data: &T,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_newtype_struct(EXTENSION_TOKEN, &(name, data))
}

/// The data of the extension object `name`, or the plain value if it is not wrapped; an
/// extension object of another type is an error.
pub fn extension_data<'de, D: Deserializer<'de>>(
    deserializer: D,
    name: &str,
) -> Result<Value, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Ext(ext) if &*ext.type_name == name => Ok(ext.data),
        Value::Ext(ext) => Err(serde::de::Error::custom(format_args!(
            "expected a {name} object, got a {} object",
            ext.type_name
        ))),
        plain => Ok(plain),
    }
}
