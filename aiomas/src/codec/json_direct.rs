//! JSON results decoded straight into their typed target, without a [`Value`] tree.
//!
//! A result or request frame is first scanned ([`plain_message`]): checked as the full decode checks it
//! (grammar, nesting, the decoded-size budget, charged exactly as building its values would
//! charge) and its content located, without building anything. A frame that fails the scan, or
//! holds a `"__type__"` wrapper (an extension object or a service reference, which the full
//! decode resolves into values) or a reserved key, or is not shaped as `rpc` reads it, is
//! left to the full decode, so its value or
//! its error is exactly what it was.
//!
//! A result's content, or each argument of a request, is then deserialized by [`decode`] with the semantics of [`Value`]'s own
//! deserializer: scalars are read into a [`Value`] (no heap for anything but strings and big
//! integers) and handed to it, so every conversion and error text is the `Value` path's;
//! lists and maps are walked in place.

use std::ops::Range;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Unexpected, Visitor,
};
use smol_str::SmolStr;

use super::decode::{check_nesting, heap_bytes, Decoding, ENTRY, SLOT, TYPE_KEY};
use super::direct::{
    arg_range, fits_arg_ranges, in_place, ArgRanges, Key, Plain, PlainContent, REQUEST, RESULT,
};
use super::json_parser::{Parser, MAX_EXACT_DIGITS};
use super::{Codec, Serializers, WireFormat};
use crate::value::{list_not_used_up, Value, BIG_INT_TOKEN, EXTENSION_TOKEN, SERVICE_REF_TOKEN};
use crate::Error;

/// The message in `body`, if it is a result `[1, msg_id, content]` or a request
/// `[0, msg_id, [path, args, kwargs]]` that can be decoded straight into types (see the
/// module docs); `None` leaves it to the full decode.
pub(super) fn plain_message(decoding: &Decoding<'_>, body: &[u8]) -> Option<Plain> {
    let mut parser = Parser::new(decoding, body).ok()?;
    parser.skip_whitespace();
    if parser.peek() != Some(b'[') {
        return None;
    }
    parser.pos += 1;
    // The envelope's list, as built: room for one item, then for three more.
    decoding.budget.charge(4 * SLOT).ok()?;
    parser.skip_whitespace();
    let msg_type = match parser.plain_integer()? {
        REQUEST => REQUEST,
        RESULT => RESULT,
        _ => return None,
    };
    if parser.end_of_item(b']').ok()? {
        return None;
    }
    let msg_id = u64::try_from(parser.plain_integer()?).ok()?;
    if parser.end_of_item(b']').ok()? {
        return None;
    }
    let mut wrapped = false;
    let content = match msg_type {
        RESULT => {
            let start = parser.pos;
            let heap = parser.scan(1, &mut wrapped).ok()?;
            decoding.budget.charge(heap).ok()?;
            PlainContent::Result(start..parser.pos)
        }
        _ => parser.call(&mut wrapped)?,
    };
    if wrapped || !parser.end_of_item(b']').ok()? {
        return None;
    }
    parser.skip_whitespace();
    (parser.pos == body.len()).then_some(Plain {
        msg_type: msg_type as u8,
        msg_id,
        content,
    })
}

