//! A [`Value`] tree laid out flat: what an in-process call copies its arguments and result into.
//!
//! Writing a value into a [`Tape`] and reading a type back gives exactly what [`to_value`]
//! followed by [`from_value`] gives (the same values, the same errors with the same texts), but
//! without a heap node per list, map and string: nodes go into one vector in pre-order, strings
//! (struct field names included) into one text buffer, and both buffers are reused across calls.
//! What is rare or special (extension objects, service references, bytes, big integers) is kept
//! as the `Value` that `to_value` makes of it, and read back by `Value`'s own deserializer; so is
//! any node read in a way the fast paths below do not cover.
//!
//! [`from_value`]: super::from_value

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Serialize, Serializer};

use super::ser::ValueSerializer;
use super::{Value, EXTENSION_TOKEN, SERVICE_REF_TOKEN};
use crate::Error;

/// One node of a tape; a list or map is followed by its items (a map's as key, value, ...).
#[derive(Debug)]
enum Node {
    /// `None`, a bool, an integer of 64 bits or a float: read without a `Value`.
    Scalar(Scalar),
    /// Any other value without items, as `to_value` makes it (never a string, list or map).
    Leaf(Value),
    /// A string: `text[start..end]`.
    Str { start: usize, end: usize },
    /// A struct's field name or an enum's variant name: a string the type itself holds.
    Name(&'static str),
    /// A list of `len` items; `end` is the index after its last item's subtree.
    List { len: usize, end: usize },
    /// A map of `len` entries; `end` as for lists.
    Map { len: usize, end: usize },
}

/// The values that are read straight from the tape, as `Value`'s deserializer reads them.
#[derive(Debug, Clone, Copy)]
enum Scalar {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl Scalar {
    fn of(value: &Value) -> Option<Scalar> {
        Some(match *value {
            Value::Nil => Scalar::Nil,
            Value::Bool(b) => Scalar::Bool(b),
            Value::Int(i) => Scalar::Int(i),
            Value::UInt(u) => Scalar::UInt(u),
            Value::Float(f) => Scalar::Float(f),
            _ => return None,
        })
    }

    fn value(self) -> Value {
        match self {
            Scalar::Nil => Value::Nil,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::UInt(u) => Value::UInt(u),
            Scalar::Float(f) => Value::Float(f),
        }
    }

    /// What `Value`'s `deserialize_any` (and every target that forwards to it) does.
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Scalar::Nil => visitor.visit_unit(),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::Int(i) => visitor.visit_i64(i),
            Scalar::UInt(u) => visitor.visit_u64(u),
            Scalar::Float(f) => visitor.visit_f64(f),
        }
    }
}

/// Tapes kept for reuse per thread, and the largest buffers worth keeping (anchor: a typical
/// call's arguments take a few dozen nodes and bytes; bigger ones are rare and freed).
const SPARE_TAPES: usize = 4;
const SPARE_NODES: usize = 1024;
const SPARE_TEXT: usize = 16 * 1024;

thread_local! {
    static SPARE: RefCell<Vec<(Vec<Node>, String)>> = const { RefCell::new(Vec::new()) };
}

/// Values written flat, in order; each top-level value is an item (a call's arguments, or one
/// result).
pub(crate) struct Tape {
    nodes: Vec<Node>,
    text: String,
}

impl fmt::Debug for Tape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tape({} nodes)", self.nodes.len())
    }
}

