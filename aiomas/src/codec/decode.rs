//! The decoding half shared by the JSON and MsgPack codecs: building a [`Value`] tree within a
//! decoded-size budget, resolving `{"__type__": [typeid, data]}` wrappers through the
//! connection's [`Serializers`](super::Serializers), and bounding the nesting depth.
//!
//! The MsgPack codec drives it through serde ([`DecodeSeed`]); the JSON codec through its own
//! parser ([`super::json_parser`]). Both build lists with [`ListBuilder`] and maps with
//! [`MapBuilder`], which charge every allocation to the frame's [`Budget`] *before* making it.

use std::cell::Cell;
use std::fmt;
use std::mem::size_of;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{check_depth, Slot, WireFormat};
use crate::value::{
    visit_primitives, Extension, Home, ServiceRef, Value, BIG_INT_TOKEN, EXTENSION_TOKEN,
    SERVICE_REF_TOKEN,
};
use crate::Error;

/// The key that marks an extra-serializer wrapper, as in Python.
pub(super) const TYPE_KEY: &str = "__type__";

/// What one decoded element costs at least: its slot in a list (a map entry is two slots).
pub(super) const SLOT: usize = size_of::<Value>();

/// What one decoded map entry costs at least: its key and value slots.
pub(super) const ENTRY: usize = size_of::<(Value, Value)>();

// A `Value` is four words (the largest payloads, `String` and `Vec`, are three); the default
// budget below relies on it.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(SLOT == 32);

/// How many bytes of values a frame may decode to, per byte of its (decompressed) body.
///
/// The worst honest message is a MsgPack array of 1-byte integers (or `nil`s, or empty
/// strings): every input byte becomes one 32-byte [`Value`]. Lists and maps are allocated at
/// their exact size when the format states it (MsgPack) and grow 1, 4, 8, 16, ... otherwise
/// (JSON), which keeps the densest JSON (`[0,0,...]`, two bytes per element) within the same
/// bound. So every well-formed message fits, and no frame can decode to more than this
/// multiple of its size.
///
/// ```
/// use aiomas::codec::{Codec, DECODED_BYTES_PER_BODY_BYTE};
/// // 1000 one-byte integers in a MsgPack array decode to 1000 values of 32 bytes each.
/// let mut body = vec![0xdc, 0x03, 0xe8];
/// body.extend([1u8; 1000]);
/// let decoded = Codec::MsgPack.decode(&body).unwrap();
/// let values = decoded.as_list().unwrap().len() * std::mem::size_of::<aiomas::Value>();
/// assert!(values <= body.len() * DECODED_BYTES_PER_BODY_BYTE);
/// ```
pub const DECODED_BYTES_PER_BODY_BYTE: usize = SLOT;

/// The heap bytes a decoded scalar owns.
#[inline]
pub(super) fn heap_bytes(value: &Value) -> usize {
    match value {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::BigInt(b) => b.as_str().len(),
        _ => 0,
    }
}

/// What decoding one frame may still allocate, in bytes.
pub(super) struct Budget {
    left: Cell<usize>,
    limit: usize,
}

impl Budget {
    pub(super) fn new(limit: usize) -> Self {
        Budget {
            left: Cell::new(limit),
            limit,
        }
    }

    /// Takes `bytes` out of the budget, or fails (before they are allocated) if it is spent.
    pub(super) fn charge(&self, bytes: usize) -> Result<(), Error> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(Error::Deserialization(format!(
                "the message decodes to more than {} bytes of values (see \
                 ChannelOptions::max_decoded_size)",
                self.limit
            ))),
        }
    }

    /// Charges the heap bytes a decoded scalar owns (its slot is charged by its container).
    #[inline]
    pub(super) fn charge_scalar(&self, value: &Value) -> Result<(), Error> {
        self.charge(heap_bytes(value))
    }

    /// Charges what a growing buffer would for a buffer of `len` items of `size` bytes that has
    /// room for `capacity`, without the buffer: a scan charges what building charges.
    pub(super) fn charge_room(
        &self,
        len: usize,
        capacity: &mut usize,
        size: usize,
    ) -> Result<(), Error> {
        if len == *capacity {
            let extra = growth(*capacity);
            self.charge(extra * size)?;
            *capacity += extra;
        }
        Ok(())
    }

    #[cfg(test)]
    pub(super) fn spent(&self) -> usize {
        self.limit - self.left.get()
    }
}

