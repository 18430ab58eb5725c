//! [`Value`] -> Rust values, through serde.
//!
//! A [`Value`] is itself a serde `Deserializer`, so typed code decodes arguments with
//! [`from_value`]. An [`Extension`] is transparent to ordinary targets (a date parameter accepts
//! an Arrow date) and kept whole for targets that ask for it (a `Value`, an extension wrapper).

use std::fmt;
use std::sync::Arc;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde::Deserialize;

use super::ser::service_ref_from_parts;
use super::{
    BigInt, Extension, Home, ServiceRef, Value, BIG_INT_TOKEN, EXTENSION_TOKEN, SERVICE_REF_TOKEN,
};
use crate::Error;

/// Converts a [`Value`] into any deserializable type.
///
/// ```
/// use aiomas::Value;
/// let v = Value::List(vec![Value::from(1), Value::from(2.5)]);
/// let (a, b): (u8, f64) = aiomas::from_value(v).unwrap();
/// assert_eq!((a, b), (1, 2.5));
///
/// let err = aiomas::from_value::<u8>(Value::from(-1)).unwrap_err();
/// assert!(err.to_string().contains("-1"));
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::Deserialization(msg.to_string())
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl<'de> Deserialize<'de> for ServiceRef {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<ServiceRef, D::Error> {
        struct RefVisitor;
        impl<'de> Visitor<'de> for RefVisitor {
            type Value = ServiceRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service reference")
            }
            fn visit_newtype_struct<D: de::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<ServiceRef, D::Error> {
                let (path, kind, id): (String, u8, u64) = Deserialize::deserialize(d)?;
                service_ref_from_parts(path, kind, id).map_err(de::Error::custom)
            }
        }
        d.deserialize_newtype_struct(SERVICE_REF_TOKEN, RefVisitor)
    }
}

/// The `visit_*` methods of a [`Visitor`] producing a [`Value`] that map each primitive to its
/// variant. Shared by [`ValueVisitor`] and the codecs' wire decoder, which differ only in how
/// they build lists and maps.
macro_rules! visit_primitives {
    () => {
        fn visit_bool<E>(self, v: bool) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Int(v))
        }
        fn visit_u64<E>(self, v: u64) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::from(v))
        }
        fn visit_i128<E>(self, v: i128) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::from(v))
        }
        fn visit_u128<E>(self, v: u128) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::from(v))
        }
        fn visit_f64<E>(self, v: f64) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Float(v))
        }
        fn visit_str<E>(self, v: &str) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Str(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Str(v))
        }
        fn visit_bytes<E>(self, v: &[u8]) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Bytes(v.to_vec()))
        }
        fn visit_byte_buf<E>(self, v: Vec<u8>) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Bytes(v))
        }
        fn visit_none<E>(self) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Nil)
        }
        fn visit_unit<E>(self) -> ::core::result::Result<$crate::Value, E> {
            Ok($crate::Value::Nil)
        }
    };
}
pub(crate) use visit_primitives;

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }
    visit_primitives!();
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(key) = map.next_key::<Value>()? {
            // Only our own Value deserializer emits these keys (see `deserialize_any`); the
            // codecs refuse them on the wire, so a peer cannot forge a service reference.
            if entries.is_empty() {
                match key.as_str() {
                    Some(EXTENSION_TOKEN) => {
                        let (type_name, data): (String, Value) = map.next_value()?;
                        let type_name = Arc::from(type_name);
                        return Ok(Value::Ext(Box::new(Extension { type_name, data })));
                    }
                    Some(SERVICE_REF_TOKEN) => {
                        let (path, kind, id): (String, u8, u64) = map.next_value()?;
                        return service_ref_from_parts(path, kind, id)
                            .map(Value::from)
                            .map_err(de::Error::custom);
                    }
                    Some(BIG_INT_TOKEN) => {
                        let digits: String = map.next_value()?;
                        return digits
                            .parse::<BigInt>()
                            .map(Value::from)
                            .map_err(de::Error::custom);
                    }
                    _ => {}
                }
            }
            entries.push((key, map.next_value()?));
        }
        Ok(Value::Map(entries))
    }
}

