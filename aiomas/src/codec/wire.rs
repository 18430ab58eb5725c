//! Any serializable value straight into a codec's serializer, Python-shaped on the way.
//!
//! [`Wired`] wraps a value so that serializing it through serde_json, rmp_serde or a custom
//! codec's serializer writes what `to_value` followed by the codec would write, in one pass:
//! extension objects and service references become `{"__type__": [typeid, data]}` (the
//! connection's [`Serializers`](super::Serializers) give the typeid), enums and `f32`s take the
//! shapes a [`Value`](crate::Value) gives them, nesting is bounded by [`MAX_DEPTH`](super::MAX_DEPTH),
//! and what a format cannot carry (bytes in JSON, integers beyond 64 bits in MsgPack) fails
//! with the same error as through a `Value`. Struct field names are written as they are,
//! without allocating.

use std::cell::RefCell;
use std::fmt::Display;

use serde::ser::{self, Impossible, Serialize, SerializeMap, Serializer};

use super::{check_depth, WireFormat};
use crate::value::{
    service_ref_from_value, to_value, Value, BIG_INT_TOKEN, EXTENSION_TOKEN, SERVICE_REF_TOKEN,
};
use crate::Error;

/// What the target format can carry natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// Python's JSON: `NaN`/`Infinity` and integers of any size as raw tokens, string keys.
    Json,
    /// MsgPack: bytes as `bin`, integers of at most 64 bits.
    MsgPack,
    /// A custom codec's format: the data model as it is (i128, bytes, floats passed through).
    Plain,
}

/// Where a codec writes one message: its serializer, fed a [`Wired`] message.
pub(super) trait Sink {
    /// What the format carries.
    const FLAVOR: Flavor;
    /// Serializes `message`; `raw` is the token slot of [`Ctx::raw`].
    fn write(self, message: &impl Serialize, raw: &RefCell<String>) -> Result<(), Error>;
}

/// Writes `[msg_type, msg_id, content]` (with an `envelope`) or `content` alone into `sink`.
pub(super) fn encode<K: Sink, C: Serialize + ?Sized>(
    sink: K,
    format: &WireFormat,
    envelope: Option<(u8, u64)>,
    content: &C,
) -> Result<(), Error> {
    let raw = RefCell::default();
    let ctx = Ctx {
        format,
        flavor: K::FLAVOR,
        raw: &raw,
    };
    match envelope {
        Some((msg_type, msg_id)) => {
            let content = wired(&ctx, content, 1);
            sink.write(&(msg_type, msg_id, content), &raw)
        }
        None => sink.write(&wired(&ctx, content, 0), &raw),
    }
}

/// What serializing one message shares.
pub(super) struct Ctx<'c> {
    pub(super) format: &'c WireFormat,
    pub(super) flavor: Flavor,
    /// JSON only: the token the formatter writes instead of the next `null`.
    pub(super) raw: &'c RefCell<String>,
}

/// `value` at `depth` containers deep, ready to be serialized into the target format.
pub(super) struct Wired<'c, T: ?Sized> {
    pub(super) value: &'c T,
    pub(super) ctx: &'c Ctx<'c>,
    pub(super) depth: usize,
}

impl<T: Serialize + ?Sized> Serialize for Wired<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Intercept {
            s,
            ctx: self.ctx,
            depth: self.depth,
        })
    }
}

fn wired<'c, T: ?Sized>(ctx: &'c Ctx<'c>, value: &'c T, depth: usize) -> Wired<'c, T> {
    Wired { value, ctx, depth }
}

/// Our errors inside serde, by their message (the category is restored at the top).
fn custom<E: ser::Error>(err: Error) -> E {
    E::custom(err.message())
}

fn depth_error<E: ser::Error>(depth: usize) -> Result<(), E> {
    check_depth(depth).map_err(custom)
}

/// Python's `json.dumps` spelling of a non-finite float.
fn non_finite_token(f: f64) -> &'static str {
    if f.is_nan() {
        "NaN"
    } else if f > 0.0 {
        "Infinity"
    } else {
        "-Infinity"
    }
}

fn out_of_range<E: ser::Error>(digits: impl Display) -> E {
    // Python's msgpack raises `OverflowError: Integer value out of range` here.
    E::custom(format_args!(
        "Integer value out of range: {digits} (MsgPack carries integers of at most 64 bits)"
    ))
}

/// The serializer of one value: forwards to the target's serializer `s`, reshaping on the way.
struct Intercept<'c, S> {
    s: S,
    ctx: &'c Ctx<'c>,
    depth: usize,
}