impl<'a> Parser<'a> {
    /// Walks the value at `depth` as [`value`](Self::value) would parse it, charging the
    /// budget what building it would, and returns the heap bytes it would own as a scalar
    /// (which its container charges). Sets `wrapped` on a `"__type__"` or reserved key.
    fn scan(&mut self, depth: usize, wrapped: &mut bool) -> Result<usize, Error> {
        let budget = &self.decoding.budget;
        match self.peek() {
            Some(b'[') => {
                check_nesting(depth)?;
                self.pos += 1;
                self.skip_whitespace();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(0);
                }
                let (mut len, mut capacity) = (0, 0);
                loop {
                    let heap = self.scan(depth + 1, wrapped)?;
                    budget.charge(heap)?;
                    budget.charge_room(len, &mut capacity, SLOT)?;
                    len += 1;
                    if self.end_of_item(b']')? {
                        return Ok(0);
                    }
                }
            }
            Some(b'{') => {
                check_nesting(depth)?;
                self.pos += 1;
                self.skip_whitespace();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(0);
                }
                let (mut len, mut capacity) = (0, 0);
                loop {
                    let key = self.key()?;
                    let heap = self.scan(depth + 1, wrapped)?;
                    budget.charge(key.len())?;
                    budget.charge(heap)?;
                    match &*key {
                        TYPE_KEY | EXTENSION_TOKEN | SERVICE_REF_TOKEN | BIG_INT_TOKEN => {
                            *wrapped = true;
                        }
                        _ => {
                            budget.charge_room(len, &mut capacity, ENTRY)?;
                            len += 1;
                        }
                    }
                    if self.end_of_item(b'}')? {
                        return Ok(0);
                    }
                }
            }
            Some(b'"') => Ok(self.string_text()?.len()),
            // Numbers are checked, not converted.
            Some(b'0'..=b'9' | b'-') => self.skip_number(),
            _ => Ok(heap_bytes(&self.value(depth)?)),
        }
    }

    /// A non-negative integer of at most 63 bits at the cursor (message types and ids), read
    /// as [`number`](Parser::number) reads one: `None` for anything else (a float, a larger
    /// integer), which the full decode then reads.
    fn plain_integer(&mut self) -> Option<i64> {
        let (mut magnitude, mut digits) = (0, 0);
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                self.digits(&mut magnitude, &mut digits);
            }
            _ => return None,
        }
        let fraction_or_exponent = matches!(self.peek(), Some(b'.' | b'e' | b'E'));
        if fraction_or_exponent || digits > MAX_EXACT_DIGITS {
            return None;
        }
        i64::try_from(magnitude).ok()
    }

    /// A request's content `[path, args, kwargs]` at depth 1, as `rpc` reads it: a string
    /// path, a list of arguments and a map of keyword arguments, charged as built.
    fn call(&mut self, wrapped: &mut bool) -> Option<PlainContent> {
        let budget = &self.decoding.budget;
        if self.peek() != Some(b'[') || !fits_arg_ranges(self.bytes) {
            return None;
        }
        self.pos += 1;
        budget.charge(4 * SLOT).ok()?;
        self.skip_whitespace();
        if self.peek() != Some(b'"') {
            return None;
        }
        let path = SmolStr::new(self.string_text().ok()?);
        budget.charge(path.len()).ok()?;
        if self.end_of_item(b']').ok()? || self.peek() != Some(b'[') {
            return None;
        }
        // The arguments and keyword arguments are two levels in, their values three.
        self.pos += 1;
        self.skip_whitespace();
        let mut args = ArgRanges::new();
        let mut capacity = 0;
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                let start = self.pos;
                let heap = self.scan(3, wrapped).ok()?;
                budget.charge(heap).ok()?;
                budget.charge_room(args.len(), &mut capacity, SLOT).ok()?;
                args.push(arg_range(start..self.pos));
                if self.end_of_item(b']').ok()? {
                    break;
                }
            }
        }
        if self.end_of_item(b']').ok()? || self.peek() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        self.skip_whitespace();
        let mut kwargs = Vec::new();
        let mut capacity = 0;
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                if self.peek() != Some(b'"') {
                    return None;
                }
                let key = self.key().ok()?;
                let start = self.pos;
                let heap = self.scan(3, wrapped).ok()?;
                budget.charge(key.len()).ok()?;
                budget.charge(heap).ok()?;
                if matches!(
                    &*key,
                    TYPE_KEY | EXTENSION_TOKEN | SERVICE_REF_TOKEN | BIG_INT_TOKEN
                ) {
                    return None;
                }
                budget
                    .charge_room(kwargs.len(), &mut capacity, ENTRY)
                    .ok()?;
                kwargs.push((key.into_owned(), start..self.pos));
                if self.end_of_item(b'}').ok()? {
                    break;
                }
            }
        }
        if !self.end_of_item(b']').ok()? {
            return None;
        }
        Some(PlainContent::Call { path, args, kwargs })
    }
}

/// Deserializes the content `range` of a body that [`plain_message`] accepted into `R`,
/// exactly as `from_value` would deserialize its [`Value`].
pub(super) fn decode<R: DeserializeOwned>(body: &[u8], range: Range<usize>) -> Result<R, Error> {
    // Scanned within the frame's budget already; this one only bounds the `Value`s of enums.
    let format = WireFormat::new(Codec::Json, Serializers::default());
    let decoding = Decoding::new(&format, range.len());
    let mut direct = Direct {
        parser: Parser::new(&decoding, &body[range])?,
        depth: 1,
    };
    R::deserialize(&mut direct)
}

/// The content `range` of a body that [`plain_message`] accepted, as a [`Value`].
pub(super) fn to_value(body: &[u8], range: Range<usize>) -> Result<Value, Error> {
    decode(body, range)
}

/// A deserializer reading a scanned JSON text in place.
struct Direct<'a> {
    parser: Parser<'a>,
    /// How many containers are around the value at the cursor.
    depth: usize,
}

