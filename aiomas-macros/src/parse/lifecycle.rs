//! An agent's lifecycle methods: `#[on_start]`, `#[on_stop]` and the `#[spawn]` constructor.
//!
//! They are methods of the agent's own impl block, called by the container rather than over
//! RPC, so they are not exposed. The start hook runs as a task beside the agent's calls, so it
//! takes `self: Arc<Self>`; the stop hook is awaited at removal and takes `&self`; the
//! constructor takes the agent's context first and then the spawn request's arguments, which
//! follow the rules of exposed methods' parameters (`#[default]`, `Option`, `#[args]`,
//! `#[kwargs]`).

use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Attribute, FnArg, Meta, ReceiverKind, ReturnType, Signature, Type};

use super::attrs::Helpers;
use super::method::{qualifiers, returns};
use super::params::params;
use super::{Errors, Site};
use crate::model::{Constructor, Hook, Kind, Lifecycle, Returns};

const NAMES: [&str; 3] = ["on_start", "on_stop", "spawn"];

pub(super) fn is_lifecycle(attr: &Attribute) -> bool {
    NAMES.iter().any(|name| attr.path().is_ident(name))
}

/// Adds the lifecycle method `sig` (whose helpers hold at least one lifecycle attribute) to
/// `lifecycle`, or reports why it cannot be one.
pub(super) fn lifecycle_method(
    kind: Kind,
    sig: &Signature,
    helpers: &Helpers,
    lifecycle: &mut Lifecycle,
    errors: &mut Errors,
) {
    let attr = &helpers.lifecycle[0];
    let name = attr.path().to_token_stream().to_string();
    if let Some(second) = helpers.lifecycle.get(1) {
        errors.at(
            second,
            "a method can be only one of `#[on_start]`, `#[on_stop]` and `#[spawn]`",
        );
        return;
    }
    if kind == Kind::Service {
        errors.at(
            attr,
            format!(
                "`#[{name}]` only works in an impl block annotated with `#[aiomas::agent]`: \
                 services have no lifecycle"
            ),
        );
        return;
    }
    if let Some(expose) = helpers.expose.first() {
        errors.at(
            expose,
            format!(
                "a `#[{name}]` method is called by the container, not over RPC: remove \
                 `#[expose]` (or expose another method that calls it)"
            ),
        );
        return;
    }
    if !matches!(attr.meta, Meta::Path(_)) {
        errors.at(
            attr,
            format!("`#[{name}]` takes no arguments: write `#[{name}]`"),
        );
        return;
    }
    let before = errors.count();
    qualifiers(Site::Service, sig, errors);
    if name != "spawn" {
        for attr in helpers.params.iter().flatten() {
            errors.at(
                attr,
                format!("`#[{name}]` takes no parameters besides `self`"),
            );
        }
    }
    match name.as_str() {
        "on_start" => {
            if lifecycle.on_start.is_some() {
                errors.at(attr, "an agent has at most one `#[on_start]` method");
            }
            on_start(sig, errors);
            if errors.count() == before {
                lifecycle.on_start = Some(sig.ident.clone());
            }
        }
        "on_stop" => {
            if lifecycle.on_stop.is_some() {
                errors.at(attr, "an agent has at most one `#[on_stop]` method");
            }
            on_stop(sig, errors);
            if errors.count() == before {
                lifecycle.on_stop = Some(Hook {
                    rust_name: sig.ident.clone(),
                    is_async: sig.asyncness.is_some(),
                });
            }
        }
        _ => {
            if lifecycle.constructor.is_some() {
                errors.at(attr, "an agent has at most one `#[spawn]` constructor");
            }
            let constructor = constructor(sig, helpers, errors);
            if errors.count() == before {
                lifecycle.constructor = constructor;
            }
        }
    }
}

const ON_START: &str = "`#[on_start] async fn start(self: Arc<Self>)`";

fn on_start(sig: &Signature, errors: &mut Errors) {
    if sig.asyncness.is_none() {
        errors.at(
            sig.fn_token,
            format!("the start hook runs as a task, so it is an `async fn`: {ON_START}"),
        );
    }
    let arc_self = match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => {
            matches!(&r.kind, ReceiverKind::Typed(_, ty) if is_arc_self(ty))
        }
        _ => false,
    };
    if !arc_self {
        let message = format!(
            "the start hook runs beside the agent's calls and owns a share of the agent: \
             {ON_START}"
        );
        match sig.inputs.first() {
            Some(first) => errors.at(first, message),
            None => errors.at(&sig.ident, message),
        }
    }
    extra_params(sig, "`#[on_start]`", errors);
}

fn is_arc_self(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.path
        .segments
        .last()
        .is_some_and(|seg| seg.ident == "Arc" && !seg.arguments.is_empty())
}

fn on_stop(sig: &Signature, errors: &mut Errors) {
    let by_ref = match sig.inputs.first() {
        Some(FnArg::Receiver(r)) => matches!(r.kind, ReceiverKind::Reference(_, _, None)),
        _ => false,
    };
    if !by_ref {
        let message = "the stop hook takes `&self`: `#[on_stop] async fn stop(&self)`";
        match sig.inputs.first() {
            Some(first) => errors.at(first, message),
            None => errors.at(&sig.ident, message),
        }
    }
    extra_params(sig, "`#[on_stop]`", errors);
    if let ReturnType::Type(_, ty) = &sig.output {
        if !matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()) {
            errors.at(
                ty,
                "the stop hook returns nothing: the container goes on with the shutdown \
                 either way (log what went wrong instead)",
            );
        }
    }
}

fn extra_params(sig: &Signature, what: &str, errors: &mut Errors) {
    let extra: Vec<_> = sig.inputs.iter().skip(1).collect();
    if !extra.is_empty() {
        errors.at(
            quote::quote!(#(#extra),*),
            format!("{what} takes no parameters besides `self`"),
        );
    }
}

const SPAWN: &str = "`#[spawn] fn new(ctx: AgentContext, start: i64) -> Self`";

fn constructor(sig: &Signature, helpers: &Helpers, errors: &mut Errors) -> Option<Constructor> {
    match sig.inputs.first() {
        Some(FnArg::Typed(_)) => {}
        Some(receiver @ FnArg::Receiver(_)) => {
            errors.at(
                receiver,
                format!(
                    "a `#[spawn]` constructor builds the agent, so it takes no `self`: {SPAWN}"
                ),
            );
            return None;
        }
        None => {
            errors.at(
                &sig.ident,
                format!("a `#[spawn]` constructor takes the agent's context first: {SPAWN}"),
            );
            return None;
        }
    }
    if let Some(attr) = helpers.params[0].first() {
        errors.at(
            attr,
            "the first parameter of a `#[spawn]` constructor is the agent's context, which \
             the container passes: it takes no attribute",
        );
        return None;
    }
    let mut rest = sig.clone();
    rest.inputs = sig
        .inputs
        .iter()
        .skip(1)
        .cloned()
        .collect::<Punctuated<_, _>>();
    let params = params(Site::Service, &rest, &helpers.params[1..], errors);
    let ret = match returns(Site::Service, &sig.output, errors)? {
        Returns::Unit => {
            errors.at(
                &sig.ident,
                format!("a `#[spawn]` constructor returns the agent (`Self` or `Result<Self, E>`): {SPAWN}"),
            );
            return None;
        }
        ret => ret,
    };
    Some(Constructor {
        rust_name: sig.ident.clone(),
        is_async: sig.asyncness.is_some(),
        params,
        ret,
    })
}
