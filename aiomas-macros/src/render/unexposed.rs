//! Stubs on a service's proxy for the impl's methods without `#[expose]`.
//!
//! Calling one through the proxy is a mistake the compiler should explain: each stub carries a
//! bound that never holds, `Unexposed<'a>: ExposedMethod`, whose `#[diagnostic::on_unimplemented]`
//! says to add `#[expose]`. The bound names a lifetime of the stub, so rustc checks it where the
//! stub is called, not where it is defined; `impl Sized` parameters and a generic result keep the
//! call itself well-typed, so that message is the only error.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::model::Unexposed;

pub fn render(proxy_name: &Ident, unexposed: &[Unexposed]) -> TokenStream {
    if unexposed.is_empty() {
        return TokenStream::new();
    }
    let stubs = unexposed.iter().map(stub);
    quote! {
        #[allow(dead_code, clippy::unused_self)]
        impl #proxy_name {
            #(#stubs)*
        }
    }
}

fn stub(method: &Unexposed) -> TokenStream {
    let name = &method.rust_name;
    let params = (0..method.params).map(|i| {
        let param = format_ident!("_arg{i}", span = Span::mixed_site());
        quote!(#param: impl ::core::marker::Sized)
    });
    let private = quote!(::aiomas::rpc::__private);
    quote_spanned! {name.span()=>
        #[doc(hidden)]
        pub fn #name<'__aiomas, __AiomasResult>(
            &'__aiomas self,
            #(#params),*
        ) -> #private::NotExposed<__AiomasResult>
        where
            #private::Unexposed<'__aiomas>: #private::ExposedMethod,
        {
            #private::NotExposed::new()
        }
    }
}