/// Everything decoding one frame shares: the connection's format and the frame's budget.
pub(super) struct Decoding<'a> {
    pub(super) format: &'a WireFormat,
    pub(super) budget: Budget,
    /// The size of the body: every element takes at least one byte of it, so a length claim
    /// beyond it is a lie and no more than that is preallocated (and charged, first).
    input_len: usize,
}

impl<'a> Decoding<'a> {
    /// Decoding a body of `len` bytes (decompressed, for blosc) for `format`.
    pub(super) fn new(format: &'a WireFormat, len: usize) -> Self {
        let limit = len
            .saturating_mul(DECODED_BYTES_PER_BODY_BYTE)
            .min(format.max_decoded_size);
        Decoding {
            format,
            budget: Budget::new(limit),
            input_len: len,
        }
    }

    /// A list, claimed to hold `claimed` items (0 if unknown).
    pub(super) fn list(&self, claimed: usize) -> Result<ListBuilder<'_>, Error> {
        let capacity = self.charge_list(claimed)?;
        Ok(ListBuilder {
            items: Growing::with_capacity(capacity),
            budget: &self.budget,
        })
    }

    /// A map, claimed to hold `claimed` entries (0 if unknown).
    pub(super) fn map(&self, claimed: usize) -> Result<MapBuilder<'_>, Error> {
        let capacity = self.charge_map(claimed)?;
        Ok(MapBuilder {
            entries: Growing::with_capacity(capacity),
            wrapper: None,
            decoding: self,
        })
    }

    /// Charges the room [`list`](Self::list) makes for `claimed` items, and returns it (in
    /// items): a scan charges what building charges.
    pub(super) fn charge_list(&self, claimed: usize) -> Result<usize, Error> {
        let capacity = claimed.min(self.input_len);
        self.budget.charge(capacity * SLOT)?;
        Ok(capacity)
    }

    /// Charges the room [`map`](Self::map) makes for `claimed` entries, and returns it (in
    /// entries).
    pub(super) fn charge_map(&self, claimed: usize) -> Result<usize, Error> {
        // Every entry takes at least two bytes of input.
        let capacity = claimed.min(self.input_len / 2);
        self.budget.charge(capacity * ENTRY)?;
        Ok(capacity)
    }

    fn resolve_wrapper(&self, wrapper: Value) -> Result<Value, Error> {
        let parts = match wrapper {
            Value::List(parts) => <[Value; 2]>::try_from(parts).ok(),
            _ => None,
        };
        let Some([typeid, data]) = parts else {
            return Err(invalid("__type__ must be a pair [typeid, data]"));
        };
        let typeid = typeid
            .as_u64()
            .ok_or_else(|| invalid(format_args!("invalid typeid {typeid}")))?;
        match self.format.serializers.slot(typeid) {
            Some(Slot::Named(type_name)) => {
                self.budget.charge(size_of::<Extension>())?;
                Ok(Value::Ext(Box::new(Extension {
                    type_name: type_name.clone(),
                    data,
                })))
            }
            Some(Slot::ServiceRef) => match data {
                Value::Str(path) => {
                    self.budget.charge(size_of::<ServiceRef>())?;
                    Ok(Value::from(ServiceRef {
                        path,
                        home: Home::Connection(self.format.connection_id),
                    }))
                }
                other => Err(invalid(format_args!(
                    "a service reference must be a path, got {other}"
                ))),
            },
            None => Err(invalid(format_args!(
                "no deserializer registered for typeid {typeid}"
            ))),
        }
    }
}

/// Refuses a list or map nested too deeply in an incoming message.
pub(super) fn check_nesting(depth: usize) -> Result<(), Error> {
    check_depth(depth).map_err(|err| invalid(err.message()))
}

fn invalid(message: impl fmt::Display) -> Error {
    Error::Deserialization(message.to_string())
}

/// How many slots a full buffer of `capacity` grows by: to 1, 4, 8, 16, ...
fn growth(capacity: usize) -> usize {
    match capacity {
        0 => 1,
        1 => 3,
        n => n,
    }
}

#[cold]
fn grow<T>(buffer: &mut Vec<T>, budget: &Budget) -> Result<(), Error> {
    let extra = growth(buffer.capacity());
    budget.charge(extra * size_of::<T>())?;
    buffer.reserve_exact(extra);
    Ok(())
}

/// The items of a list being decoded.
pub(super) struct ListBuilder<'d> {
    items: Growing<Value>,
    budget: &'d Budget,
}

impl ListBuilder<'_> {
    #[inline]
    pub(super) fn push(&mut self, item: Value) -> Result<(), Error> {
        self.budget.charge_scalar(&item)?;
        self.items.push(item, self.budget)
    }

    pub(super) fn finish(self) -> Value {
        Value::List(self.items.finish())
    }
}

