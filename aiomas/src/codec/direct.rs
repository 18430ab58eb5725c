//! What the codecs that decode content straight into its typed target share: the message
//! found by a frame's scan ([`Plain`]), and the map key that a struct's field name is matched
//! against without a copy ([`Key`]).
//!
//! [`super::json_direct`] and [`super::msgpack_direct`] each scan their own format; a frame
//! that passes keeps its result, or each argument of its request, as a range of the frame,
//! decoded later with exactly the semantics of [`Value`]'s own deserializer.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::{self, Visitor};
use smallvec::SmallVec;
use smol_str::SmolStr;

use super::decode::TYPE_KEY;
use crate::value::{Value, BIG_INT_TOKEN, EXTENSION_TOKEN, SERVICE_REF_TOKEN};
use crate::Error;

/// The message types whose content may stay in the frame.
pub(super) const REQUEST: i64 = 0;
pub(super) const RESULT: i64 = 1;

/// What a frame's scan found: the message and where its content is.
pub(super) struct Plain {
    pub(super) msg_type: u8,
    pub(super) msg_id: u64,
    pub(super) content: PlainContent,
}

/// Where each positional argument of a call is in its frame: up to two (most calls) inline,
/// in no more room than a `Vec` takes, as offsets that fit a `u32` (see [`fits_arg_ranges`]).
pub(super) type ArgRanges = SmallVec<[Range<u32>; 2]>;

/// Whether a body's offsets fit [`ArgRanges`]: the parsers read a call's arguments in place
/// only then (a larger body is decoded in full, as any other message).
pub(super) fn fits_arg_ranges(body: &[u8]) -> bool {
    u32::try_from(body.len()).is_ok()
}

/// An [`ArgRanges`] range as a range of its body.
pub(super) fn in_body(range: &Range<u32>) -> Range<usize> {
    range.start as usize..range.end as usize
}

/// `range` of a body that [`fits_arg_ranges`], as [`ArgRanges`] keeps it.
pub(super) fn arg_range(range: Range<usize>) -> Range<u32> {
    let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
    offset(range.start)..offset(range.end)
}

pub(super) enum PlainContent {
    /// A result's content.
    Result(Range<usize>),
    /// A request's content `[path, args, kwargs]`: the path, and where each argument is.
    Call {
        path: SmolStr,
        args: ArgRanges,
        kwargs: Vec<(String, Range<usize>)>,
    },
}

/// Whether a map key makes the full decode resolve the map (a `"__type__"` wrapper) or refuse
/// it (a key only our own `Value` deserializer emits): such frames are left to it.
pub(super) fn is_special_key(key: &str) -> bool {
    matches!(
        key,
        TYPE_KEY | EXTENSION_TOKEN | SERVICE_REF_TOKEN | BIG_INT_TOKEN
    )
}

/// A string map key: a struct's field name is matched without a copy; every other target gets
/// the key's [`Value`] string.
pub(super) struct Key<'a>(pub(super) Cow<'a, str>);

macro_rules! key_as_value {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            Value::Str(self.0.into_owned()).$method($($arg,)* visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'_> {
    type Error = Error;

    /// `Value`'s identifier is its string: `visit_string`, which field visitors take as
    /// `visit_str`.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(&self.0)
    }

    key_as_value! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16();
        deserialize_i32(); deserialize_i64(); deserialize_i128(); deserialize_u8();
        deserialize_u16(); deserialize_u32(); deserialize_u64(); deserialize_u128();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str();
        deserialize_string(); deserialize_bytes(); deserialize_byte_buf(); deserialize_option();
        deserialize_unit(); deserialize_seq(); deserialize_map(); deserialize_ignored_any();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }
}

/// The `Deserializer` methods an in-place deserializer shares with [`Value`]'s: those that
/// treat a list or map as `deserialize_any` does walk it (a container is entered there), and
/// hand a scalar to its `Value`. Expanded inside `impl Deserializer for &mut T`, where `T` has
/// `container()` (what the container at the cursor is, `None` at a scalar), `scalar()` (the
/// scalar at the cursor as a `Value`), `visit_scalar(visitor, by_value)` (the scalar at the
/// cursor visited as `by_value` visits its `Value`; common scalars may skip the `Value`) and
/// `skip()` (steps past the value at the cursor).
///
/// `by_value` is the `Value` deserializer's method the caller asked for. For every scalar of a
/// scanned frame but a big integer (no extension object is left in one), that method hands the
/// scalar over as `deserialize_any` does, so a number, string or bool may go to the visitor as
/// it is.
macro_rules! in_place {
    () => {
        $crate::codec::direct::in_place! { like_any:
            deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
            deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16();
            deserialize_u32(); deserialize_u64(); deserialize_u128(); deserialize_f32();
            deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
            deserialize_bytes(); deserialize_byte_buf(); deserialize_seq(); deserialize_map();
            deserialize_identifier(); deserialize_tuple(len: usize);
            deserialize_tuple_struct(name: &'static str, len: usize);
            deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        }

        fn deserialize_option<V: ::serde::de::Visitor<'de>>(
            self,
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            match self.container() {
                Some(_) => visitor.visit_some(self),
                None => self.scalar()?.deserialize_option(visitor),
            }
        }

        fn deserialize_unit<V: ::serde::de::Visitor<'de>>(
            self,
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            match self.container() {
                Some(unexpected) => Err(::serde::de::Error::invalid_type(unexpected, &visitor)),
                None => self.scalar()?.deserialize_unit(visitor),
            }
        }

        fn deserialize_unit_struct<V: ::serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            self.deserialize_unit(visitor)
        }

        fn deserialize_newtype_struct<V: ::serde::de::Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            use $crate::value::{EXTENSION_TOKEN, SERVICE_REF_TOKEN};
            match self.container() {
                // A scanned frame holds no extension objects or service references.
                Some(unexpected) if matches!(name, EXTENSION_TOKEN | SERVICE_REF_TOKEN) => {
                    Err(::serde::de::Error::invalid_type(unexpected, &visitor))
                }
                Some(_) => visitor.visit_newtype_struct(self),
                None => self.scalar()?.deserialize_newtype_struct(name, visitor),
            }
        }

        fn deserialize_ignored_any<V: ::serde::de::Visitor<'de>>(
            self,
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            self.skip()?;
            visitor.visit_unit()
        }
    };
    (like_any: $($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: ::serde::de::Visitor<'de>>(
            self,
            $($arg: $ty,)*
            visitor: V,
        ) -> ::core::result::Result<V::Value, $crate::Error> {
            match self.container() {
                Some(_) => self.deserialize_any(visitor),
                None => self.visit_scalar(visitor, |value, visitor| {
                    value.$method($($arg,)* visitor)
                }),
            }
        }
    )*};
}
pub(super) use in_place;

/// The shared fixtures of the direct-decode tests.
#[cfg(test)]
pub(super) mod fixtures;
