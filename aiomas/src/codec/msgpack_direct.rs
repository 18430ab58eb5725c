//! MsgPack results and call arguments decoded straight into their typed target, without a
//! [`Value`] tree: the MsgPack counterpart of [`super::json_direct`].
//!
//! A result or request frame is first scanned ([`plain_message`]): its markers are walked as
//! the full decode (rmp_serde into a [`Value`]) walks them, nesting is bounded and the
//! decoded-size budget charged exactly as building its values would charge, and its content
//! located, without building anything. Whatever the scan is unsure of is left to the full
//! decode, so its value or its error is exactly what it was: `ext` items (the full decode
//! refuses them), the reserved marker, a map with a `"__type__"` wrapper or a reserved key,
//! trailing bytes, a frame over budget, a message not shaped as `rpc` reads it.
//!
//! A result's content, or each argument of a request, is then deserialized by [`decode`] with
//! the semantics of [`Value`]'s own deserializer: scalars are read into a [`Value`] (the
//! full decode's: a `str` that is not UTF-8 is bytes, an `f32` widens, unsigned integers that
//! fit are `Int`) and handed to it, so every conversion and error text is the `Value` path's;
//! arrays and maps are walked in place.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Unexpected, Visitor,
};
use serde::Deserialize;
use smol_str::SmolStr;

use super::decode::{check_nesting, Decoding, ENTRY, SLOT};
use super::direct::{
    arg_range, fits_arg_ranges, in_place, is_special_key, ArgRanges, Key, Plain, PlainContent,
    REQUEST, RESULT,
};
use super::msgpack::value_len;
use crate::value::{list_not_used_up, Value};
use crate::Error;

/// Why a frame is left to the full decode; never seen outside this module, since the full
/// decode of such a frame gives its own value or error.
fn not_plain() -> Error {
    Error::Deserialization("left to the full MsgPack decode".into())
}

/// The head of one MsgPack item: a scalar, or a container and its claimed length.
#[derive(Clone, Copy)]
enum Head<'a> {
    Nil,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
}

impl<'a> Head<'a> {
    /// The heap bytes the item owns as a scalar (its container charges them).
    fn heap(self) -> usize {
        match self {
            Head::Str(bytes) | Head::Bin(bytes) => bytes.len(),
            _ => 0,
        }
    }

    /// A non-negative integer, as `Value::as_u64` reads it (message types and ids).
    fn unsigned(self) -> Option<u64> {
        match self {
            Head::Int(i) => u64::try_from(i).ok(),
            Head::UInt(u) => Some(u),
            _ => None,
        }
    }

    /// A `str` that is UTF-8 (rmp_serde hands the others over as bytes).
    fn text(self) -> Option<&'a str> {
        match self {
            Head::Str(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The scalar as the full decode builds it.
    fn into_value(self) -> Result<Value, Error> {
        Ok(match self {
            Head::Nil => Value::Nil,
            Head::Bool(b) => Value::Bool(b),
            Head::Int(i) => Value::Int(i),
            Head::UInt(u) => Value::from(u),
            Head::Float(f) => Value::Float(f),
            Head::Str(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => Value::Str(text.to_owned()),
                Err(_) => Value::Bytes(bytes.to_vec()),
            },
            Head::Bin(bytes) => Value::Bytes(bytes.to_vec()),
            Head::Array(_) | Head::Map(_) => return Err(not_plain()),
        })
    }
}

/// A cursor over MsgPack bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n).ok_or_else(not_plain)?;
        let field = self.bytes.get(self.pos..end).ok_or_else(not_plain)?;
        self.pos = end;
        Ok(field)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?.try_into().map_err(|_| not_plain())
    }

    /// A length of 1, 2 or 4 bytes, by the `width` step (0, 1, 2) of its marker.
    fn length(&mut self, width: u8) -> Result<usize, Error> {
        Ok(match width {
            0 => usize::from(self.fixed::<1>()?[0]),
            1 => usize::from(u16::from_be_bytes(self.fixed()?)),
            _ => u32::from_be_bytes(self.fixed()?) as usize,
        })
    }

