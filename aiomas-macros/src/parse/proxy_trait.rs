//! `#[aiomas::proxy]`: a trait that declares the interface of a remote service.
//!
//! The trait is consumed (only its proxy is generated), so everything in it must describe a
//! remote call: `async fn` declarations without bodies for methods, non-async `fn name(&self)
//! -> OtherProxy;` for child services, and no generics, supertraits or `unsafe`, which a proxy
//! of one concrete interface has no use for.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{Item, ItemTrait, LitStr, ReturnType, TraitItem};

use super::attrs::take_helpers;
use super::method::{child_accessor, method};
use super::wire_names::WireNames;
use super::{docs, misplaced, Errors, Parsed, Site};
use crate::model::{Child, Interface};

pub fn proxy(attr: TokenStream, item: TokenStream) -> Parsed<Interface> {
    let selected = Parsed::annotated("#[aiomas::proxy]", attr, item, |item| match item {
        Item::Trait(tr) => Ok(tr),
        other => Err(misplaced(
            &other,
            "`#[aiomas::proxy]` goes on a trait that declares a remote interface: \
             `#[aiomas::proxy] trait Calculator { async fn add(&self, a: i64, b: i64) -> i64; }`",
        )),
    });
    let (tr, mut errors) = match selected {
        Ok(selected) => selected,
        Err(unusable) => return unusable,
    };
    let model = proxy_trait(tr, &mut errors);
    Parsed {
        item: TokenStream::new(), // consumed
        model,
        errors,
    }
}

fn proxy_trait(mut tr: ItemTrait, errors: &mut Errors) -> Option<Interface> {
    let before = errors.count();
    if !tr.generics.params.is_empty() || tr.generics.where_clause.is_some() {
        errors.at(
            &tr.generics,
            "a `#[aiomas::proxy]` trait cannot be generic: the proxy calls one concrete interface",
        );
    }
    if let Some(colon) = &tr.colon_token {
        errors.at(
            {
                let supertraits = &tr.supertraits;
                quote!(#colon #supertraits)
            },
            "a `#[aiomas::proxy]` trait cannot have supertraits: declare all remote methods in it",
        );
    }
    if let Some(unsafety) = &tr.unsafety {
        errors.at(unsafety, "a `#[aiomas::proxy]` trait cannot be `unsafe`");
    }
    if let Some(auto) = &tr.modifiers.auto_token {
        errors.at(auto, "a `#[aiomas::proxy]` trait cannot be `auto`");
    }
    let fatal = errors.count() > before;

    let mut methods = Vec::new();
    let mut children = Vec::new();
    let mut names = WireNames::default();
    for item in &mut tr.items {
        let f = match item {
            TraitItem::Fn(f) => f,
            other => {
                errors.at(
                    other,
                    "a `#[aiomas::proxy]` trait declares only methods: `async fn name(&self, ...) \
                     -> T;` for remote methods, `fn name(&self) -> OtherProxy;` for child services",
                );
                continue;
            }
        };
        let helpers = take_helpers(&mut f.attrs, &mut f.sig);
        for attr in &helpers.expose {
            errors.at(
                attr,
                "`#[expose]` is not needed in a `#[aiomas::proxy]` trait: every method is remote, \
                 and its name is the name on the wire",
            );
        }
        if let Some(body) = &f.default {
            errors.at(
                body,
                "remove the body: a `#[aiomas::proxy]` trait declares a remote interface, the \
                 method runs on the remote side",
            );
        }
        let wire_name = LitStr::new(&f.sig.ident.unraw().to_string(), f.sig.ident.span());
        let docs = docs(&f.attrs);
        if f.sig.asyncness.is_none()
            && f.sig.inputs.len() <= 1
            && f.sig.output != ReturnType::Default
        {
            helpers.no_param_helpers(errors);
            if let Some(ty) = child_accessor(Site::ProxyTrait, &f.sig, errors) {
                if names.claim(&wire_name, &f.sig.ident, errors) {
                    children.push(Child {
                        rust_name: f.sig.ident.clone(),
                        wire_name,
                        service_ty: None,
                        proxy_ty: ty,
                        docs,
                    });
                }
            }
        } else if f.sig.asyncness.is_none() {
            errors.at(
                {
                    let (fn_token, ident) = (&f.sig.fn_token, &f.sig.ident);
                    quote!(#fn_token #ident)
                },
                "remote methods are declared `async fn` (a non-async method declares a child \
                 service: `fn name(&self) -> OtherProxy;`)",
            );
        } else if let Some(method) = method(
            Site::ProxyTrait,
            &f.sig,
            helpers.params,
            wire_name,
            docs,
            errors,
        ) {
            if names.claim(&method.wire_name, &f.sig.ident, errors) {
                methods.push(method);
            }
        }
    }
    if fatal {
        return None;
    }
    let mut docs = docs(&tr.attrs);
    if docs.is_empty() {
        let line = format!(
            "Typed proxy for the remote interface `{}`.",
            tr.ident.unraw()
        );
        docs.push(syn::parse_quote!(#[doc = #line]));
    }
    Some(Interface {
        vis: tr.vis,
        proxy_name: format_ident!("{}Proxy", tr.ident.unraw(), span = tr.ident.span()),
        docs,
        methods,
        children,
    })
}