impl<'c, S: Serializer> Intercept<'c, S> {
    fn raw_token(self, token: &str) -> Result<S::Ok, S::Error> {
        self.ctx.raw.borrow_mut().push_str(token);
        self.s.serialize_unit()
    }

    fn int128(self, v: i128) -> Result<S::Ok, S::Error> {
        if let Ok(i) = i64::try_from(v) {
            return self.s.serialize_i64(i);
        }
        if let Ok(u) = u64::try_from(v) {
            return self.s.serialize_u64(u);
        }
        match self.ctx.flavor {
            Flavor::MsgPack => Err(out_of_range(v)),
            Flavor::Json | Flavor::Plain => self.s.serialize_i128(v),
        }
    }

    /// A container `open`ed on the target, `levels` containers deep (a variant's is two: the
    /// `{variant: ...}` map and its own); its items are one level further in.
    fn compound<C>(
        self,
        levels: usize,
        open: impl FnOnce(S) -> Result<C, S::Error>,
    ) -> Result<Compound<'c, C>, S::Error> {
        for level in 0..levels {
            depth_error(self.depth + level)?;
        }
        Ok(Compound::new(open(self.s)?, self.ctx, self.depth + levels))
    }

    /// `{"__type__": [typeid, data]}` around `data`.
    fn type_wrapper<D: Serialize + ?Sized>(
        self,
        typeid: usize,
        data: &D,
    ) -> Result<S::Ok, S::Error> {
        // The wrapper is two levels: the map and the [typeid, data] list.
        depth_error(self.depth + 1)?;
        let mut map = self.s.serialize_map(Some(1))?;
        map.serialize_entry("__type__", &(typeid, wired(self.ctx, data, self.depth + 2)))?;
        map.end()
    }

    /// A service reference from its parts `[path, kind, id]`.
    fn service(self, parts: Value) -> Result<S::Ok, S::Error> {
        let service = service_ref_from_value(parts).map_err(custom)?;
        let (typeid, path) = self.ctx.format.service_wrapper(&service).map_err(custom)?;
        depth_error(self.depth + 1)?;
        let mut map = self.s.serialize_map(Some(1))?;
        map.serialize_entry("__type__", &(typeid, path))?;
        map.end()
    }
}

macro_rules! forward {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.s.$method($($arg),*)
        }
    )*};
}