    /// The head of the item at the cursor, stepping past it (past a scalar's data too).
    fn head(&mut self) -> Result<Head<'a>, Error> {
        let marker = self.fixed::<1>()?[0];
        Ok(match marker {
            0x00..=0x7f => Head::Int(i64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => Head::Str(self.take(usize::from(marker & 0x1f))?),
            0xc0 => Head::Nil,
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xc4..=0xc6 => {
                let len = self.length(marker - 0xc4)?;
                Head::Bin(self.take(len)?)
            }
            0xca => Head::Float(f32::from_be_bytes(self.fixed()?).into()),
            0xcb => Head::Float(f64::from_be_bytes(self.fixed()?)),
            0xcc => Head::UInt(u8::from_be_bytes(self.fixed()?).into()),
            0xcd => Head::UInt(u16::from_be_bytes(self.fixed()?).into()),
            0xce => Head::UInt(u32::from_be_bytes(self.fixed()?).into()),
            0xcf => Head::UInt(u64::from_be_bytes(self.fixed()?)),
            0xd0 => Head::Int(i8::from_be_bytes(self.fixed()?).into()),
            0xd1 => Head::Int(i16::from_be_bytes(self.fixed()?).into()),
            0xd2 => Head::Int(i32::from_be_bytes(self.fixed()?).into()),
            0xd3 => Head::Int(i64::from_be_bytes(self.fixed()?)),
            0xd9..=0xdb => {
                let len = self.length(marker - 0xd9)?;
                Head::Str(self.take(len)?)
            }
            0xdc => Head::Array(self.length(1)?),
            0xdd => Head::Array(self.length(2)?),
            0xde => Head::Map(self.length(1)?),
            0xdf => Head::Map(self.length(2)?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
            // The reserved marker 0xc1 and the `ext` types, which the full decode refuses.
            _ => return Err(not_plain()),
        })
    }

    /// Walks the item at `depth` as the full decode builds it, charging `decoding` what
    /// building it charges, and returns the heap bytes it would own as a scalar (which its
    /// container charges).
    fn scan(&mut self, decoding: &Decoding<'_>, depth: usize) -> Result<usize, Error> {
        match self.head()? {
            Head::Array(len) => {
                check_nesting(depth)?;
                self.scan_items(decoding, depth + 1, len, |_| {})?;
            }
            Head::Map(len) => {
                check_nesting(depth)?;
                let mut capacity = decoding.charge_map(len)?;
                for kept in 0..len {
                    let key = self.scan_key(decoding, depth + 1)?;
                    let value = self.scan(decoding, depth + 1)?;
                    decoding.budget.charge(key)?;
                    decoding.budget.charge(value)?;
                    decoding.budget.charge_room(kept, &mut capacity, ENTRY)?;
                }
            }
            scalar => return Ok(scalar.heap()),
        }
        Ok(0)
    }

    /// Walks the `len` items of an array, at `depth`, charged as its list is built; hands
    /// `each` where each item is.
    fn scan_items(
        &mut self,
        decoding: &Decoding<'_>,
        depth: usize,
        len: usize,
        mut each: impl FnMut(Range<usize>),
    ) -> Result<(), Error> {
        let mut capacity = decoding.charge_list(len)?;
        for pushed in 0..len {
            let start = self.pos;
            let heap = self.scan(decoding, depth)?;
            decoding.budget.charge(heap)?;
            decoding.budget.charge_room(pushed, &mut capacity, SLOT)?;
            each(start..self.pos);
        }
        Ok(())
    }

    /// [`scan`](Self::scan) for a map key, refusing the keys the full decode resolves or
    /// refuses.
    fn scan_key(&mut self, decoding: &Decoding<'_>, depth: usize) -> Result<usize, Error> {
        let start = self.pos;
        let head = self.head()?;
        if head.text().is_some_and(is_special_key) {
            return Err(not_plain());
        }
        self.pos = start;
        self.scan(decoding, depth)
    }

    /// The message at the cursor, as [`plain_message`] accepts it.
    fn message(&mut self, decoding: &Decoding<'_>) -> Result<Plain, Error> {
        let Head::Array(3) = self.head()? else {
            return Err(not_plain());
        };
        decoding.charge_list(3)?;
        let msg_type = self.head()?.unsigned().ok_or_else(not_plain)?;
        let msg_id = self.head()?.unsigned().ok_or_else(not_plain)?;
        let content = match i64::try_from(msg_type) {
            Ok(RESULT) => {
                let start = self.pos;
                let heap = self.scan(decoding, 1)?;
                decoding.budget.charge(heap)?;
                PlainContent::Result(start..self.pos)
            }
            Ok(REQUEST) => self.call(decoding)?,
            _ => return Err(not_plain()),
        };
        if self.pos != self.bytes.len() {
            return Err(not_plain());
        }
        Ok(Plain {
            msg_type: msg_type as u8,
            msg_id,
            content,
        })
    }

    /// A request's content `[path, args, kwargs]` at depth 1, as `rpc` reads it: a string
    /// path, an array of arguments and a map of keyword arguments with string keys, charged
    /// as built.
    fn call(&mut self, decoding: &Decoding<'_>) -> Result<PlainContent, Error> {
        let budget = &decoding.budget;
        if !fits_arg_ranges(self.bytes) {
            return Err(not_plain());
        }
        let Head::Array(3) = self.head()? else {
            return Err(not_plain());
        };
        decoding.charge_list(3)?;
        let path = SmolStr::new(self.head()?.text().ok_or_else(not_plain)?);
        budget.charge(path.len())?;
        // The arguments and keyword arguments are two levels in, their values three.
        let Head::Array(len) = self.head()? else {
            return Err(not_plain());
        };
        // Every argument takes a byte at least: a claim beyond the bytes left is a lie.
        let mut args = ArgRanges::with_capacity(len.min(self.bytes.len() - self.pos));
        self.scan_items(decoding, 3, len, |range| args.push(arg_range(range)))?;
        let Head::Map(len) = self.head()? else {
            return Err(not_plain());
        };
        let mut capacity = decoding.charge_map(len)?;
        let mut kwargs = Vec::with_capacity(capacity.min(self.bytes.len() - self.pos));
        for kept in 0..len {
            let key = self.head()?.text().ok_or_else(not_plain)?;
            if is_special_key(key) {
                return Err(not_plain());
            }
            let start = self.pos;
            let heap = self.scan(decoding, 3)?;
            budget.charge(key.len())?;
            budget.charge(heap)?;
            budget.charge_room(kept, &mut capacity, ENTRY)?;
            kwargs.push((key.to_owned(), start..self.pos));
        }
        Ok(PlainContent::Call { path, args, kwargs })
    }
}

/// The message in `body`, if it is a result `[1, msg_id, content]` or a request
/// `[0, msg_id, [path, args, kwargs]]` that can be decoded straight into types (see the
/// module docs); `None` leaves it to the full decode.
pub(super) fn plain_message(decoding: &Decoding<'_>, body: &[u8]) -> Option<Plain> {
    Reader::new(body).message(decoding).ok()
}

/// Deserializes the content `range` of a body that [`plain_message`] accepted into `R`,
/// exactly as `from_value` would deserialize its [`Value`].
pub(super) fn decode<R: DeserializeOwned>(body: &[u8], range: Range<usize>) -> Result<R, Error> {
    let bytes = body.get(range).ok_or_else(not_plain)?;
    R::deserialize(&mut Direct {
        reader: Reader::new(bytes),
    })
}

/// The content `range` of a body that [`plain_message`] accepted, as a [`Value`].
pub(super) fn to_value(body: &[u8], range: Range<usize>) -> Result<Value, Error> {
    decode(body, range)
}

/// A deserializer reading scanned MsgPack bytes in place.
struct Direct<'a> {
    reader: Reader<'a>,
}

