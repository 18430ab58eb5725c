//! From the validated model to tokens. Nothing here reports errors: `parse` already did.
//!
//! Every path in the output is absolute (`::aiomas::...`, `::core::...`, `::std::...`) and no
//! trait method is called with method syntax unless its trait is named, so the generated code
//! compiles in any module, `#![no_implicit_prelude]` ones included.

mod agent;
mod checks;
mod proxy;
mod router;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{Interface, Returns, Service};
use crate::parse::Parsed;

/// The output of `#[aiomas::service]` / `#[aiomas::agent]`: the user's impl block (always, so a
/// mistake in it is reported once), then the generated items and the errors.
pub fn service(parsed: Parsed<Service>) -> TokenStream {
    let Parsed {
        item,
        model,
        errors,
    } = parsed;
    let generated = model.map(|service| {
        let router = router::render(&service);
        let agent = agent::render(&service);
        let proxy = proxy::render(&service.proxy);
        let self_ty = &service.self_ty;
        let proxy_name = &service.proxy.proxy_name;
        quote! {
            #router
            #agent
            #proxy
            impl ::aiomas::rpc::Typed for #self_ty {
                type Proxy = #proxy_name;
            }
        }
    });
    let errors = errors.to_compile_error();
    quote! {
        #item
        #generated
        #errors
    }
}

/// The output of `#[aiomas::proxy]`: the proxy struct only (the trait is consumed).
pub fn proxy_trait(parsed: Parsed<Interface>) -> TokenStream {
    let Parsed {
        item,
        model,
        errors,
    } = parsed;
    let generated = model.map(|interface| proxy::render(&interface));
    let errors = errors.to_compile_error();
    quote! {
        #item
        #generated
        #errors
    }
}

impl Returns {
    /// The type a caller receives on success.
    fn ok_type(&self) -> TokenStream {
        match self {
            Returns::Unit => quote!(()),
            Returns::Value(ty) | Returns::Result { ok: ty, .. } => quote!(#ty),
        }
    }
}
