//! The parameters of a remote method, and the kind of each.
//!
//! Arguments arrive by position or by keyword, as in Python, so a parameter is bound by a plain
//! name (the keyword, without `r#`) and has an owned type. Its kind says what happens when the
//! caller leaves it out: an error (required), `None` (an `Option<T>`), an expression
//! (`#[default(expr)]`); or it collects the rest, `#[args]` (`*args`, at most one) and
//! `#[kwargs]` (`**kwargs`, last). In a proxy trait `#[default]` has no effect, as the proxy
//! always sends every argument.

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::{Attribute, FnArg, LitStr, Meta, Pat, Signature, Type};

use super::types::{option_inner, owned, Position};
use super::{Errors, Site};
use crate::model::{Param, ParamKind};

/// The typed parameters of `sig`, each with its helper attributes from `param_attrs` (one list
/// per parameter, the receiver included); a parameter with errors is left out.
pub(super) fn params(
    site: Site,
    sig: &Signature,
    param_attrs: &[Vec<Attribute>],
    errors: &mut Errors,
) -> Vec<Param> {
    let mut params = Vec::new();
    let mut rest_args: Option<&Attribute> = None;
    let mut rest_kwargs: Option<&Attribute> = None;
    for (arg, attrs) in sig.inputs.iter().zip(param_attrs) {
        let FnArg::Typed(arg) = arg else { continue };
        if let Some(kwargs) = rest_kwargs {
            errors.at(
                kwargs,
                "`#[kwargs]` must be on the last parameter, as `**kwargs` in Python",
            );
            rest_kwargs = None; // report once
        }
        let kind = param_kind(site, &arg.ty, attrs, errors);
        match (&kind, attrs.first()) {
            (Some(ParamKind::RestArgs), Some(attr)) => {
                if rest_args.is_some() {
                    errors.at(
                        attr,
                        "only one parameter can take the remaining positional arguments \
                         (`#[args]`, Python's `*args`)",
                    );
                }
                rest_args = Some(attr);
            }
            (Some(ParamKind::RestKwargs), Some(attr)) => rest_kwargs = Some(attr),
            _ => {}
        }
        let name = match &*arg.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            other => {
                errors.at(
                    other,
                    format!(
                        "parameters of {} must be plain names (`name: Type`): callers pass \
                         arguments by position or by this name",
                        site.methods()
                    ),
                );
                continue;
            }
        };
        if !owned(site, &arg.ty, Position::Param, errors) {
            continue;
        }
        if let Some(kind) = kind {
            params.push(Param {
                wire_name: LitStr::new(&name.unraw().to_string(), name.span()),
                name,
                ty: (*arg.ty).clone(),
                kind,
            });
        }
    }
    params
}

/// The kind of one parameter from its attributes and type; `None` after an error.
fn param_kind(
    site: Site,
    ty: &Type,
    attrs: &[Attribute],
    errors: &mut Errors,
) -> Option<ParamKind> {
    if let Some(second) = attrs.get(1) {
        let first = attrs[0].path().to_token_stream();
        let second_name = second.path().to_token_stream();
        let message = if first.to_string() == second_name.to_string() {
            format!("duplicate `#[{first}]`")
        } else {
            format!("`#[{first}]` and `#[{second_name}]` cannot be combined on one parameter")
        };
        errors.at(second, message);
        return None;
    }
    let Some(attr) = attrs.first() else {
        return Some(match option_inner(ty) {
            Some(inner) => ParamKind::Optional(inner.clone()),
            None => ParamKind::Required,
        });
    };
    if attr.path().is_ident("default") {
        if let Site::ProxyTrait = site {
            errors.at(
                attr,
                "`#[default]` has no effect in a `#[aiomas::proxy]` trait: the proxy always \
                 sends every argument, the remote side applies its own defaults",
            );
            return None;
        }
        let needs_value = "`#[default]` needs a value: `#[default(0)]` (the expression used \
                           when the caller leaves the argument out)";
        return match &attr.meta {
            Meta::List(list) if !list.tokens.is_empty() => match list.parse_args() {
                Ok(expr) => Some(ParamKind::Default(expr)),
                Err(err) => {
                    errors.push(err);
                    None
                }
            },
            _ => {
                errors.at(attr, needs_value);
                None
            }
        };
    }
    let (kind, what) = if attr.path().is_ident("args") {
        (
            ParamKind::RestArgs,
            "the remaining positional arguments, e.g. `#[args] rest: Vec<aiomas::Value>`",
        )
    } else {
        (
            ParamKind::RestKwargs,
            "the remaining keyword arguments, e.g. `#[kwargs] rest: BTreeMap<String, aiomas::Value>`",
        )
    };
    if !matches!(attr.meta, Meta::Path(_)) {
        let name = attr.path().to_token_stream();
        errors.at(
            attr,
            format!("`#[{name}]` takes no arguments: write `#[{name}]`; it collects {what}"),
        );
        return None;
    }
    Some(kind)
}
