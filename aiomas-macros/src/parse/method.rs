//! One remote method, or one child service accessor: its signature as a whole.
//!
//! Services are shared by concurrent calls, so methods take `&self`. A remote caller cannot
//! pick a type or uphold a safety contract, so methods are neither generic nor `unsafe`, and
//! have no foreign ABI. The return type is classified syntactically (unit, a value, or a
//! `Result` whose `Err` becomes an exception reply). The parameters are checked in
//! [`params`](super::params).

use quote::quote;
use syn::{Attribute, FnArg, LitStr, ReceiverKind, ReturnType, Safety, Signature, Type};

use super::params::params;
use super::types::{last_segment_args, owned, Position};
use super::{Errors, Site};
use crate::model::{Method, Returns};

/// Validates an exposed method (or a declared remote one); `None` after an error.
pub(super) fn method(
    site: Site,
    sig: &Signature,
    param_attrs: Vec<Vec<Attribute>>,
    wire_name: LitStr,
    docs: Vec<Attribute>,
    errors: &mut Errors,
) -> Option<Method> {
    let before = errors.count();
    receiver(site, sig, errors);
    qualifiers(site, sig, errors);
    let params = params(site, sig, &param_attrs, errors);
    let ret = returns(site, &sig.output, errors);
    if errors.count() > before {
        return None;
    }
    Some(Method {
        rust_name: sig.ident.clone(),
        wire_name,
        is_async: sig.asyncness.is_some(),
        params,
        ret: ret?,
        docs,
    })
}

/// Validates a child accessor: `fn name(&self) -> &Child` in a service (returns `Child`), or
/// `fn name(&self) -> ChildProxy` in a proxy trait (returns `ChildProxy`).
pub(super) fn child_accessor(site: Site, sig: &Signature, errors: &mut Errors) -> Option<Type> {
    let before = errors.count();
    receiver(site, sig, errors);
    qualifiers(site, sig, errors);
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "a child service accessor cannot be `async`: it returns the child service itself",
        );
    }
    let extra: Vec<_> = sig.inputs.iter().skip(1).collect();
    if !extra.is_empty() {
        errors.at(
            quote!(#(#extra),*),
            "a child service accessor takes only `&self`",
        );
    }
    let expected = match site {
        Site::Service => {
            "`#[expose(child)]` methods return a reference to the child service, e.g. \
             `fn addition(&self) -> &Addition`"
        }
        Site::ProxyTrait => {
            "a child service in a `#[aiomas::proxy]` trait is declared with its proxy type, \
             e.g. `fn addition(&self) -> AdditionProxy;`"
        }
    };
    let ty = match (&sig.output, site) {
        (ReturnType::Default, _) => {
            errors.at(&sig.ident, expected);
            None
        }
        (ReturnType::Type(_, ty), Site::Service) => match &**ty {
            Type::Reference(reference) if reference.mutability.is_none() => {
                Some((*reference.elem).clone())
            }
            other => {
                errors.at(other, expected);
                None
            }
        },
        (ReturnType::Type(_, ty), Site::ProxyTrait) => match &**ty {
            Type::Reference(_) => {
                errors.at(ty, expected);
                None
            }
            other => Some(other.clone()),
        },
    };
    if errors.count() > before {
        return None;
    }
    ty
}

/// Exposed methods take `&self`: services are shared by concurrent calls.
fn receiver(site: Site, sig: &Signature, errors: &mut Errors) {
    let what = site.methods();
    let Some(FnArg::Receiver(r)) = sig.inputs.first() else {
        let hint = match site {
            Site::Service => "; an associated function without `self` cannot be exposed",
            Site::ProxyTrait => "",
        };
        errors.at(
            &sig.ident,
            format!("{what} take `&self` as their first parameter{hint}"),
        );
        return;
    };
    let message = match &r.kind {
        // `&self`, `&'a self`
        ReceiverKind::Reference(_, _, None) => return,
        ReceiverKind::Reference(_, _, Some(_)) => mut_message(site),
        ReceiverKind::Value => value_message(site),
        // `self: &Self`, `self: &mut Self`, `self: Self`, ...
        ReceiverKind::Typed(_, ty) => match &**ty {
            Type::Reference(reference)
                if reference.mutability.is_none()
                    && matches!(&*reference.elem, Type::Path(p) if p.path.is_ident("Self")) =>
            {
                return
            }
            Type::Reference(reference) if reference.mutability.is_some() => mut_message(site),
            Type::Path(p) if p.path.is_ident("Self") => value_message(site),
            _ => format!("{what} take `&self`; other receiver types are not supported"),
        },
        _ => format!("{what} take `&self`; other receiver types are not supported"),
    };
    errors.at(r, message);
}

/// Why `&mut self` cannot be exposed.
fn mut_message(site: Site) -> String {
    let what = site.methods();
    match site {
        Site::Service => format!(
            "{what} take `&self`, not `&mut self`: agents are called concurrently, use \
             interior mutability (Mutex, RefCell in a Mutex, atomics) for state"
        ),
        Site::ProxyTrait => format!(
            "{what} take `&self`, not `&mut self`: a proxy can be shared and called \
             concurrently"
        ),
    }
}

/// Why `self` by value cannot be exposed.
fn value_message(site: Site) -> String {
    let what = site.methods();
    match site {
        Site::Service => format!(
            "{what} take `&self`, not `self` by value: the service stays alive to serve \
             further calls"
        ),
        Site::ProxyTrait => format!("{what} take `&self`, not `self` by value"),
    }
}

/// Rejects what a remote call cannot express: type parameters, `unsafe`, foreign ABIs.
pub(super) fn qualifiers(site: Site, sig: &Signature, errors: &mut Errors) {
    let what = site.methods();
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let (generics, where_clause) = (&sig.generics, &sig.generics.where_clause);
        let tokens = quote!(#generics #where_clause);
        errors.at(
            tokens,
            format!(
                "{what} cannot be generic: a remote caller cannot choose a type; use concrete \
                 types (`aiomas::Value` takes any value)"
            ),
        );
    }
    if let Safety::Unsafe(unsafety) = &sig.safety {
        errors.at(
            unsafety,
            format!("{what} cannot be `unsafe`: a remote caller cannot uphold its contract"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, format!("{what} cannot have an `extern` ABI"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, format!("{what} cannot be variadic"));
    }
}

/// The return type, classified syntactically.
pub(super) fn returns(site: Site, output: &ReturnType, errors: &mut Errors) -> Option<Returns> {
    let ty = match output {
        ReturnType::Default => return Some(Returns::Unit),
        ReturnType::Type(_, ty) => &**ty,
    };
    if matches!(ty, Type::Tuple(t) if t.elems.is_empty()) {
        return Some(Returns::Unit);
    }
    if !owned(site, ty, Position::Result, errors) {
        return None;
    }
    Some(match last_segment_args(ty, "Result").as_deref() {
        // `Result<T, E>`, or an alias such as `io::Result<T>` whose error type cannot be named.
        Some([ok, err @ ..]) if err.len() <= 1 => {
            if !owned(site, ok, Position::Result, errors) {
                return None;
            }
            Returns::Result {
                ok: (*ok).clone(),
                err: err.first().map(|err| (*err).clone()),
            }
        }
        _ => Returns::Value(ty.clone()),
    })
}