impl Value {
    fn unexpected(&self) -> Unexpected<'_> {
        match self {
            Value::Nil => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Int(i) => Unexpected::Signed(*i),
            Value::UInt(u) => Unexpected::Unsigned(*u),
            Value::BigInt(_) => Unexpected::Other("integer beyond 64 bits"),
            Value::Float(f) => Unexpected::Float(*f),
            Value::Str(s) => Unexpected::Str(s),
            Value::Bytes(b) => Unexpected::Bytes(b),
            Value::List(_) => Unexpected::Seq,
            Value::Map(_) => Unexpected::Map,
            Value::Ext(_) => Unexpected::Other("extension object"),
            Value::Service(_) => Unexpected::Other("service reference"),
        }
    }

    /// Extensions are transparent to targets that did not ask for one.
    fn unwrap_extension(self) -> Value {
        self.into_data()
    }

    fn into_parts_list(self) -> Option<Value> {
        match self {
            Value::Ext(ext) => Some(Value::List(vec![
                Value::Str(ext.type_name.to_string()),
                ext.data,
            ])),
            Value::Service(r) => {
                let r = *r;
                let (kind, id) = match r.home {
                    Home::Connection(id) => (0, id),
                    Home::Local(id) => (1, id),
                };
                Some(Value::List(vec![
                    Value::Str(r.path),
                    Value::Int(kind),
                    Value::from(id),
                ]))
            }
            _ => None,
        }
    }
}