impl<'c, S: Serializer> Serializer for Intercept<'c, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'c, S::SerializeSeq>;
    type SerializeTuple = Compound<'c, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'c, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'c, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'c, S::SerializeMap>;
    type SerializeStruct = Compound<'c, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'c, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_none();
        serialize_unit();
    }

    /// `Value`s are built from human-readable serializations (`to_value`); so is the wire.
    fn is_human_readable(&self) -> bool {
        true
    }

    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.int128(v)
    }

    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        match i128::try_from(v) {
            Ok(i) => self.int128(i),
            Err(_) if self.ctx.flavor == Flavor::MsgPack => Err(out_of_range(v)),
            Err(_) => self.s.serialize_u128(v),
        }
    }

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        match self.ctx.flavor {
            // Python writes NaN/Infinity/-Infinity here (its default `allow_nan=True`).
            Flavor::Json if !v.is_finite() => self.raw_token(non_finite_token(v)),
            _ => self.s.serialize_f64(v),
        }
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        match self.ctx.flavor {
            Flavor::Json => Err(ser::Error::custom(
                "No serializer found for type \"bytes\" (JSON cannot carry bytes; use a MsgPack codec)",
            )),
            _ => self.s.serialize_bytes(v),
        }
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        v.serialize(self)
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<S::Ok, S::Error> {
        self.s.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.s.serialize_str(variant)
    }

    fn collect_str<T: Display + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.s.collect_str(v)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        match name {
            EXTENSION_TOKEN => v.serialize(ExtensionParts(self)),
            SERVICE_REF_TOKEN => {
                let parts = to_value(v).map_err(custom)?;
                self.service(parts)
            }
            BIG_INT_TOKEN => {
                let digits = to_value(v).map_err(custom)?;
                let digits = digits.as_str().unwrap_or_default();
                match self.ctx.flavor {
                    Flavor::Json => self.raw_token(digits),
                    Flavor::MsgPack => Err(out_of_range(digits)),
                    Flavor::Plain => Err(ser::Error::custom(format_args!(
                        "the integer {digits} is beyond 128 bits; only the JSON codec carries it"
                    ))),
                }
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
    ) -> Result<S::Ok, S::Error> {
        depth_error(self.depth)?;
        let mut map = self.s.serialize_map(Some(1))?;
        map.serialize_entry(variant, &wired(self.ctx, v, self.depth + 1))?;
        map.end()
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.compound(1, |s| s.serialize_seq(len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.compound(1, |s| s.serialize_tuple(len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.compound(1, |s| s.serialize_tuple_struct(name, len))
    }

    /// `{variant: [fields]}`, as serde_json, rmp_serde and `to_value` write it.
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.compound(2, |s| s.serialize_tuple_variant(name, index, variant, len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.compound(1, |s| s.serialize_map(len))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.compound(1, |s| s.serialize_struct(name, len))
    }

    /// `{variant: {fields}}`.
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.compound(2, |s| s.serialize_struct_variant(name, index, variant, len))
    }
}

/// A container of the target format whose items are [`Wired`] in turn.
pub(super) struct Compound<'c, C> {
    inner: C,
    ctx: &'c Ctx<'c>,
    /// The depth of the items.
    depth: usize,
}

impl<'c, C> Compound<'c, C> {
    fn new(inner: C, ctx: &'c Ctx<'c>, depth: usize) -> Self {
        Compound { inner, ctx, depth }
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
                self.inner.$method(&wired(self.ctx, v, self.depth))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}
compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! compound_fields {
    ($($trait:ident),*) => {$(
        impl<C: ser::$trait> ser::$trait for Compound<'_, C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                v: &T,
            ) -> Result<(), C::Error> {
                self.inner.serialize_field(key, &wired(self.ctx, v, self.depth))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.inner.end()
            }
        }
    )*};
}
compound_fields!(SerializeStruct, SerializeStructVariant);

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        match self.ctx.flavor {
            Flavor::Json => self.inner.serialize_key(&JsonKey(key)),
            _ => self.inner.serialize_key(&wired(self.ctx, key, self.depth)),
        }
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), C::Error> {
        self.inner.serialize_value(&wired(self.ctx, v, self.depth))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

const MALFORMED_EXTENSION: &str = "malformed extension value";

/// The parts `(type_name, data)` of an extension object, written as its wrapper.
struct ExtensionParts<'c, S>(Intercept<'c, S>);

/// Where [`ExtensionParts`] is between its two parts.
struct ExtensionTuple<'c, S: Serializer> {
    target: Option<Intercept<'c, S>>,
    typeid: Option<usize>,
    written: Option<S::Ok>,
}

impl<'c, S: Serializer> ser::SerializeTuple for ExtensionTuple<'c, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), S::Error> {
        match (self.typeid, self.target.take()) {
            (None, Some(target)) => {
                let name = to_value(v).map_err(custom)?;
                let name = name.as_str().unwrap_or_default();
                self.typeid = Some(target.ctx.format.typeid_of(name).map_err(custom)?);
                self.target = Some(target);
                Ok(())
            }
            (Some(typeid), Some(target)) => {
                self.written = Some(target.type_wrapper(typeid, v)?);
                Ok(())
            }
            _ => Err(ser::Error::custom(MALFORMED_EXTENSION)),
        }
    }
    fn end(self) -> Result<S::Ok, S::Error> {
        self.written
            .ok_or_else(|| ser::Error::custom(MALFORMED_EXTENSION))
    }
}

/// Fails every shape but the one a serializer expects, with `$message`: each method as
/// `name(argument types) -> what it would return`.
macro_rules! refuse {
    ($message:expr; $($method:ident($($ty:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $ty),*) -> Result<$ret, Self::Error> {
            Err(ser::Error::custom($message))
        }
    )*};
}

