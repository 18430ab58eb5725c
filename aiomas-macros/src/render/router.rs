//! `impl aiomas::rpc::Service`: the dispatch table from a path segment to decode -> call ->
//! encode. A plain `match` on string literals; nothing is looked up at run time.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::checks;
use crate::model::{Child, Method, Param, ParamKind, Returns, Service};

pub fn render(service: &Service) -> TokenStream {
    let self_ty = &service.self_ty;
    let class = service.name.unraw().to_string();
    // Mixed-site hygiene: user code in `#[default(...)]` cannot see or shadow our locals.
    let name = Ident::new("name", Span::mixed_site());
    let methods = service.proxy.methods.iter().map(method_arm);
    let children = service.proxy.children.iter().map(child_arm);
    let hidden = (!service.hidden.is_empty()).then(|| {
        let hidden = &service.hidden;
        quote!(#(#hidden)|* => ::aiomas::rpc::Route::NotExposed,)
    });
    let checks = checks::render(service);
    // `Service` requires `Sync`. Saying so in a where clause makes the impl's body assume it: a
    // service that is not `Sync` (a `Cell` field, say) gets one error, at its type, rather than
    // one more for every exposed method whose handler captures `&self`.
    let sync = quote_spanned!(self_ty.span()=> #self_ty: ::core::marker::Sync);
    quote! {
        impl ::aiomas::rpc::Service for #self_ty
        where
            #sync,
        {
            fn route<'a>(&'a self, #name: &::core::primitive::str) -> ::aiomas::rpc::Route<'a> {
                // In this body (in a closure that never runs): rustc reports an unmet bound once
                // per body and span, so the decode and encode calls below, spanned at the same
                // user types, do not repeat these errors.
                let _ = || {
                    #checks
                };
                match #name {
                    #(#methods)*
                    #(#children)*
                    #hidden
                    _ => ::aiomas::rpc::Route::NotFound,
                }
            }

            fn class_name(&self) -> &'static ::core::primitive::str {
                #class
            }

            fn module_path(&self) -> &'static ::core::primitive::str {
                ::core::module_path!()
            }
        }
    }
}

fn method_arm(method: &Method) -> TokenStream {
    let args = Ident::new("args", Span::mixed_site());
    let decode = decode_params(&method.params, &args);
    let check = check_params(&method.params, &args);
    let rust_name = &method.rust_name;
    let names = method.params.iter().map(|param| &param.name);
    let await_ = method.is_async.then(|| quote!(.await));
    let call = quote!(self.#rust_name(#(#names),*) #await_);
    let reply_to = Ident::new("reply_to", Span::mixed_site());
    let reply = reply(&method.ret, call, &reply_to);
    let body = quote! {
        let #reply_to = #args.reply_to();
        #check
        #(#decode)*
        #args.finish()?;
        #reply
    };
    // Spanned at the method: "future cannot be sent between threads safely" points at it. A
    // method that is not `async` is run inline by the server: no future per call.
    let wire = &method.wire_name;
    let handler = if method.is_async {
        quote_spanned! {rust_name.span()=>
            ::aiomas::rpc::Route::replying(move |mut #args: ::aiomas::rpc::Args| async move {
                #body
            })
        }
    } else {
        quote_spanned! {rust_name.span()=>
            ::aiomas::rpc::Route::inline_replying(move |mut #args: ::aiomas::rpc::Args| {
                #body
            })
        }
    };
    quote!(#wire => #handler,)
}

/// `args.check(...)?;`: Python binds all arguments before the body runs, so its binding
/// errors (unexpected keywords, too many positionals) come before any decoding error.
pub fn check_params(params: &[Param], args: &Ident) -> TokenStream {
    let signature = params.iter().map(|param| {
        let wire = &param.wire_name;
        match &param.kind {
            ParamKind::Required => quote!(::aiomas::rpc::Param::Required(#wire)),
            ParamKind::Optional(_) | ParamKind::Default(_) => {
                quote!(::aiomas::rpc::Param::Optional(#wire))
            }
            ParamKind::RestArgs => quote!(::aiomas::rpc::Param::Args),
            ParamKind::RestKwargs => quote!(::aiomas::rpc::Param::Kwargs),
        }
    });
    quote!(#args.check(&[#(#signature),*])?;)
}

/// `let name: Type = args.required(...)?;` per parameter, Python's rules for each kind.
pub fn decode_params<'a>(
    params: &'a [Param],
    args: &'a Ident,
) -> impl Iterator<Item = TokenStream> + 'a {
    params.iter().map(move |param| {
        let (name, ty, wire) = (&param.name, &param.ty, &param.wire_name);
        let value = match &param.kind {
            ParamKind::Required => quote!(#args.required::<#ty>(#wire)),
            ParamKind::Optional(inner) => quote!(#args.optional::<#inner>(#wire)),
            ParamKind::Default(default) => quote!(#args.or_default::<#ty>(#wire, || #default)),
            ParamKind::RestArgs => quote!(#args.rest_args::<#ty>()),
            ParamKind::RestKwargs => quote!(#args.rest_kwargs::<#ty>()),
        };
        quote!(let #name: #ty = #value?;)
    })
}

/// Encodes the result with the call's `ReplyTo` (over a connection, straight into the reply
/// frame). Each bound is required at the user's type (as in `checks`), so a type that cannot
/// be encoded is reported once, there.
fn reply(ret: &Returns, call: TokenStream, reply_to: &Ident) -> TokenStream {
    match ret {
        Returns::Unit => quote! {
            #call;
            ::aiomas::rpc::__private::reply(&#reply_to, &())
        },
        Returns::Value(ty) => quote_spanned! {ty.span()=>
            ::aiomas::rpc::__private::reply::<#ty>(&#reply_to, &#call)
        },
        // Not one generic helper over the `Result`: its two bounds would share one span, and each
        // would be reported again next to the one from `checks`.
        Returns::Result { ok, err } => {
            let err_span = err.as_ref().map_or(ok.span(), |err| err.span());
            // Hygienic locals, located at the types so that errors about them point there.
            let value = Ident::new("value", Span::mixed_site().located_at(ok.span()));
            let error = Ident::new("error", Span::mixed_site().located_at(err_span));
            let encode = quote_spanned! {ok.span()=>
                ::aiomas::rpc::__private::reply::<#ok>(&#reply_to, &#value)
            };
            let err = err.as_ref().map_or(quote!(_), |err| quote!(#err));
            let raise = quote_spanned! {err_span=>
                ::core::result::Result::Err(::aiomas::rpc::Exception::from_error::<#err>(&#error))
            };
            quote! {
                match #call {
                    ::core::result::Result::Ok(#value) => #encode,
                    ::core::result::Result::Err(#error) => #raise,
                }
            }
        }
    }
}

fn child_arm(child: &Child) -> TokenStream {
    let (rust_name, wire) = (&child.rust_name, &child.wire_name);
    // Spanned at the child type: "`Addition: Service` is not satisfied" points at it.
    let span = child
        .service_ty
        .as_ref()
        .map_or(rust_name.span(), |ty| ty.span());
    let route = quote_spanned!(span=> ::aiomas::rpc::Route::Service(self.#rust_name()));
    quote!(#wire => #route,)
}
