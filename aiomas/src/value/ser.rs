//! Rust values -> [`Value`], through serde.
//!
//! Structs become maps with their field names (Python receives dicts), unit variants become
//! strings and other variants single-entry maps, as in serde_json. Two reserved newtype-struct
//! names carry [`Extension`]s and [`ServiceRef`]s through serde untouched.

use std::sync::Arc;

use serde::ser::{self, Serialize};

use super::{
    BigInt, Extension, Home, ServiceRef, Value, BIG_INT_TOKEN, EXTENSION_TOKEN, SERVICE_REF_TOKEN,
};
use crate::Error;

/// Converts any serializable value into a [`Value`].
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// let v = aiomas::to_value(&Point { x: 1, y: -2 }).unwrap();
/// assert_eq!(v.get("y"), Some(&aiomas::Value::Int(-2)));
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Serialization(msg.to_string())
    }
}

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::BigInt(b) => b.serialize(s),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Ext(ext) => {
                s.serialize_newtype_struct(EXTENSION_TOKEN, &(&*ext.type_name, &ext.data))
            }
            Value::Service(r) => r.serialize(s),
        }
    }
}

/// As `i128`/`u128` where it fits (serde_json and most formats write those as numbers), and
/// beyond 128 bits as a reserved newtype struct around the digits, which [`to_value`] turns
/// back into a `BigInt` (other formats see the digits as a string).
impl Serialize for BigInt {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(i) = self.to_i128() {
            s.serialize_i128(i)
        } else if let Some(u) = self.to_u128() {
            s.serialize_u128(u)
        } else {
            s.serialize_newtype_struct(BIG_INT_TOKEN, self.as_str())
        }
    }
}

impl Serialize for ServiceRef {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (kind, id) = match self.home {
            Home::Connection(id) => (0u8, id),
            Home::Local(id) => (1u8, id),
        };
        s.serialize_newtype_struct(SERVICE_REF_TOKEN, &(&self.path, kind, id))
    }
}

pub(crate) fn service_ref_from_parts(path: String, kind: u8, id: u64) -> Result<ServiceRef, Error> {
    let home = match kind {
        0 => Home::Connection(id),
        1 => Home::Local(id),
        _ => {
            return Err(Error::Deserialization(format!(
                "bad service reference kind {kind}"
            )))
        }
    };
    Ok(ServiceRef { path, home })
}

/// A service reference from the parts `[path, kind, id]` its `Serialize` writes, as a value.
pub(crate) fn service_ref_from_value(parts: Value) -> Result<ServiceRef, Error> {
    let malformed = || Error::Serialization("malformed service reference".into());
    let Value::List(parts) = parts else {
        return Err(malformed());
    };
    let Ok([Value::Str(path), kind, id]) = <[Value; 3]>::try_from(parts) else {
        return Err(malformed());
    };
    let kind = kind
        .as_u64()
        .and_then(|k| u8::try_from(k).ok())
        .unwrap_or(u8::MAX);
    service_ref_from_parts(path, kind, id.as_u64().unwrap_or_default())
}

/// The serializer behind [`to_value`].
pub(super) struct ValueSerializer;

fn single_entry(key: &str, value: Value) -> Value {
    Value::Map(vec![(Value::Str(key.to_owned()), value)])
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        Ok(Value::from(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, Error> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        let inner = v.serialize(self)?;
        match name {
            EXTENSION_TOKEN => match inner {
                Value::List(parts) => match <[Value; 2]>::try_from(parts) {
                    Ok([Value::Str(type_name), data]) => Ok(Value::Ext(Box::new(Extension {
                        type_name: Arc::from(type_name),
                        data,
                    }))),
                    _ => Err(Error::Serialization("malformed extension value".into())),
                },
                _ => Err(Error::Serialization("malformed extension value".into())),
            },
            SERVICE_REF_TOKEN => Ok(Value::from(service_ref_from_value(inner)?)),
            BIG_INT_TOKEN => match inner {
                Value::Str(digits) => digits
                    .parse::<BigInt>()
                    .map(Value::from)
                    .map_err(|_| Error::Serialization(format!("malformed big integer {digits:?}"))),
                _ => Err(Error::Serialization("malformed big integer".into())),
            },
            _ => Ok(inner),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        Ok(single_entry(variant, v.serialize(self)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            variant: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len),
            key: None,
            variant: Some(variant),
        })
    }
}

/// Collects the items of a sequence, tuple or tuple variant.
pub(super) struct SeqBuilder {
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.items.push(v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn finish(self) -> Value {
        let list = Value::List(self.items);
        match self.variant {
            Some(variant) => single_entry(variant, list),
            None => list,
        }
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

/// Collects the entries of a map, struct or struct variant.
pub(super) struct MapBuilder {
    entries: Vec<(Value, Value)>,
    key: Option<Value>,
    variant: Option<&'static str>,
}

impl MapBuilder {
    fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), Error> {
        self.entries
            .push((Value::Str(name.to_owned()), v.serialize(ValueSerializer)?));
        Ok(())
    }
    fn finish(self) -> Value {
        let map = Value::Map(self.entries);
        match self.variant {
            Some(variant) => single_entry(variant, map),
            None => map,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.key = Some(k.serialize(ValueSerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error::Serialization("map value without key".into()))?;
        self.entries.push((key, v.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(name, v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.field(name, v)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(self.finish())
    }
}