impl Tape {
    /// An empty tape, on buffers a dropped tape of this thread left behind where there is one.
    pub(crate) fn new() -> Tape {
        let (nodes, text) = SPARE
            .try_with(|spare| spare.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        Tape { nodes, text }
    }

    /// A tape holding `value` as its one item.
    pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> Result<Tape, Error> {
        let mut tape = Tape::new();
        tape.push(value)?;
        Ok(tape)
    }

    /// Appends `value` as the next item.
    pub(crate) fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self)
    }

    /// The items, read one after the other.
    pub(crate) fn into_items(self) -> Items {
        Items {
            tape: self,
            next: 0,
        }
    }

    /// Decodes the item at `at` into `T`.
    fn decode_at<T: DeserializeOwned>(&mut self, at: usize) -> Result<T, Error> {
        T::deserialize(&mut Reader {
            tape: self,
            pos: at,
        })
    }

    /// The first item as a value.
    pub(crate) fn into_value(mut self) -> Value {
        match self.nodes.is_empty() {
            true => Value::Nil,
            false => Reader {
                tape: &mut self,
                pos: 0,
            }
            .materialize(),
        }
    }

    /// A copy of the first item as a value (the tape keeps it).
    pub(crate) fn to_value(&self) -> Value {
        fn copy(tape: &Tape, at: &mut usize) -> Value {
            let node = &tape.nodes[*at];
            *at += 1;
            match node {
                Node::Scalar(scalar) => scalar.value(),
                Node::Leaf(value) => value.clone(),
                Node::Str { start, end } => Value::Str(tape.text[*start..*end].to_owned()),
                Node::Name(name) => Value::Str((*name).to_owned()),
                Node::List { len, .. } => Value::List((0..*len).map(|_| copy(tape, at)).collect()),
                Node::Map { len, .. } => {
                    let entries = (0..*len).map(|_| (copy(tape, at), copy(tape, at)));
                    Value::Map(entries.collect())
                }
            }
        }
        match self.nodes.is_empty() {
            true => Value::Nil,
            false => copy(self, &mut 0),
        }
    }

    /// The first item decoded into `T`.
    pub(crate) fn decode<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        self.decode_at(0)
    }

    fn end_of(&self, at: usize) -> usize {
        match self.nodes[at] {
            Node::Scalar(_) | Node::Leaf(_) | Node::Str { .. } | Node::Name(_) => at + 1,
            Node::List { end, .. } | Node::Map { end, .. } => end,
        }
    }

    fn leaf(&mut self, value: Value) {
        self.nodes.push(match Scalar::of(&value) {
            Some(scalar) => Node::Scalar(scalar),
            None => Node::Leaf(value),
        });
    }

    fn str(&mut self, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.nodes.push(Node::Str {
            start,
            end: self.text.len(),
        });
    }

    /// Opens a list (`map: false`) or map; [`Open::close`] fills in its length and end.
    fn open(&mut self, map: bool, outer: Option<usize>) -> Open<'_> {
        let at = self.nodes.len();
        let (len, end) = (0, 0);
        self.nodes.push(match map {
            false => Node::List { len, end },
            true => Node::Map { len, end },
        });
        Open {
            tape: self,
            at,
            len: 0,
            outer,
        }
    }

    /// Opens the single-entry map `{variant: ...}` that `to_value` makes of an enum variant;
    /// returns its index, closed by [`close_at`](Self::close_at).
    fn open_variant(&mut self, variant: &'static str) -> usize {
        let at = self.nodes.len();
        self.nodes.push(Node::Map { len: 1, end: 0 });
        self.nodes.push(Node::Name(variant));
        at
    }

    fn close_at(&mut self, at: usize, items: usize) {
        let end = self.nodes.len();
        match &mut self.nodes[at] {
            Node::List { len, end: e } | Node::Map { len, end: e } => {
                *len = items;
                *e = end;
            }
            Node::Scalar(_) | Node::Leaf(_) | Node::Str { .. } | Node::Name(_) => {}
        }
    }
}

impl Drop for Tape {
    fn drop(&mut self) {
        if self.nodes.capacity() > SPARE_NODES || self.text.capacity() > SPARE_TEXT {
            return;
        }
        let mut nodes = std::mem::take(&mut self.nodes);
        let mut text = std::mem::take(&mut self.text);
        nodes.clear();
        text.clear();
        // At thread exit the spare list may be gone already; the buffers are then just freed.
        let _ = SPARE.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARE_TAPES {
                spare.push((nodes, text));
            }
        });
    }
}

/// A tape's items, taken in order (a call's positional arguments).
#[derive(Debug)]
pub(crate) struct Items {
    tape: Tape,
    next: usize,
}

impl Items {
    /// How many items are left.
    pub(crate) fn len(&self) -> usize {
        let mut count = 0;
        let mut at = self.next;
        while at < self.tape.nodes.len() {
            at = self.tape.end_of(at);
            count += 1;
        }
        count
    }

    /// Decodes the next item into `T` where it lies on the tape (no copy); `None` when all
    /// are taken.
    pub(crate) fn decode_next<T: DeserializeOwned>(&mut self) -> Option<Result<T, Error>> {
        let at = self.advance()?;
        Some(self.tape.decode_at(at))
    }

    /// The next item as a value (what `*args` collects).
    pub(crate) fn next_value(&mut self) -> Option<Value> {
        let at = self.advance()?;
        Some(
            Reader {
                tape: &mut self.tape,
                pos: at,
            }
            .materialize(),
        )
    }

