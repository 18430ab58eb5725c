//! What a parameter or result type must be to cross the wire, and the syntactic look at types.
//!
//! Arguments are decoded from the request and results encoded into the reply, so both are
//! owned: no references (with a hint at the owned type to use, or at `#[expose(child)]` for a
//! service returning a reference) and no `impl Trait`, which would make the method generic or
//! its result opaque. A macro sees no types, only syntax: `Option<T>` and `Result<T, E>` are
//! recognised by the name of their last path segment.

use quote::ToTokens;
use syn::visit::Visit;
use syn::{GenericArgument, PathArguments, Type};

use super::{Errors, Site};

/// Where a type appears, for messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    Param,
    Result,
}

/// Values cross the wire: no borrows, no `impl Trait`.
pub(super) fn owned(site: Site, ty: &Type, position: Position, errors: &mut Errors) -> bool {
    let what = site.methods();
    if let Type::Reference(reference) = ty {
        let (instead, maybe_child) = match &*reference.elem {
            Type::Path(p) if p.path.is_ident("str") => {
                ("use an owned `String` instead of `&str`".to_owned(), false)
            }
            Type::Slice(slice) => {
                let elem = slice.elem.to_token_stream().to_string().replace(' ', "");
                (
                    format!("use an owned `Vec<{elem}>` instead of `&[{elem}]`"),
                    false,
                )
            }
            _ => ("use an owned type such as `String`".to_owned(), true),
        };
        let message = match (position, site) {
            (Position::Param, _) => format!(
                "parameters of {what} cannot borrow: arguments are decoded from the request and \
                 owned by the method; {instead}"
            ),
            (Position::Result, Site::Service) if maybe_child => format!(
                "{what} return owned values (the result is sent to the caller); {instead}, or \
                 mark the method `#[expose(child)]` to expose a child service"
            ),
            (Position::Result, Site::Service) => {
                format!("{what} return owned values (the result is sent to the caller); {instead}")
            }
            (Position::Result, Site::ProxyTrait) => format!(
                "{what} return owned values (the result is decoded from the reply); {instead}"
            ),
        };
        errors.at(ty, message);
        return false;
    }
    let mut finder = ImplTraitFinder(None);
    finder.visit_type(ty);
    if let Some(impl_trait) = finder.0 {
        let message = match position {
            Position::Param => "`impl Trait` parameters make a method generic, and a remote \
                                caller cannot choose a type: use a concrete type \
                                (`aiomas::Value` takes any value)"
                .to_owned(),
            Position::Result => format!(
                "{what} cannot return `impl Trait`: return a concrete type, and write `async fn` \
                 for asynchronous methods"
            ),
        };
        errors.at(impl_trait, message);
        return false;
    }
    true
}

/// The first `impl Trait` anywhere inside a type.
struct ImplTraitFinder(Option<syn::TypeImplTrait>);

impl<'ast> Visit<'ast> for ImplTraitFinder {
    fn visit_type_impl_trait(&mut self, ty: &'ast syn::TypeImplTrait) {
        self.0.get_or_insert_with(|| ty.clone());
    }
}

/// `T` of a type whose last path segment is `Option<T>`.
pub(super) fn option_inner(ty: &Type) -> Option<&Type> {
    match last_segment_args(ty, "Option")?.as_slice() {
        [inner] => Some(inner),
        _ => None,
    }
}

/// The type arguments of `ty` if its last path segment is `name`.
pub(super) fn last_segment_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    Some(match &last.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}
