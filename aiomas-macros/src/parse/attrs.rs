//! Our helper attributes: `#[expose(...)]` on methods, and `#[default]`, `#[args]` and
//! `#[kwargs]` on their parameters.
//!
//! They are not real attributes (the service macro consumes them, like a derive's helper
//! attributes), so they are taken off every method before anything else is checked: left on,
//! each would add a "cannot find attribute" error to the one that matters. This module reads
//! `#[expose(name = "...", child)]` and reports helpers where they have no effect; what a
//! parameter attribute means is decided with its parameter, in [`params`](super::params).

use quote::ToTokens;
use syn::{Attribute, Error, FnArg, LitStr, Meta, Signature};

use super::Errors;

/// The arguments of `#[expose(...)]`.
pub(super) struct Expose {
    /// `name = "..."`: the name on the wire, checked to be usable in a request path.
    pub(super) name: Option<LitStr>,
    /// `child`: the method returns a child service.
    pub(super) child: bool,
}

/// Our attributes, taken off one method and its parameters.
pub(super) struct Helpers {
    pub(super) expose: Vec<Attribute>,
    /// `#[on_start]`, `#[on_stop]` and `#[spawn]` (agents only; see [`lifecycle`](super::lifecycle)).
    pub(super) lifecycle: Vec<Attribute>,
    /// Per parameter (the receiver included), `#[default]`, `#[args]` and `#[kwargs]`.
    pub(super) params: Vec<Vec<Attribute>>,
}

fn is_expose(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|seg| seg.ident == "expose")
}

fn is_param_helper(attr: &Attribute) -> bool {
    ["default", "args", "kwargs"]
        .iter()
        .any(|name| attr.path().is_ident(name))
}

/// Takes our attributes off a method (`attrs`) and its parameters (in `sig`).
pub(super) fn take_helpers(attrs: &mut Vec<Attribute>, sig: &mut Signature) -> Helpers {
    let (expose, rest): (Vec<_>, Vec<_>) = attrs.drain(..).partition(is_expose);
    let (lifecycle, rest) = rest.into_iter().partition(super::lifecycle::is_lifecycle);
    *attrs = rest;
    let params = sig
        .inputs
        .iter_mut()
        .map(|arg| {
            let attrs = match arg {
                FnArg::Receiver(r) => &mut r.attrs,
                FnArg::Typed(t) => &mut t.attrs,
            };
            let (ours, rest) = attrs.drain(..).partition(is_param_helper);
            *attrs = rest;
            ours
        })
        .collect();
    Helpers {
        expose,
        lifecycle,
        params,
    }
}

impl Helpers {
    /// `Some(None)`: not exposed; `None`: the attribute is broken (reported).
    pub(super) fn expose(&self, errors: &mut Errors) -> Option<Option<Expose>> {
        let mut found = None;
        let mut ok = true;
        for attr in &self.expose {
            if found.is_some() {
                errors.at(attr, "duplicate `#[expose]`: one per method is enough");
                ok = false;
                continue;
            }
            match expose_args(attr) {
                Ok(expose) => found = Some(expose),
                Err(err) => {
                    errors.push(err);
                    ok = false;
                }
            }
        }
        ok.then_some(found)
    }

    /// Parameter attributes on a method that is not exposed do nothing: say so.
    pub(super) fn no_param_helpers(&self, errors: &mut Errors) {
        for attr in self.params.iter().flatten() {
            errors.at(
                attr,
                format!(
                    "`#[{}]` only has an effect on parameters of `#[expose]`d methods",
                    attr.path().to_token_stream()
                ),
            );
        }
    }
}

fn expose_args(attr: &Attribute) -> syn::Result<Expose> {
    let mut expose = Expose {
        name: None,
        child: false,
    };
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(list) => list.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let name: LitStr = meta.value()?.parse()?;
                if expose.name.is_some() {
                    return Err(meta.error("`name` is given twice"));
                }
                let value = name.value();
                if value.is_empty() || value.contains('/') {
                    return Err(Error::new(
                        name.span(),
                        "a wire name must be non-empty and cannot contain `/` (it separates \
                         the segments of a request path)",
                    ));
                }
                expose.name = Some(name);
            } else if meta.path.is_ident("child") {
                if expose.child {
                    return Err(meta.error("`child` is given twice"));
                }
                expose.child = true;
            } else {
                return Err(meta.error(format!(
                    "unknown `expose` argument `{}`; expected `name = \"...\"` (the name on the \
                     wire) or `child` (a child service)",
                    meta.path.to_token_stream()
                )));
            }
            Ok(())
        })?,
        Meta::NameValue(nv) => {
            return Err(Error::new_spanned(
                nv,
                "write `#[expose(name = \"...\")]` to rename an exposed method",
            ))
        }
    }
    Ok(expose)
}
