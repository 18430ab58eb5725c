//! Compile-time assertions spanned at the user's types, so that "the trait bound `Foo:
//! Deserialize` is not satisfied" points at `Foo` in the signature rather than into generated
//! code. The router places them in `route`'s body (see there for why).

use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::Type;

use crate::model::{Returns, Service};

pub fn render(service: &Service) -> TokenStream {
    let mut checks = TokenStream::new();
    for method in &service.proxy.methods {
        for param in &method.params {
            checks.extend(assert("assert_arg", &param.ty));
        }
        match &method.ret {
            Returns::Unit => {}
            Returns::Value(ty) => checks.extend(assert("assert_return", ty)),
            Returns::Result { ok, err } => {
                checks.extend(assert("assert_return", ok));
                if let Some(err) = err {
                    checks.extend(assert("assert_error", err));
                }
            }
        }
    }
    checks
}

fn assert(check: &str, ty: &Type) -> TokenStream {
    let check = syn::Ident::new(check, ty.span());
    quote_spanned!(ty.span()=> ::aiomas::rpc::__private::#check::<#ty>();)
}