impl<'a> Direct<'a> {
    /// What the container at the cursor is, for error messages; `None` at a scalar.
    fn container(&self) -> Option<Unexpected<'static>> {
        match self.reader.bytes.get(self.reader.pos)? {
            0x80..=0x8f | 0xde | 0xdf => Some(Unexpected::Map),
            0x90..=0x9f | 0xdc | 0xdd => Some(Unexpected::Seq),
            _ => None,
        }
    }

    /// The scalar at the cursor, as a [`Value`].
    fn scalar(&mut self) -> Result<Value, Error> {
        self.reader.head()?.into_value()
    }

    /// The scalar at the cursor, visited as `by_value` visits its [`Value`] (see
    /// [`in_place`]): a signed integer, a float or a bool goes to the visitor as it is.
    #[inline]
    fn visit_scalar<'de, V: Visitor<'de>>(
        &mut self,
        visitor: V,
        by_value: impl FnOnce(Value, V) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        match self.reader.head()? {
            Head::Int(i) => visitor.visit_i64(i),
            Head::Float(f) => visitor.visit_f64(f),
            Head::Bool(b) => visitor.visit_bool(b),
            other => by_value(other.into_value()?, visitor),
        }
    }

    /// The item at the cursor, as a [`Value`].
    fn value(&mut self) -> Result<Value, Error> {
        Value::deserialize(self)
    }

    /// Steps past the item at the cursor.
    fn skip(&mut self) -> Result<(), Error> {
        let rest = &self.reader.bytes[self.reader.pos..];
        self.reader.pos += value_len(rest).ok_or_else(not_plain)?;
        Ok(())
    }

    /// The `len` items or entries of the container just entered.
    fn items(&mut self, len: usize) -> Items<'_, 'a> {
        Items {
            direct: self,
            left: len,
            taken: 0,
            value_due: false,
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Direct<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.reader.head()? {
            Head::Array(len) => {
                let mut items = self.items(len);
                let result = visitor.visit_seq(&mut items);
                items.finish_list(result)
            }
            Head::Map(len) => {
                let mut entries = self.items(len);
                let result = visitor.visit_map(&mut entries);
                entries.finish_map(result)
            }
            scalar => scalar.into_value()?.deserialize_any(visitor),
        }
    }

    in_place!();

    /// Enums are rare in results: a container is read into its `Value` first.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.value()?.deserialize_enum(name, variants, visitor)
    }
}

