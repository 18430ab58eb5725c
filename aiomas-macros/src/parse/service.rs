//! `#[aiomas::service]` and `#[aiomas::agent]`: an inherent impl block of one concrete, named
//! type.
//!
//! The router is implemented for the type itself, so a trait impl or a generic type is refused.
//! Every method's helper attributes are taken off before anything is checked, so that even an
//! unusable impl is re-emitted without them (they would otherwise add "cannot find attribute"
//! errors). Methods without `#[expose]` are remembered, so that calling one answers "is not
//! exposed" as in Python.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ImplItem, Item, ItemImpl, LitStr, Type};

use super::attrs::{take_helpers, Helpers};
use super::lifecycle::lifecycle_method;
use super::method::{child_accessor, method};
use super::self_ty::{replace_self, replace_self_in_method};
use super::wire_names::WireNames;
use super::{docs, misplaced, Errors, Parsed, Site};
use crate::model::{Child, Interface, Kind, Lifecycle, Service};

pub fn service(kind: Kind, attr: TokenStream, item: TokenStream) -> Parsed<Service> {
    let selected = Parsed::annotated(kind.attr(), attr, item, |item| match item {
        Item::Impl(imp) => Ok(imp),
        other => {
            let hint = match other {
                Item::Trait(_) => {
                    "; to declare the interface of a remote service, use `#[aiomas::proxy]` on \
                     the trait"
                }
                _ => "",
            };
            Err(misplaced(
                &other,
                format!(
                    "`{attr}` goes on an inherent impl block: `{attr} impl MyType {{ ... }}`{hint}",
                    attr = kind.attr(),
                ),
            ))
        }
    });
    let (imp, mut errors) = match selected {
        Ok(selected) => selected,
        Err(unusable) => return unusable,
    };
    let (imp, model) = service_impl(kind, imp, &mut errors);
    Parsed {
        item: imp.into_token_stream(),
        model,
        errors,
    }
}

/// Strips our helper attributes from `imp` and validates it.
fn service_impl(kind: Kind, mut imp: ItemImpl, errors: &mut Errors) -> (ItemImpl, Option<Service>) {
    let attr = kind.attr();
    // Take the helper attributes off first, so that even an unusable impl is re-emitted
    // without them (they would otherwise add "cannot find attribute" errors).
    let helpers: Vec<Option<Helpers>> = imp
        .items
        .iter_mut()
        .map(|item| match item {
            ImplItem::Fn(f) => Some(take_helpers(&mut f.attrs, &mut f.sig)),
            _ => None,
        })
        .collect();

    let before = errors.count();
    if let Some((path, for_token)) = &imp.trait_ {
        errors.at(
            quote!(#path #for_token),
            format!(
                "`{attr}` goes on an inherent impl (`{attr} impl MyType {{ ... }}`), not on a \
                 trait impl: it implements `aiomas::rpc::Service` for the type itself"
            ),
        );
    }
    let generic = !imp.generics.params.is_empty() || imp.generics.where_clause.is_some();
    if generic {
        errors.at(&imp.generics, generic_service(attr));
    }
    let name = match &*imp.self_ty {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last().expect("a path has a segment");
            if !last.arguments.is_empty() && !generic {
                errors.at(&last.arguments, generic_service(attr));
            }
            Some(last.ident.clone())
        }
        other => {
            errors.at(
                other,
                format!("`{attr}` needs a named type: `{attr} impl MyType {{ ... }}`"),
            );
            None
        }
    };
    let name = match name {
        Some(name) if errors.count() == before => name,
        _ => return (imp, None),
    };

    let self_ty = (*imp.self_ty).clone();
    let site = Site::Service;
    let mut methods = Vec::new();
    let mut children = Vec::new();
    let mut plain = Vec::new();
    let mut names = WireNames::default();
    let mut lifecycle = Lifecycle::default();
    for (item, helpers) in imp.items.iter().zip(helpers) {
        let (ImplItem::Fn(f), Some(helpers)) = (item, helpers) else {
            continue;
        };
        if !helpers.lifecycle.is_empty() {
            lifecycle_method(kind, &f.sig, &helpers, &mut lifecycle, errors);
            plain.push(f.sig.ident.unraw().to_string());
            continue;
        }
        let expose = match helpers.expose(errors) {
            Some(Some(expose)) => expose,
            Some(None) => {
                helpers.no_param_helpers(errors);
                plain.push(f.sig.ident.unraw().to_string());
                continue;
            }
            None => continue, // broken `#[expose]`: reported
        };
        let python_name = f.sig.ident.unraw().to_string();
        let wire_name = match expose.name {
            Some(renamed) => {
                // Python would find the attribute, but it is not exposed under this name.
                plain.push(python_name);
                renamed
            }
            None => LitStr::new(&python_name, f.sig.ident.span()),
        };
        let docs = docs(&f.attrs);
        if expose.child {
            helpers.no_param_helpers(errors);
            if let Some(ty) = child_accessor(site, &f.sig, errors) {
                let ty = replace_self(ty, &self_ty);
                if names.claim(&wire_name, &f.sig.ident, errors) {
                    children.push(Child {
                        rust_name: f.sig.ident.clone(),
                        wire_name,
                        // Spanned at the child type: "`Addition: Typed` is not satisfied".
                        proxy_ty: syn::parse_quote_spanned!(ty.span()=>
                            <#ty as ::aiomas::rpc::Typed>::Proxy
                        ),
                        service_ty: Some(ty),
                        docs,
                    });
                }
            }
        } else if let Some(mut method) =
            method(site, &f.sig, helpers.params, wire_name, docs, errors)
        {
            replace_self_in_method(&mut method, &self_ty);
            if names.claim(&method.wire_name, &f.sig.ident, errors) {
                methods.push(method);
            }
        }
    }
    let hidden = plain
        .into_iter()
        .filter(|name| !names.contains(name))
        .collect();

    let class = name.unraw().to_string();
    let proxy = Interface {
        vis: syn::parse_quote_spanned!(name.span()=> pub),
        proxy_name: format_ident!("{}Proxy", class, span = name.span()),
        docs: vec![{
            let line =
                format!("Typed proxy for a remote `{class}`: one async method per exposed method.");
            syn::parse_quote!(#[doc = #line])
        }],
        methods,
        children,
    };
    let model = Service {
        kind,
        self_ty,
        name,
        proxy,
        hidden,
        lifecycle,
    };
    (imp, Some(model))
}

fn generic_service(attr: &str) -> String {
    format!(
        "`{attr}` does not support generic types: write the impl for one concrete type (a \
         type alias works: `type IntStore = Store<i64>;` and `{attr} impl IntStore {{ ... }}`)"
    )
}
