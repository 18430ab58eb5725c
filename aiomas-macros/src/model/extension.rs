//! The model of `#[derive(aiomas::ExtensionType)]`.

use proc_macro2::Ident;
use syn::{Attribute, Fields, LitStr};

/// A struct that travels as an extra-serializer object, `{"__type__": [typeid, data]}`.
pub struct ExtensionType {
    pub ident: Ident,
    /// The name both sides register the type under.
    pub name: LitStr,
    /// The struct's own `#[serde(...)]` attributes (e.g. `rename_all`), for its data.
    pub serde_attrs: Vec<Attribute>,
    /// The fields, with only their `#[serde(...)]` attributes, for the data's shape.
    pub fields: Fields,
}
