//! `Self` in a service's signatures, replaced by the service type.
//!
//! Inside the impl block `Self` names the service, but the proxy's methods, which copy the
//! signatures, live outside of it. The replacement keeps the span of the user's `Self`, so that
//! an error about the type (say, it does not deserialize) still points at what they wrote.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::Type;

use crate::model::{Method, ParamKind, Returns};

/// `ty` with every `Self` replaced by `self_ty`.
pub(super) fn replace_self(mut ty: Type, self_ty: &Type) -> Type {
    ReplaceSelf(self_ty).visit_type_mut(&mut ty);
    ty
}

/// Replaces `Self` by `self_ty` in every type of `method`'s signature.
pub(super) fn replace_self_in_method(method: &mut Method, self_ty: &Type) {
    let mut visitor = ReplaceSelf(self_ty);
    for param in &mut method.params {
        visitor.visit_type_mut(&mut param.ty);
        if let ParamKind::Optional(inner) = &mut param.kind {
            visitor.visit_type_mut(inner);
        }
    }
    match &mut method.ret {
        Returns::Unit => {}
        Returns::Value(ty) => visitor.visit_type_mut(ty),
        Returns::Result { ok, err } => {
            visitor.visit_type_mut(ok);
            if let Some(err) = err {
                visitor.visit_type_mut(err);
            }
        }
    }
}

struct ReplaceSelf<'a>(&'a Type);

impl VisitMut for ReplaceSelf<'_> {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::Path(path) = ty {
            if path.qself.is_none() && path.path.is_ident("Self") {
                // Keep the user's span, so errors about this type still point at `Self`.
                let span = path.path.segments[0].ident.span();
                *ty = syn::parse2(respan(self.0.to_token_stream(), span))
                    .expect("a type stays a type when respanned");
                return;
            }
        }
        syn::visit_mut::visit_type_mut(self, ty);
    }
}

/// `tokens` with every token (and group) spanned at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(group) = &tt {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                tt = TokenTree::Group(inner);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}