    /// Whether an item is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.next >= self.tape.nodes.len()
    }

    /// Steps past the next item; returns where it starts.
    fn advance(&mut self) -> Option<usize> {
        let at = self.next;
        if self.is_empty() {
            return None;
        }
        self.next = self.tape.end_of(at);
        Some(at)
    }
}

/// Each element becomes the tape's next item (a call's positional arguments, written by the
/// serializer of an argument list).
impl ser::SerializeTuple for Tape {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.push(v)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// A list or map being written.
pub(crate) struct Open<'t> {
    tape: &'t mut Tape,
    at: usize,
    len: usize,
    /// The enclosing `{variant: ...}` map, closed with this one.
    outer: Option<usize>,
}

impl Open<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.len += 1;
        value.serialize(&mut *self.tape)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.len += 1;
        self.tape.nodes.push(Node::Name(key));
        value.serialize(&mut *self.tape)
    }

    fn close(self) -> Result<(), Error> {
        self.tape.close_at(self.at, self.len);
        if let Some(outer) = self.outer {
            self.tape.close_at(outer, 1);
        }
        Ok(())
    }
}

/// Scalars are what `to_value` makes of them: the same conversions, by the same code.
macro_rules! leaves {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), Error> {
            self.leaf(ValueSerializer.$method(v)?);
            Ok(())
        }
    )*};
}

impl<'t> Serializer for &'t mut Tape {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Open<'t>;
    type SerializeTuple = Open<'t>;
    type SerializeTupleStruct = Open<'t>;
    type SerializeTupleVariant = Open<'t>;
    type SerializeMap = Open<'t>;
    type SerializeStruct = Open<'t>;
    type SerializeStructVariant = Open<'t>;

