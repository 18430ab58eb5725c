//! About how many bytes a message encodes to, from a walk over anything serde can serialize
//! (a [`Value`](crate::Value) or a typed call's arguments and result alike) that stops as soon
//! as a budget is spent.
//!
//! It sizes frames before encoding (a large payload then never reallocates, which would copy
//! it and leave its buffer at up to twice its size) and tells small messages from large ones
//! (encoded on a blocking thread). Each element costs at least one byte of the budget, so the
//! walk takes at most as many steps as the budget has bytes.

use std::fmt;

use serde::ser::{self, Serialize};

/// Containers deeper than this are not walked: the message counts as over any budget (its
/// encoding, on a blocking thread, refuses what is too deep).
const ESTIMATE_DEPTH: usize = 32;

/// The estimated encoded size of `content`, or `None` if it exceeds `budget` (or is too
/// deep to walk).
pub(super) fn estimate<C: Serialize + ?Sized>(content: &C, budget: usize) -> Option<usize> {
    let mut walk = Walk {
        left: budget,
        depth: 0,
    };
    content.serialize(&mut walk).ok()?;
    Some(budget - walk.left)
}

struct Walk {
    left: usize,
    depth: usize,
}

/// The budget is spent (or the value too deep): the walk stops.
#[derive(Debug)]
struct Spent;

impl fmt::Display for Spent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("over the estimate's budget")
    }
}

impl std::error::Error for Spent {}

impl ser::Error for Spent {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Spent
    }
}

impl Walk {
    fn take(&mut self, bytes: usize) -> Result<(), Spent> {
        self.left = self.left.checked_sub(bytes).ok_or(Spent)?;
        Ok(())
    }

    /// Enters a container (list, map, struct) whose header is about `header` bytes.
    fn enter(&mut self, header: usize) -> Result<&mut Self, Spent> {
        self.take(header)?;
        if self.depth >= ESTIMATE_DEPTH {
            return Err(Spent);
        }
        self.depth += 1;
        Ok(self)
    }

    fn leave(&mut self) -> Result<(), Spent> {
        self.depth -= 1;
        Ok(())
    }
}

/// A number: at most 9 bytes in MsgPack; JSON digits are about as many.
const NUMBER: usize = 9;
/// A length header, with JSON's quotes and separators.
const HEADER: usize = 5;

macro_rules! numbers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, _: $ty) -> Result<(), Spent> { self.take(NUMBER) })*
    };
}

impl<'w> ser::Serializer for &'w mut Walk {
    type Ok = ();
    type Error = Spent;
    type SerializeSeq = &'w mut Walk;
    type SerializeTuple = &'w mut Walk;
    type SerializeTupleStruct = &'w mut Walk;
    type SerializeTupleVariant = &'w mut Walk;
    type SerializeMap = &'w mut Walk;
    type SerializeStruct = &'w mut Walk;
    type SerializeStructVariant = &'w mut Walk;

    numbers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64);

    fn serialize_i128(self, _: i128) -> Result<(), Spent> {
        self.take(40)
    }
    fn serialize_u128(self, _: u128) -> Result<(), Spent> {
        self.take(40)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Spent> {
        self.take(1)
    }
    fn serialize_char(self, _: char) -> Result<(), Spent> {
        self.take(HEADER)
    }
    fn serialize_str(self, text: &str) -> Result<(), Spent> {
        self.take(text.len() + HEADER)
    }
    fn serialize_bytes(self, bytes: &[u8]) -> Result<(), Spent> {
        self.take(bytes.len() + HEADER)
    }
    fn serialize_none(self) -> Result<(), Spent> {
        self.take(1)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Spent> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Spent> {
        self.take(1)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Spent> {
        self.take(1)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
    ) -> Result<(), Spent> {
        self.take(name.len() + HEADER)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Spent> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        value: &T,
    ) -> Result<(), Spent> {
        self.enter(name.len() + 2 * HEADER)?;
        value.serialize(&mut *self)?;
        self.leave()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Spent> {
        self.enter(HEADER)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Spent> {
        self.enter(HEADER)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Spent> {
        self.enter(HEADER)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<Self, Spent> {
        self.enter(name.len() + 2 * HEADER)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Spent> {
        self.enter(HEADER)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Spent> {
        self.enter(HEADER)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<Self, Spent> {
        self.enter(name.len() + 2 * HEADER)
    }
}

/// The elements of every kind of container cost what they serialize to.
macro_rules! containers {
    ($($kind:ident :: $method:ident),*) => {$(
        impl ser::$kind for &mut Walk {
            type Ok = ();
            type Error = Spent;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Spent> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Spent> {
                self.leave()
            }
        }
    )*};
}

containers!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for &mut Walk {
    type Ok = ();
    type Error = Spent;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Spent> {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Spent> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Spent> {
        self.leave()
    }
}

/// Struct fields travel as map entries keyed by their names (Python receives dicts).
macro_rules! structs {
    ($($kind:ident),*) => {$(
        impl ser::$kind for &mut Walk {
            type Ok = ();
            type Error = Spent;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Spent> {
                self.take(name.len() + HEADER)?;
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Spent> {
                self.leave()
            }
        }
    )*};
}

structs!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::estimate;
    use crate::Value;

    #[test]
    fn the_estimate_stops_at_its_budget() {
        let small = Value::List(vec![
            Value::from("add"),
            Value::List(vec![1.into(), 2.into()]),
        ]);
        assert!(estimate(&small, 100).is_some());
        assert!(estimate(&Value::Str("x".repeat(60)), 100).is_some());
        assert!(estimate(&Value::Str("x".repeat(200)), 100).is_none());
        let bytes = aiomas_bytes(1_000);
        let size = estimate(&bytes, 10_000).unwrap();
        assert!((1_000..1_100).contains(&size), "{size}");
        // Many small elements add up; the walk stops at the budget.
        assert!(estimate(&Value::List(vec![Value::Int(0); 10_000_000]), 65_536).is_none());
        let mut deep = Value::Nil;
        for _ in 0..100 {
            deep = Value::List(vec![deep]);
        }
        assert!(estimate(&deep, usize::MAX).is_none(), "too deep to walk");
    }

    fn aiomas_bytes(len: usize) -> crate::Bytes {
        crate::Bytes::from(vec![0; len])
    }
}
