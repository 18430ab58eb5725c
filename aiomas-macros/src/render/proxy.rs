//! The typed proxy `<Name>Proxy`: one async method per exposed method, one accessor per child.
//! The same renderer serves `#[aiomas::service]` impls and `#[aiomas::proxy]` traits.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{Child, Interface, Method, ParamKind};

pub fn render(interface: &Interface) -> TokenStream {
    let Interface {
        vis,
        proxy_name,
        docs,
        methods,
        children,
    } = interface;
    let methods = methods.iter().map(method);
    let children = children.iter().map(child);
    // Spanned at the user's type name: a clash with an existing `CalculatorProxy` is reported
    // as "`CalculatorProxy` redefined here" at `impl Calculator`. Only `FromProxy` touches the
    // field, so such a clash adds as few follow-up errors as possible.
    let inner = inner();
    let definition = quote_spanned! {proxy_name.span()=>
        #vis struct #proxy_name {
            inner: ::aiomas::rpc::Proxy,
        }
    };
    // A service's proxy is generated whether or not the crate calls it: not using it is fine.
    quote! {
        #(#docs)*
        #[allow(dead_code)]
        #definition

        #[allow(dead_code)]
        impl #proxy_name {
            #(#methods)*
            #(#children)*
        }

        impl ::aiomas::rpc::FromProxy for #proxy_name {
            fn from_proxy(proxy: ::aiomas::rpc::Proxy) -> Self {
                Self { inner: proxy }
            }

            fn proxy(&self) -> &::aiomas::rpc::Proxy {
                &self.inner
            }
        }

        impl ::core::clone::Clone for #proxy_name {
            fn clone(&self) -> Self {
                <Self as ::aiomas::rpc::FromProxy>::from_proxy(::core::clone::Clone::clone(#inner))
            }
        }

        impl ::core::fmt::Debug for #proxy_name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(#inner, f)
            }
        }

        impl ::core::fmt::Display for #proxy_name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(#inner, f)
            }
        }

        // A typed proxy travels as a service reference, like the dynamic one it wraps.
        impl ::aiomas::__private::serde::Serialize for #proxy_name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: ::aiomas::__private::serde::Serializer,
            {
                ::aiomas::__private::serde::Serialize::serialize(#inner, serializer)
            }
        }

        impl<'de> ::aiomas::__private::serde::Deserialize<'de> for #proxy_name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: ::aiomas::__private::serde::Deserializer<'de>,
            {
                <::aiomas::rpc::Proxy as ::aiomas::__private::serde::Deserialize<'de>>::deserialize(
                    deserializer,
                )
                .map(<Self as ::aiomas::rpc::FromProxy>::from_proxy)
            }
        }
    }
}

fn method(method: &Method) -> TokenStream {
    let (rust_name, wire) = (&method.rust_name, &method.wire_name);
    let docs = docs_or(&method.docs, || {
        format!("Calls `{}` on the remote service.", wire.value())
    });
    let params = method.params.iter().map(|param| {
        let (name, ty) = (&param.name, &param.ty);
        quote!(#name: #ty)
    });

    // Python's rules: parameters before `*args` go by position, those after it by keyword.
    // Both are lists `(&a, (&b, ()))` of references: encoded straight into the request frame.
    let mut positional = Vec::new();
    let mut keyword = Vec::new();
    let mut rest_args = None;
    let mut rest_kwargs = None;
    for param in &method.params {
        // Spanned at the parameter's type: "`Foo: Serialize` is not satisfied" points there.
        let span = param.ty.span();
        let wire = &param.wire_name;
        let mut name = param.name.clone();
        name.set_span(span);
        match param.kind {
            ParamKind::RestArgs => {
                rest_args =
                    Some(quote_spanned!(span=> ::aiomas::rpc::__private::rest_args(&#name)?))
            }
            ParamKind::RestKwargs => {
                rest_kwargs =
                    Some(quote_spanned!(span=> ::aiomas::rpc::__private::rest_kwargs(&#name)?))
            }
            _ if rest_args.is_some() => keyword.push(quote_spanned!(span=> (#wire, &#name))),
            _ => positional.push(quote_spanned!(span=> &#name)),
        }
    }
    let positional = positional
        .iter()
        .rev()
        .fold(quote!(()), |rest, arg| quote!((#arg, #rest)));
    let keyword = keyword
        .iter()
        .rev()
        .fold(quote!(()), |rest, arg| quote!((#arg, #rest)));
    // `()` without catch-alls: no `Value` encoding is compiled for the call.
    let rest_args = rest_args.unwrap_or_else(|| quote!(()));
    let rest_kwargs = rest_kwargs.unwrap_or_else(|| quote!(()));
    let ok = method.ret.ok_type();
    let inner = inner();
    // Not `Proxy::invoke`: awaiting a future generic over an undecodable `T` reports the missing
    // `Deserialize` twice (for the call and for the future); the sync decode it uses reports it once.
    let reply = Ident::new("reply", Span::mixed_site());
    let decode = quote_spanned! {ok.span()=>
        ::aiomas::rpc::__private::decode_result::<#ok>(#wire, #reply)
    };
    quote! {
        #docs
        pub async fn #rust_name(&self, #(#params),*) -> ::core::result::Result<#ok, ::aiomas::Error> {
            // Encoded before the first await: the future holds no reference to the arguments.
            let #reply = #inner.call_typed(#wire, ::aiomas::rpc::__private::TypedCall {
                positional: #positional,
                rest: #rest_args,
                keywords: #keyword,
                rest_keywords: #rest_kwargs,
            });
            let #reply = #reply.await?;
            #decode
        }
    }
}

fn child(child: &Child) -> TokenStream {
    let (rust_name, wire, proxy_ty) = (&child.rust_name, &child.wire_name, &child.proxy_ty);
    let inner = inner();
    let docs = docs_or(&child.docs, || {
        format!("A proxy for the remote child service `{}`.", wire.value())
    });
    // Spanned at the declared type: "`i64: FromProxy` is not satisfied" points at it.
    let body = quote_spanned! {proxy_ty.span()=>
        <#proxy_ty as ::aiomas::rpc::FromProxy>::from_proxy(#inner.child(#wire))
    };
    quote! {
        #docs
        pub fn #rust_name(&self) -> #proxy_ty {
            #body
        }
    }
}

/// The wrapped dynamic proxy, inside any method of the proxy.
fn inner() -> TokenStream {
    quote!(<Self as ::aiomas::rpc::FromProxy>::proxy(self))
}

/// The user's docs, or a generated line (proxies are public API, and `missing_docs` may be on).
fn docs_or(docs: &[syn::Attribute], default: impl FnOnce() -> String) -> TokenStream {
    if docs.is_empty() {
        let line = default();
        quote!(#[doc = #line])
    } else {
        quote!(#(#docs)*)
    }
}