    leaves! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_u128: u128, serialize_f32: f32, serialize_bytes: &[u8]
    }

    // The commonest scalars straight to their nodes (what `to_value` makes of them).
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.nodes.push(Node::Scalar(Scalar::Bool(v)));
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.nodes.push(Node::Scalar(Scalar::Int(v)));
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.nodes.push(Node::Scalar(Scalar::Float(v)));
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.str(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.str(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.nodes.push(Node::Scalar(Scalar::Nil));
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.nodes.push(Node::Name(variant));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        match name {
            // Extension objects, service references and big integers: as `to_value` has them.
            EXTENSION_TOKEN | SERVICE_REF_TOKEN | super::BIG_INT_TOKEN => {
                self.leaf(ValueSerializer.serialize_newtype_struct(name, v)?);
                Ok(())
            }
            _ => v.serialize(self),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        let at = self.open_variant(variant);
        v.serialize(&mut *self)?;
        self.close_at(at, 1);
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Open<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Open<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Open<'t>, Error> {
        Ok(self.open(false, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Open<'t>, Error> {
        let outer = self.open_variant(variant);
        Ok(self.open(false, Some(outer)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Open<'t>, Error> {
        Ok(self.open(true, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Open<'t>, Error> {
        Ok(self.open(true, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Open<'t>, Error> {
        let outer = self.open_variant(variant);
        Ok(self.open(true, Some(outer)))
    }
}

macro_rules! sequence_like {
    ($($trait:ident::$method:ident),*) => {$(
        impl ser::$trait for Open<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
                self.item(v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}
sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Open<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                v: &T,
            ) -> Result<(), Error> {
                self.field(name, v)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}
struct_like!(SerializeStruct, SerializeStructVariant);

impl ser::SerializeMap for Open<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.item(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(&mut *self.tape)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// Reads the subtree at `pos`, leaving `pos` after it.
struct Reader<'t> {
    tape: &'t mut Tape,
    pos: usize,
}

impl Reader<'_> {
    /// The subtree at `pos` as the `Value` that `to_value` would have made.
    fn materialize(&mut self) -> Value {
        let at = self.pos;
        self.pos += 1;
        match &mut self.tape.nodes[at] {
            Node::Scalar(scalar) => scalar.value(),
            Node::Leaf(value) => std::mem::take(value),
            Node::Str { start, end } => Value::Str(self.tape.text[*start..*end].to_owned()),
            Node::Name(name) => Value::Str((*name).to_owned()),
            Node::List { len, .. } => {
                let len = *len;
                Value::List((0..len).map(|_| self.materialize()).collect())
            }
            Node::Map { len, .. } => {
                let len = *len;
                let entries = (0..len).map(|_| (self.materialize(), self.materialize()));
                Value::Map(entries.collect())
            }
        }
    }

    /// Reads the subtree as `Value`'s deserializer reads the `Value` it stands for.
    fn as_value<'de, V: Visitor<'de>>(
        &mut self,
        read: impl FnOnce(Value, V) -> Result<V::Value, Error>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        read(self.materialize(), visitor)
    }

    /// What `deserialize_any` (the fast path of most targets) does with the subtree.
    fn any<'de, V: Visitor<'de>>(
        &mut self,
        read: impl FnOnce(Value, V) -> Result<V::Value, Error>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let at = self.pos;
        let end = self.tape.end_of(at);
        let result = match self.tape.nodes[at] {
            Node::Scalar(scalar) => scalar.visit(visitor),
            Node::Leaf(_) => return self.as_value(read, visitor),
            Node::Str { start, end } => visitor.visit_str(&self.tape.text[start..end]),
            Node::Name(name) => visitor.visit_str(name),
            Node::List { len, .. } => {
                self.pos += 1;
                let mut seq = Children {
                    reader: self,
                    left: len,
                };
                let result = visitor.visit_seq(&mut seq)?;
                match seq.left {
                    0 => Ok(result),
                    left => Err(super::list_not_used_up(len, len - left)),
                }
            }
            Node::Map { len, .. } => {
                self.pos += 1;
                visitor.visit_map(Children {
                    reader: self,
                    left: len,
                })
            }
        };
        self.pos = end;
        result
    }

    /// Hands the subtree on to `visit` (an option's or newtype's inner value); `None` and other
    /// leaves are read as their `Value` with `read`.
    fn inner<'de, V: Visitor<'de>>(
        &mut self,
        read: impl FnOnce(Value, V) -> Result<V::Value, Error>,
        visitor: V,
        visit: impl FnOnce(V, &mut Self) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        if let Node::Scalar(Scalar::Nil) | Node::Leaf(_) = self.tape.nodes[self.pos] {
            return self.as_value(read, visitor);
        }
        let end = self.tape.end_of(self.pos);
        let result = visit(visitor, self);
        self.pos = end;
        result
    }
}

/// The items of a list, or the keys and values of a map, being read.
struct Children<'r, 't> {
    reader: &'r mut Reader<'t>,
    /// Items (or entries) not yet read.
    left: usize,
}

impl<'de> Children<'_, '_> {
    fn next<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> SeqAccess<'de> for Children<'_, '_> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.next(seed)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> MapAccess<'de> for Children<'_, '_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        self.next(seed)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut *self.reader)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// Targets that `Value`'s deserializer reads with `deserialize_any` for strings, lists and maps.
macro_rules! like_any {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.any(|value, visitor| de::Deserializer::$method(value, visitor), visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Reader<'_> {
    type Error = Error;

    like_any! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_seq deserialize_map deserialize_identifier
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, Error> {
        self.any(
            |v, visitor| de::Deserializer::deserialize_tuple(v, len, visitor),
            visitor,
        )
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let read =
            |v: Value, visitor| de::Deserializer::deserialize_tuple_struct(v, name, len, visitor);
        self.any(read, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let read =
            |v: Value, visitor| de::Deserializer::deserialize_struct(v, name, fields, visitor);
        self.any(read, visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let read = |v: Value, visitor| de::Deserializer::deserialize_option(v, visitor);
        self.inner(read, visitor, |visitor, reader| visitor.visit_some(reader))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let read =
            |v: Value, visitor| de::Deserializer::deserialize_newtype_struct(v, name, visitor);
        match name {
            // Only a leaf can be one of these; anything else fails as `Value` says.
            EXTENSION_TOKEN | SERVICE_REF_TOKEN => self.as_value(read, visitor),
            _ => self.inner(read, visitor, |visitor, reader| {
                visitor.visit_newtype_struct(reader)
            }),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.as_value(
            |v, visitor| de::Deserializer::deserialize_unit(v, visitor),
            visitor,
        )
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let read = |v: Value, visitor| de::Deserializer::deserialize_unit_struct(v, name, visitor);
        self.as_value(read, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let read =
            |v: Value, visitor| de::Deserializer::deserialize_enum(v, name, variants, visitor);
        self.as_value(read, visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.pos = self.tape.end_of(self.pos);
        visitor.visit_unit()
    }
}

#[cfg(test)]
#[path = "tape_tests.rs"]
mod tests;
