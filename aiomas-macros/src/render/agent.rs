//! `impl aiomas::agent::Agent` (the lifecycle hooks) and, for a `#[spawn]` constructor,
//! `impl aiomas::agent::Spawnable` (the manager's spawn-by-name), for `#[aiomas::agent]`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use super::router::{check_params, decode_params};
use crate::model::{Constructor, Kind, Returns, Service};

pub fn render(service: &Service) -> TokenStream {
    if service.kind != Kind::Agent {
        return TokenStream::new();
    }
    let self_ty = &service.self_ty;
    let lifecycle = &service.lifecycle;
    let on_start = lifecycle.on_start.as_ref().map(|name| {
        // Spanned at the user's method: "future cannot be sent between threads" points there.
        quote_spanned! {name.span()=>
            fn on_start(
                self: ::std::sync::Arc<Self>,
            ) -> impl ::core::future::Future<
                Output: ::aiomas::agent::TaskOutput + ::core::marker::Send,
            > + ::core::marker::Send + 'static {
                Self::#name(self)
            }
        }
    });
    let on_stop = lifecycle.on_stop.as_ref().map(|hook| {
        let name = &hook.rust_name;
        let await_ = hook.is_async.then(|| quote!(.await));
        quote_spanned! {name.span()=>
            async fn on_stop(&self) {
                Self::#name(self) #await_
            }
        }
    });
    let spawnable = lifecycle
        .constructor
        .as_ref()
        .map(|c| spawnable(service, c));
    quote! {
        impl ::aiomas::agent::Agent for #self_ty {
            #on_start
            #on_stop
        }
        #spawnable
    }
}

fn spawnable(service: &Service, constructor: &Constructor) -> TokenStream {
    let self_ty = &service.self_ty;
    let (ctx, args) = (
        Ident::new("ctx", Span::mixed_site()),
        Ident::new("args", Span::mixed_site()),
    );
    let check = check_params(&constructor.params, &args);
    let decode = decode_params(&constructor.params, &args);
    let name = &constructor.rust_name;
    let names = constructor.params.iter().map(|param| &param.name);
    let await_ = constructor.is_async.then(|| quote!(.await));
    let call = quote!(Self::#name(#ctx, #(#names),*) #await_);
    let build = match &constructor.ret {
        Returns::Result { err, .. } => {
            let err = err.as_ref().map_or(quote!(_), |err| quote!(#err));
            let error = Ident::new("error", Span::mixed_site());
            quote! {
                #call.map_err(|#error| ::aiomas::rpc::Exception::from_error::<#err>(&#error))
            }
        }
        _ => quote!(::core::result::Result::Ok(#call)),
    };
    quote_spanned! {name.span()=>
        impl ::aiomas::agent::Spawnable for #self_ty {
            async fn from_args(
                #ctx: ::aiomas::agent::AgentContext,
                mut #args: ::aiomas::rpc::Args,
            ) -> ::core::result::Result<Self, ::aiomas::rpc::Exception> {
                #check
                #(#decode)*
                #args.finish()?;
                #build
            }
        }
    }
}
