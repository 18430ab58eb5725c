//! From syn syntax to the validated [`model`](crate::model).
//!
//! Every misuse becomes a `syn::Error` at the offending token, with a message that says how to
//! fix it. Errors are collected rather than returned early, and a method with errors is left out
//! of the model while the rest is still generated: one mistake should produce one error, not a
//! cascade of "cannot find `CalculatorProxy`" follow-ups.
//!
//! This module holds what every check shares (the error collector, the annotated item, the
//! [`Site`] a signature is checked for); the checks themselves live in the submodules:
//!
//! - [`service`](mod@service): `#[aiomas::service]` / `#[aiomas::agent]` on an inherent impl
//!   block;
//! - [`proxy_trait`]: `#[aiomas::proxy]` on a trait declaring a remote interface;
//! - [`attrs`]: our helper attributes, taken off the user's items (`#[expose(...)]`, and
//!   `#[default]`, `#[args]`, `#[kwargs]` on parameters);
//! - [`lifecycle`]: an agent's `#[on_start]`, `#[on_stop]` and `#[spawn]` methods;
//! - [`method`]: one remote method or child accessor: receiver, qualifiers, return type;
//! - [`params`]: its parameters and their kinds (required, optional, default, rest);
//! - [`types`]: what a type must be to cross the wire (owned, no `impl Trait`), and the
//!   syntactic look at `Option<T>` and `Result<T, E>`;
//! - [`self_ty`]: `Self` in a signature, replaced by the service type for the proxy;
//! - [`wire_names`]: one name on the wire per method or child.

mod attrs;
mod lifecycle;
mod method;
mod params;
mod proxy_trait;
mod self_ty;
mod service;
mod types;
mod wire_names;

pub use proxy_trait::proxy;
pub use service::service;

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{Attribute, Error, Item};

/// Errors collected while parsing; rendered next to whatever could still be generated.
#[derive(Default)]
pub struct Errors(Option<Error>);

impl Errors {
    pub fn push(&mut self, err: Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    fn at(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(Error::new_spanned(tokens, message));
    }

    fn count(&self) -> usize {
        self.0.as_ref().map_or(0, |err| err.into_iter().count())
    }

    pub fn to_compile_error(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(Error::to_compile_error)
            .unwrap_or_default()
    }
}

/// The result of parsing one annotated item.
pub struct Parsed<T> {
    /// The item to re-emit, with our helper attributes stripped (empty for a consumed trait).
    pub item: TokenStream,
    /// What to generate; `None` when the item as a whole is unusable.
    pub model: Option<T>,
    pub errors: Errors,
}

impl<T> Parsed<T> {
    /// The item `attr` (written `attr_name`, and taking no arguments) annotates, as `select`
    /// takes it. An item `select` refuses (see [`misplaced`]), or one syn cannot parse, is
    /// reported and comes back untouched as the unusable result.
    fn annotated<I>(
        attr_name: &str,
        attr: TokenStream,
        item: TokenStream,
        select: impl FnOnce(Item) -> syn::Result<I>,
    ) -> Result<(I, Errors), Self> {
        let mut errors = Errors::default();
        no_arguments(attr_name, attr, &mut errors);
        match syn::parse2::<Item>(item.clone()).and_then(select) {
            Ok(selected) => Ok((selected, errors)),
            Err(err) => {
                errors.push(err);
                Err(Parsed {
                    item,
                    model: None,
                    errors,
                })
            }
        }
    }
}

/// The error for an attribute on the wrong kind of item, at the item's head (`struct Foo`).
fn misplaced(item: &Item, message: impl std::fmt::Display) -> Error {
    Error::new_spanned(item_head(item), message)
}

/// Where a signature is validated: messages differ between implementing and declaring.
#[derive(Clone, Copy)]
enum Site {
    Service,
    ProxyTrait,
}

impl Site {
    fn methods(self) -> &'static str {
        match self {
            Site::Service => "exposed methods",
            Site::ProxyTrait => "remote methods",
        }
    }
}

const EXPOSE_ELSEWHERE: &str = "`#[expose]` only works on methods inside an impl block annotated \
                                with `#[aiomas::service]` or `#[aiomas::agent]`";

/// The message of the standalone `#[expose]` attribute (it only ever reports misuse).
pub fn expose_elsewhere() -> &'static str {
    EXPOSE_ELSEWHERE
}

fn no_arguments(attr: &str, args: TokenStream, errors: &mut Errors) {
    if !args.is_empty() {
        errors.at(args, format!("`{attr}` takes no arguments: write `{attr}`"));
    }
}

/// The tokens naming an item (`struct Foo`), to point at in an error.
fn item_head(item: &Item) -> TokenStream {
    fn head(keyword: impl ToTokens, name: impl ToTokens) -> TokenStream {
        quote!(#keyword #name)
    }
    match item {
        Item::Struct(i) => head(i.struct_token, &i.ident),
        Item::Enum(i) => head(i.enum_token, &i.ident),
        Item::Union(i) => head(i.union_token, &i.ident),
        Item::Fn(i) => head(i.sig.fn_token, &i.sig.ident),
        Item::Trait(i) => head(i.trait_token, &i.ident),
        Item::Mod(i) => head(i.mod_token, &i.ident),
        Item::Const(i) => head(i.const_token, &i.ident),
        Item::Static(i) => head(i.static_token, &i.ident),
        Item::Type(i) => head(i.type_token, &i.ident),
        Item::Impl(i) => head(i.impl_token, &i.self_ty),
        other => other.to_token_stream(),
    }
}

/// The `#[doc]` attributes of an item, copied to what is generated from it.
fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect()
}