/// The items of the array, or the entries of the map, being read.
struct Items<'d, 'a> {
    direct: &'d mut Direct<'a>,
    /// How many items (or entries) are still to be handed out.
    left: usize,
    /// How many were handed out.
    taken: usize,
    /// A map's key was read and its value not yet.
    value_due: bool,
}

impl Items<'_, '_> {
    /// The outcome of visiting an array, which must be used up, as `Value`'s lists must.
    fn finish_list<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        let result = result?;
        for _ in 0..self.left {
            self.direct.skip()?;
        }
        if self.left == 0 {
            return Ok(result);
        }
        // As `Value` counts: all items against those taken.
        let (taken, left) = (self.taken, self.left);
        Err(list_not_used_up(taken + left, taken))
    }

    /// The outcome of visiting a map; entries left unread are skipped, as `Value`'s are.
    fn finish_map<T>(self, result: Result<T, Error>) -> Result<T, Error> {
        let result = result?;
        let items = 2 * self.left + usize::from(self.value_due);
        for _ in 0..items {
            self.direct.skip()?;
        }
        Ok(result)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.taken += 1;
        seed.deserialize(&mut *self.direct).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> MapAccess<'de> for Items<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.taken += 1;
        self.value_due = true;
        let reader = &mut self.direct.reader;
        let start = reader.pos;
        match reader.head()?.text() {
            Some(key) => seed.deserialize(Key(Cow::Borrowed(key))).map(Some),
            None => {
                reader.pos = start;
                seed.deserialize(&mut *self.direct).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if !self.value_due {
            return Err(Error::Deserialization("map value without key".into()));
        }
        self.value_due = false;
        seed.deserialize(&mut *self.direct)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

#[cfg(test)]
mod tests;