impl<'a> Direct<'a> {
    /// What the container at the cursor is, for error messages; `None` at a scalar.
    fn container(&self) -> Option<Unexpected<'static>> {
        match self.parser.peek() {
            Some(b'[') => Some(Unexpected::Seq),
            Some(b'{') => Some(Unexpected::Map),
            _ => None,
        }
    }

    /// The scalar at the cursor, as a [`Value`].
    fn scalar(&mut self) -> Result<Value, Error> {
        self.parser.value(self.depth)
    }

    /// The scalar at the cursor, visited as `by_value` visits its [`Value`] (see
    /// [`in_place`]): a string or a number goes to the visitor as it is.
    #[inline]
    fn visit_scalar<'de, V: Visitor<'de>>(
        &mut self,
        visitor: V,
        by_value: impl FnOnce(Value, V) -> Result<V::Value, Error>,
    ) -> Result<V::Value, Error> {
        match self.parser.peek() {
            Some(b'"') => visitor.visit_string(self.parser.string()?),
            Some(b'-' | b'0'..=b'9') => match self.parser.number()?.into_value() {
                Value::Int(i) => visitor.visit_i64(i),
                Value::UInt(u) => visitor.visit_u64(u),
                Value::Float(f) => visitor.visit_f64(f),
                big => by_value(big, visitor),
            },
            _ => by_value(self.scalar()?, visitor),
        }
    }

    /// Steps past the value at the cursor.
    fn skip(&mut self) -> Result<(), Error> {
        self.parser.scan(self.depth, &mut false).map(drop)
    }

    /// Enters the container at the cursor.
    fn enter(&mut self) -> Items<'_, 'a> {
        self.parser.pos += 1;
        self.parser.skip_whitespace();
        self.depth += 1;
        Items {
            direct: self,
            first: true,
            done: false,
            taken: 0,
            value_due: false,
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Direct<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.parser.peek() {
            Some(b'[') => {
                let mut items = self.enter();
                let result = visitor.visit_seq(&mut items);
                items.finish_list(result)
            }
            Some(b'{') => {
                let mut entries = self.enter();
                let result = visitor.visit_map(&mut entries);
                entries.finish_map(result)
            }
            _ => self.scalar()?.deserialize_any(visitor),
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
        self.parser
            .value(self.depth)?
            .deserialize_enum(name, variants, visitor)
    }
}

/// The items of the list, or the entries of the map, being read.
struct Items<'d, 'a> {
    direct: &'d mut Direct<'a>,
    first: bool,
    done: bool,
    /// How many items (or entries) were handed out.
    taken: usize,
    /// A map's key was read and its value not yet.
    value_due: bool,
}

impl Items<'_, '_> {
    /// Whether another item follows, stepping to it; `close` ends the container.
    fn advance(&mut self, close: u8) -> Result<bool, Error> {
        if self.done {
            return Ok(false);
        }
        let parser = &mut self.direct.parser;
        let end = if self.first {
            self.first = false;
            let empty = parser.peek() == Some(close);
            if empty {
                parser.pos += 1;
            }
            empty
        } else {
            parser.end_of_item(close)?
        };
        self.done = end;
        Ok(!end)
    }

    /// The outcome of visiting a list, which must be used up, as `Value`'s lists must.
    fn finish_list<T>(mut self, result: Result<T, Error>) -> Result<T, Error> {
        let result = result?;
        let mut left = 0;
        while self.advance(b']')? {
            self.direct.skip()?;
            left += 1;
        }
        self.direct.depth -= 1;
        if left == 0 {
            return Ok(result);
        }
        // As `Value` counts: all items against those taken.
        let taken = self.taken;
        Err(list_not_used_up(taken + left, taken))
    }

    /// The outcome of visiting a map; entries left unread are skipped, as `Value`'s are.
    fn finish_map<T>(mut self, result: Result<T, Error>) -> Result<T, Error> {
        let result = result?;
        if self.value_due {
            self.direct.skip()?;
        }
        while self.advance(b'}')? {
            self.direct.parser.key()?;
            self.direct.skip()?;
        }
        self.direct.depth -= 1;
        Ok(result)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if !self.advance(b']')? {
            return Ok(None);
        }
        self.taken += 1;
        seed.deserialize(&mut *self.direct).map(Some)
    }
}

impl<'de> MapAccess<'de> for Items<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        if !self.advance(b'}')? {
            return Ok(None);
        }
        self.taken += 1;
        let key = self.direct.parser.key()?;
        self.value_due = true;
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        if !self.value_due {
            return Err(Error::Deserialization("map value without key".into()));
        }
        self.value_due = false;
        seed.deserialize(&mut *self.direct)
    }
}

#[cfg(test)]
mod tests;