/// A buffer that grows as [`grow`] charges (1, 4, 8, 16, ... slots), except that the
/// first item of an unsized one waits outside until a second comes: a one-item buffer is
/// allocated at its size and a longer one at four, once, not at one and then again at four.
/// What is charged, and when, is the same; what is allocated never exceeds it.
struct Growing<T> {
    buffer: Vec<T>,
    first: Option<T>,
}

impl<T> Growing<T> {
    fn with_capacity(capacity: usize) -> Self {
        Growing {
            buffer: Vec::with_capacity(capacity),
            first: None,
        }
    }

    #[inline]
    fn push(&mut self, item: T, budget: &Budget) -> Result<(), Error> {
        if self.buffer.len() < self.buffer.capacity() {
            self.buffer.push(item);
            Ok(())
        } else {
            self.push_growing(item, budget)
        }
    }

    fn push_growing(&mut self, item: T, budget: &Budget) -> Result<(), Error> {
        if self.buffer.capacity() == 0 {
            match self.first.take() {
                None => {
                    budget.charge(growth(0) * size_of::<T>())?;
                    self.first = Some(item);
                }
                Some(first) => {
                    let extra = growth(1);
                    budget.charge(extra * size_of::<T>())?;
                    self.buffer = Vec::with_capacity(1 + extra);
                    self.buffer.push(first);
                    self.buffer.push(item);
                }
            }
            return Ok(());
        }
        grow(&mut self.buffer, budget)?;
        self.buffer.push(item);
        Ok(())
    }

    fn finish(self) -> Vec<T> {
        match self.first {
            Some(first) => vec![first],
            None => self.buffer,
        }
    }
}

/// The entries of a map being decoded; a `"__type__"` key makes it an extension wrapper.
pub(super) struct MapBuilder<'d> {
    entries: Growing<(Value, Value)>,
    wrapper: Option<Value>,
    decoding: &'d Decoding<'d>,
}

impl MapBuilder<'_> {
    pub(super) fn insert(&mut self, key: Value, value: Value) -> Result<(), Error> {
        let budget = &self.decoding.budget;
        budget.charge_scalar(&key)?;
        budget.charge_scalar(&value)?;
        match key.as_str() {
            Some(TYPE_KEY) => self.wrapper = Some(value),
            Some(EXTENSION_TOKEN | SERVICE_REF_TOKEN | BIG_INT_TOKEN) => {
                return Err(invalid(format_args!("reserved key {key} in a map")));
            }
            _ => self.entries.push((key, value), budget)?,
        }
        Ok(())
    }

    /// The map, or the object its `"__type__"` wrapper stands for (Python treats any dict
    /// holding `"__type__"` as a wrapper and ignores its other keys).
    pub(super) fn finish(self) -> Result<Value, Error> {
        match self.wrapper {
            Some(wrapper) => self.decoding.resolve_wrapper(wrapper),
            None => Ok(Value::Map(self.entries.finish())),
        }
    }
}

/// Our errors inside serde: their message, without `Error`'s category prefix.
fn to_serde<E: de::Error>(err: Error) -> E {
    match err {
        Error::Deserialization(message) => E::custom(message),
        other => E::custom(other),
    }
}

/// Decodes one value at `depth` of nesting, through serde (the MsgPack codec).
#[derive(Clone, Copy)]
pub(super) struct DecodeSeed<'a> {
    pub(super) decoding: &'a Decoding<'a>,
    pub(super) depth: usize,
}

impl DecodeSeed<'_> {
    fn nested(self) -> Self {
        DecodeSeed {
            depth: self.depth + 1,
            ..self
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
        check_nesting(self.depth).map_err(to_serde)?;
        let claimed = seq.size_hint().unwrap_or(0);
        let mut items = self.decoding.list(claimed).map_err(to_serde)?;
        while let Some(item) = seq.next_element_seed(self.nested())? {
            items.push(item).map_err(to_serde)?;
        }
        Ok(items.finish())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        check_nesting(self.depth).map_err(to_serde)?;
        let claimed = map.size_hint().unwrap_or(0);
        let mut entries = self.decoding.map(claimed).map_err(to_serde)?;
        while let Some(key) = map.next_key_seed(self.nested())? {
            let value = map.next_value_seed(self.nested())?;
            entries.insert(key, value).map_err(to_serde)?;
        }
        entries.finish().map_err(to_serde)
    }
}
