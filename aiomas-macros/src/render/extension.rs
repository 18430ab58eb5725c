//! `#[derive(aiomas::ExtensionType)]`: `Serialize` and `Deserialize` that wrap the struct's
//! data as an extension object.
//!
//! The data's shape comes from serde's own derive on a private mirror of the struct
//! (`#[serde(remote = "...")]`), so every `#[serde(...)]` attribute works as usual.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::model::ExtensionType;

pub fn render(ext: &ExtensionType) -> TokenStream {
    let ExtensionType {
        ident,
        name,
        serde_attrs,
        fields,
    } = ext;
    let remote = ident.to_string();
    let mirror = Ident::new("__AiomasExtensionData", Span::mixed_site());
    let data = Ident::new("__AiomasExtensionRef", Span::mixed_site());
    let semi = matches!(fields, syn::Fields::Unnamed(_) | syn::Fields::Unit).then(|| quote!(;));
    let serde = quote!(::aiomas::__private::serde);
    quote! {
        const _: () = {
            #[derive(#serde::Serialize, #serde::Deserialize)]
            #[serde(crate = "::aiomas::__private::serde", remote = #remote)]
            #(#serde_attrs)*
            #[allow(dead_code)]
            struct #mirror #fields #semi

            struct #data<'a>(&'a #ident);

            impl #serde::Serialize for #data<'_> {
                fn serialize<S: #serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    #mirror::serialize(self.0, serializer)
                }
            }

            impl ::aiomas::ExtensionType for #ident {
                const NAME: &'static ::core::primitive::str = #name;
            }

            impl #serde::Serialize for #ident {
                fn serialize<S: #serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::core::result::Result<S::Ok, S::Error> {
                    ::aiomas::__private::serialize_extension(serializer, #name, &#data(self))
                }
            }

            impl<'de> #serde::Deserialize<'de> for #ident {
                fn deserialize<D: #serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::core::result::Result<Self, D::Error> {
                    let data = ::aiomas::__private::extension_data(deserializer, #name)?;
                    ::core::result::Result::map_err(
                        #mirror::deserialize(data),
                        <D::Error as #serde::de::Error>::custom,
                    )
                }
            }
        };
    }
}