/// Refuses what is not a compound, for serializers that take one shape: lists with `$list`,
/// the others with `$message`.
macro_rules! refuse_compounds {
    ($list:expr, $message:expr) => {
        refuse! { $list;
            serialize_seq(Option<usize>) -> Self::SerializeSeq;
            serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        }
        refuse! { $message;
            serialize_tuple_variant(&'static str, u32, &'static str, usize)
                -> Self::SerializeTupleVariant;
            serialize_map(Option<usize>) -> Self::SerializeMap;
            serialize_struct(&'static str, usize) -> Self::SerializeStruct;
            serialize_struct_variant(&'static str, u32, &'static str, usize)
                -> Self::SerializeStructVariant;
        }
    };
}

impl<'c, S: Serializer> Serializer for ExtensionParts<'c, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = ExtensionTuple<'c, S>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    refuse! { MALFORMED_EXTENSION;
        serialize_bool(bool) -> S::Ok; serialize_i8(i8) -> S::Ok; serialize_i16(i16) -> S::Ok;
        serialize_i32(i32) -> S::Ok; serialize_i64(i64) -> S::Ok; serialize_u8(u8) -> S::Ok;
        serialize_u16(u16) -> S::Ok; serialize_u32(u32) -> S::Ok; serialize_u64(u64) -> S::Ok;
        serialize_f32(f32) -> S::Ok; serialize_f64(f64) -> S::Ok; serialize_char(char) -> S::Ok;
        serialize_str(&str) -> S::Ok; serialize_bytes(&[u8]) -> S::Ok; serialize_none() -> S::Ok;
        serialize_unit() -> S::Ok; serialize_unit_struct(&'static str) -> S::Ok;
        serialize_unit_variant(&'static str, u32, &'static str) -> S::Ok;
    }
    refuse_compounds!(MALFORMED_EXTENSION, MALFORMED_EXTENSION);

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(MALFORMED_EXTENSION))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(MALFORMED_EXTENSION))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(MALFORMED_EXTENSION))
    }
    fn serialize_tuple(self, len: usize) -> Result<ExtensionTuple<'c, S>, S::Error> {
        if len != 2 {
            return Err(ser::Error::custom(MALFORMED_EXTENSION));
        }
        Ok(ExtensionTuple {
            target: Some(self.0),
            typeid: None,
            written: None,
        })
    }
}

/// A JSON object key: like Python's `json.dumps`, scalars are converted to strings.
struct JsonKey<'k, T: ?Sized>(&'k T);

impl<T: Serialize + ?Sized> Serialize for JsonKey<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(KeyAdapter(s))
    }
}

/// Integer keys as serde_json writes them (quoted), from the widest type of their kind.
macro_rules! widen {
    ($($method:ident($ty:ty) => $target:ident($wide:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.0.$target(<$wide>::from(v))
        }
    )*};
}

/// The key serializer behind [`JsonKey`]; `S` is serde_json's own key serializer.
struct KeyAdapter<S>(S);

fn not_a_key(type_name: &str) -> String {
    format!("keys must be str, int, float, bool or None, not {type_name}")
}

impl<S: Serializer> Serializer for KeyAdapter<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Impossible<S::Ok, S::Error>;
    type SerializeTuple = Impossible<S::Ok, S::Error>;
    type SerializeTupleStruct = Impossible<S::Ok, S::Error>;
    type SerializeTupleVariant = Impossible<S::Ok, S::Error>;
    type SerializeMap = Impossible<S::Ok, S::Error>;
    type SerializeStruct = Impossible<S::Ok, S::Error>;
    type SerializeStructVariant = Impossible<S::Ok, S::Error>;

    fn serialize_bool(self, v: bool) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(if v { "true" } else { "false" })
    }
    widen! {
        serialize_i8(i8) => serialize_i64(i64);
        serialize_i16(i16) => serialize_i64(i64);
        serialize_i32(i32) => serialize_i64(i64);
        serialize_i64(i64) => serialize_i64(i64);
        serialize_u8(u8) => serialize_u64(u64);
        serialize_u16(u16) => serialize_u64(u64);
        serialize_u32(u32) => serialize_u64(u64);
        serialize_u64(u64) => serialize_u64(u64);
    }
    fn serialize_i128(self, v: i128) -> Result<S::Ok, S::Error> {
        self.0.collect_str(&v)
    }
    fn serialize_u128(self, v: u128) -> Result<S::Ok, S::Error> {
        self.0.collect_str(&v)
    }
    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            self.0.serialize_str(&format!("{v:?}"))
        } else {
            Err(ser::Error::custom(not_a_key("float")))
        }
    }
    fn serialize_char(self, v: char) -> Result<S::Ok, S::Error> {
        self.0.serialize_char(v)
    }
    fn serialize_str(self, v: &str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(v)
    }
    fn collect_str<T: Display + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        self.0.collect_str(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(not_a_key("bytes")))
    }
    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_str("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<S::Ok, S::Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.0.serialize_str("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<S::Ok, S::Error> {
        self.0.serialize_str("null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<S::Ok, S::Error> {
        match name {
            EXTENSION_TOKEN => Err(ser::Error::custom(not_a_key("extension"))),
            SERVICE_REF_TOKEN => Err(ser::Error::custom(not_a_key("service"))),
            BIG_INT_TOKEN => {
                let digits = to_value(v).map_err(custom)?;
                self.0.serialize_str(digits.as_str().unwrap_or_default())
            }
            _ => v.serialize(self),
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom(not_a_key("dict")))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, S::Error> {
        Err(ser::Error::custom(not_a_key("list")))
    }
    refuse_compounds!(not_a_key("list"), not_a_key("dict"));
}