macro_rules! forward_unwrapped_to_any {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.unwrap_extension().deserialize_any(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Nil => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::UInt(u) => visitor.visit_u64(u),
            Value::BigInt(b) => visit_big_int(b, visitor),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::List(items) => visit_list(items, visitor),
            Value::Map(entries) => visit_entries(entries, visitor),
            Value::Ext(_) => {
                let parts = self.into_parts_list().unwrap_or_default();
                visit_entries(vec![(Value::from(EXTENSION_TOKEN), parts)], visitor)
            }
            Value::Service(_) => {
                let parts = self.into_parts_list().unwrap_or_default();
                visit_entries(vec![(Value::from(SERVICE_REF_TOKEN), parts)], visitor)
            }
        }
    }

    forward_unwrapped_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_char deserialize_str
        deserialize_string deserialize_map deserialize_identifier
    }

    /// Python `bytes` fill a sequence of `u8` (a `Vec<u8>` parameter), one byte each, without
    /// a `Value` per byte.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.unwrap_extension() {
            Value::Bytes(bytes) => visit_list(bytes, visitor),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.unwrap_extension() {
            // Any integer converts to a float, as in Python.
            Value::BigInt(b) => visitor.visit_f64(b.to_f64()),
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unwrap_extension().deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.unwrap_extension().deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.unwrap_extension() {
            Value::Nil => visitor.visit_unit(),
            other => Err(de::Error::invalid_type(other.unexpected(), &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let wanted_kind = match name {
            EXTENSION_TOKEN => Some(matches!(self, Value::Ext(_))),
            SERVICE_REF_TOKEN => Some(matches!(self, Value::Service(_))),
            _ => None,
        };
        match wanted_kind {
            Some(true) => visitor.visit_newtype_struct(self.into_parts_list().unwrap_or_default()),
            Some(false) => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
            None => visitor.visit_newtype_struct(self.unwrap_extension()),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.unwrap_extension().deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.unwrap_extension().deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.unwrap_extension() {
            Value::Str(variant) => visitor.visit_enum(EnumDeserializer {
                variant,
                value: None,
            }),
            Value::Map(entries) if entries.len() == 1 => {
                let (key, value) = entries.into_iter().next().unwrap_or_default();
                match key {
                    Value::Str(variant) => visitor.visit_enum(EnumDeserializer {
                        variant,
                        value: Some(value),
                    }),
                    other => Err(de::Error::invalid_type(
                        other.unexpected(),
                        &"a variant name",
                    )),
                }
            }
            other => Err(de::Error::invalid_type(
                other.unexpected(),
                &"a string or a single-entry map",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl IntoDeserializer<'_, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

/// As `i128`/`u128` where it fits (serde's integer targets range-check those), beyond that as
/// the reserved single-entry map that a `Value` target turns back into a `BigInt`.
fn visit_big_int<'de, V: Visitor<'de>>(b: BigInt, visitor: V) -> Result<V::Value, Error> {
    if let Some(i) = b.to_i128() {
        visitor.visit_i128(i)
    } else if let Some(u) = b.to_u128() {
        visitor.visit_u128(u)
    } else {
        let digits = Value::Str(b.as_str().to_owned());
        visit_entries(vec![(Value::from(BIG_INT_TOKEN), digits)], visitor)
    }
}

impl<'de> Deserialize<'de> for BigInt {
    /// Accepts any integer.
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<BigInt, D::Error> {
        match Value::deserialize(d)? {
            Value::Int(i) => Ok(BigInt::from(i128::from(i))),
            Value::UInt(u) => Ok(BigInt::from(u128::from(u))),
            Value::BigInt(b) => Ok(b),
            other => Err(de::Error::invalid_type(other.unexpected(), &"an integer")),
        }
    }
}

/// Visits `items` (values, or the bytes of a byte string) as a sequence that must be used up.
fn visit_list<'de, T, V>(items: Vec<T>, visitor: V) -> Result<V::Value, Error>
where
    T: IntoDeserializer<'de, Error>,
    V: Visitor<'de>,
{
    let len = items.len();
    let mut seq = SeqDeserializer {
        iter: items.into_iter(),
    };
    let result = visitor.visit_seq(&mut seq)?;
    match seq.iter.len() {
        0 => Ok(result),
        left => Err(list_not_used_up(len, len - left)),
    }
}

/// The error of a list of `len` items whose visitor took only `taken`: every deserializer that
/// reads `Value`'s lists (the tape, the direct JSON and MsgPack paths) says it in these words.
pub(crate) fn list_not_used_up(len: usize, taken: usize) -> Error {
    de::Error::invalid_length(len, &format!("{taken} elements").as_str())
}

fn visit_entries<'de, V: Visitor<'de>>(
    entries: Vec<(Value, Value)>,
    visitor: V,
) -> Result<V::Value, Error> {
    let mut map = MapDeserializer {
        iter: entries.into_iter(),
        value: None,
    };
    visitor.visit_map(&mut map)
}

struct SeqDeserializer<T> {
    iter: std::vec::IntoIter<T>,
}

impl<'de, I: IntoDeserializer<'de, Error>> SeqAccess<'de> for SeqDeserializer<I> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.iter
            .next()
            .map(|v| seed.deserialize(v.into_deserializer()))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDeserializer {
    iter: std::vec::IntoIter<(Value, Value)>,
    value: Option<Value>,
}

impl<'de> MapAccess<'de> for MapDeserializer {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| Error::Deserialization("map value without key".into()))?;
        seed.deserialize(value)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct EnumDeserializer {
    variant: String,
    value: Option<Value>,
}

impl<'de> EnumAccess<'de> for EnumDeserializer {
    type Error = Error;
    type Variant = VariantDeserializer;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDeserializer), Error> {
        let variant = seed.deserialize(Value::Str(self.variant))?;
        Ok((variant, VariantDeserializer { value: self.value }))
    }
}

struct VariantDeserializer {
    value: Option<Value>,
}

impl<'de> VariantAccess<'de> for VariantDeserializer {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            None | Some(Value::Nil) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(
                other.unexpected(),
                &"a unit variant",
            )),
        }
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.value.unwrap_or_default())
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self.value.unwrap_or_default(), visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_any(self.value.unwrap_or_default(), visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{to_value, Bytes};
    use serde::Serialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Shape {
        Dot,
        Circle(f64),
        Rect { w: u32, h: u32 },
        Pair(i8, i8),
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Scene {
        name: String,
        shapes: Vec<Shape>,
        tag: Option<String>,
        raw: Value,
    }

    #[test]
    fn structs_and_enums_round_trip() {
        let scene = Scene {
            name: "s".into(),
            shapes: vec![
                Shape::Dot,
                Shape::Circle(1.5),
                Shape::Rect { w: 2, h: 3 },
                Shape::Pair(-1, 1),
            ],
            tag: None,
            raw: Value::Bytes(vec![0, 255]),
        };
        let value = to_value(&scene).unwrap();
        assert_eq!(
            value.get("shapes").unwrap().as_list().unwrap()[0],
            Value::from("Dot")
        );
        assert_eq!(from_value::<Scene>(value).unwrap(), scene);
    }

    #[test]
    fn extensions_survive_values_and_unwrap_for_plain_targets() {
        let ext = Value::Ext(Box::new(Extension {
            type_name: Arc::from("arrow"),
            data: "2016-01-01".into(),
        }));
        let nested = Value::List(vec![ext.clone()]);
        assert_eq!(from_value::<Value>(nested.clone()).unwrap(), nested);
        assert_eq!(
            from_value::<Vec<String>>(nested).unwrap(),
            vec!["2016-01-01".to_owned()]
        );
        assert_eq!(to_value(&ext).unwrap(), ext);
    }

    #[test]
    fn service_refs_survive_values() {
        let r = Value::from(ServiceRef {
            path: "agents/3".into(),
            home: Home::Connection(7),
        });
        assert_eq!(
            from_value::<Value>(Value::List(vec![r.clone()])).unwrap(),
            Value::List(vec![r.clone()])
        );
        assert_eq!(to_value(&vec![r.clone()]).unwrap(), Value::List(vec![r]));
    }

    #[test]
    fn integers_cover_i64_and_u64() {
        assert_eq!(to_value(&u64::MAX).unwrap(), Value::UInt(u64::MAX));
        assert_eq!(to_value(&(i64::MAX as u64)).unwrap(), Value::Int(i64::MAX));
        assert_eq!(from_value::<u64>(Value::UInt(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(from_value::<f64>(Value::Int(3)).unwrap(), 3.0);
        assert!(from_value::<u32>(Value::Int(-1)).is_err());
    }

    #[test]
    fn integers_beyond_64_bits_survive_i128_u128_and_values() {
        let big = |digits: &str| Value::BigInt(digits.parse().unwrap());
        for v in [
            i128::MIN,
            i128::from(i64::MIN) - 1,
            -(1 << 100),
            1 << 64,
            i128::MAX,
        ] {
            let value = to_value(&v).unwrap();
            assert_eq!(value, big(&v.to_string()), "{v}");
            assert_eq!(from_value::<i128>(value.clone()).unwrap(), v);
            assert_eq!(from_value::<Value>(value.clone()).unwrap(), value);
            assert_eq!(value.as_i128(), Some(v));
        }
        assert_eq!(to_value(&u128::MAX).unwrap(), big(&u128::MAX.to_string()));
        assert_eq!(
            from_value::<u128>(to_value(&u128::MAX).unwrap()).unwrap(),
            u128::MAX
        );
        // Values that fit into 64 bits stay Int/UInt, whatever type they came from.
        assert_eq!(to_value(&5u128).unwrap(), Value::Int(5));
        assert_eq!(
            to_value(&(u64::MAX as i128)).unwrap(),
            Value::UInt(u64::MAX)
        );
        assert_eq!(from_value::<i128>(Value::Int(-5)).unwrap(), -5);
        // Out of range for the target is an error naming the value, not a wrapped number.
        let err = from_value::<u64>(big("18446744073709551616")).unwrap_err();
        assert!(err.to_string().contains("18446744073709551616"), "{err}");
        assert!(from_value::<i128>(to_value(&u128::MAX).unwrap()).is_err());
        // Beyond 128 bits, a Value keeps the digits exactly (through serde as well).
        let huge = big("-1000000000000000000000000000000000000000000000000000");
        assert_eq!(from_value::<Value>(huge.clone()).unwrap(), huge);
        assert_eq!(to_value(&huge).unwrap(), huge);
        assert_eq!(
            from_value::<BigInt>(huge.clone()).unwrap().as_str(),
            huge.to_string()
        );
        assert_eq!(from_value::<f64>(huge.clone()).unwrap(), -1e51);
        assert_eq!(huge.type_name(), "int");
        assert_eq!(Value::from(BigInt::from(7i128)), Value::Int(7));
        assert!(from_value::<Vec<i64>>(Value::List(vec![huge])).is_err());
    }

    #[test]
    fn python_bytes_fill_byte_sequences_and_byte_buffers() {
        let bytes = || Value::Bytes(vec![1, 2, 255]);
        assert_eq!(from_value::<Vec<u8>>(bytes()).unwrap(), [1, 2, 255]);
        assert_eq!(from_value::<[u8; 3]>(bytes()).unwrap(), [1, 2, 255]);
        assert_eq!(from_value::<(u8, u8, u8)>(bytes()).unwrap(), (1, 2, 255));
        assert!(from_value::<[u8; 2]>(bytes()).is_err());
        assert!(from_value::<Vec<i8>>(bytes()).is_err(), "255 is no i8");
        assert_eq!(&*from_value::<Bytes>(bytes()).unwrap(), &[1, 2, 255]);
        // A list of ints (a tuple from Python, or JSON) fills a byte buffer too.
        let ints = Value::List(vec![1.into(), 2.into()]);
        assert_eq!(&*from_value::<Bytes>(ints).unwrap(), &[1, 2]);
        assert_eq!(
            to_value(&Bytes::from(vec![7])).unwrap(),
            Value::Bytes(vec![7])
        );
    }

    #[test]
    fn tuple_length_mismatch_is_an_error() {
        let err =
            from_value::<(i32, i32)>(Value::List(vec![1.into(), 2.into(), 3.into()])).unwrap_err();
        assert!(matches!(err, Error::Deserialization(_)), "{err}");
    }
}
