//! The decoding half shared by the JSON and MsgPack codecs: a serde seed that builds a
//! [`Value`], resolves `{"__type__": [typeid, data]}` wrappers through the connection's
//! [`Serializers`](super::Serializers), and bounds the nesting depth.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{check_depth, Slot, WireFormat};
use crate::value::{
    visit_primitives, Extension, Home, ServiceRef, Value, EXTENSION_TOKEN, SERVICE_REF_TOKEN,
};

/// The key that marks an extra-serializer wrapper, as in Python.
const TYPE_KEY: &str = "__type__";

/// Upper bound for preallocation: a length prefix from the wire is a claim, not a fact.
const MAX_PREALLOCATED_ITEMS: usize = 1024;

/// Decodes one value at `depth` of nesting.
#[derive(Clone, Copy)]
pub(super) struct DecodeSeed<'a> {
    pub(super) format: &'a WireFormat,
    pub(super) depth: usize,
}

impl DecodeSeed<'_> {
    fn nested(self) -> Self {
        DecodeSeed {
            depth: self.depth + 1,
            ..self
        }
    }

    fn check_depth<E: de::Error>(self) -> Result<(), E> {
        check_depth(self.depth).map_err(E::custom)
    }

    fn resolve_wrapper<E: de::Error>(self, wrapper: Value) -> Result<Value, E> {
        let parts = match wrapper {
            Value::List(parts) => <[Value; 2]>::try_from(parts).ok(),
            _ => None,
        };
        let Some([typeid, data]) = parts else {
            return Err(E::custom("__type__ must be a pair [typeid, data]"));
        };
        let typeid = typeid
            .as_u64()
            .ok_or_else(|| E::custom(format_args!("invalid typeid {typeid}")))?;
        match self.format.serializers.slot(typeid) {
            Some(Slot::Named(type_name)) => Ok(Value::Ext(Box::new(Extension {
                type_name: type_name.clone(),
                data,
            }))),
            Some(Slot::ServiceRef) => match data {
                Value::Str(path) => Ok(Value::Service(ServiceRef {
                    path,
                    home: Home::Connection(self.format.connection_id),
                })),
                other => Err(E::custom(format_args!(
                    "a service reference must be a path, got {other}"
                ))),
            },
            None => Err(E::custom(format_args!(
                "no deserializer registered for typeid {typeid}"
            ))),
        }
    }
}

impl<'de> DeserializeSeed<'de> for DecodeSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DecodeSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an aiomas message value")
    }
    visit_primitives!();
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.check_depth()?;
        let capacity = seq.size_hint().unwrap_or(0).min(MAX_PREALLOCATED_ITEMS);
        let mut items = Vec::with_capacity(capacity);
        while let Some(item) = seq.next_element_seed(self.nested())? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.check_depth()?;
        let capacity = map.size_hint().unwrap_or(0).min(MAX_PREALLOCATED_ITEMS);
        let mut entries: Vec<(Value, Value)> = Vec::with_capacity(capacity);
        let mut wrapper = None;
        while let Some(key) = map.next_key_seed(self.nested())? {
            let value = map.next_value_seed(self.nested())?;
            match key.as_str() {
                Some(TYPE_KEY) => wrapper = Some(value),
                Some(EXTENSION_TOKEN | SERVICE_REF_TOKEN) => {
                    return Err(de::Error::custom(format_args!(
                        "reserved key {key} in a map"
                    )));
                }
                _ => entries.push((key, value)),
            }
        }
        // Python treats any dict holding "__type__" as a wrapper and ignores its other keys.
        match wrapper {
            Some(wrapper) => self.resolve_wrapper(wrapper),
            None => Ok(Value::Map(entries)),
        }
    }
}
