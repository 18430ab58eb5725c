//! `#[derive(aiomas::ExtensionType)]` on a struct, with an optional `#[aiomas(name = "...")]`.

use proc_macro2::TokenStream;
use syn::{Attribute, Data, DeriveInput, LitStr};

use super::{attrs_named, Errors};
use crate::model::ExtensionType;

const DERIVE: &str = "`#[derive(aiomas::ExtensionType)]`";

/// The validated extension type, or every error found.
pub fn extension_type(input: TokenStream) -> Result<ExtensionType, Errors> {
    let mut errors = Errors::default();
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(err) => {
            errors.push(err);
            return Err(errors);
        }
    };
    if !input.generics.params.is_empty() {
        errors.at(
            &input.generics,
            format!(
                "{DERIVE} does not support generic types: both sides register one concrete type \
                 under one name; define one struct per instantiation"
            ),
        );
    }
    let fields = match input.data {
        Data::Struct(data) => Some(data.fields),
        Data::Enum(data) => {
            errors.at(
                data.enum_token,
                format!("{DERIVE} works on structs; wrap the enum in a struct field"),
            );
            None
        }
        Data::Union(data) => {
            errors.at(
                data.union_token,
                format!("{DERIVE} works on structs, not unions"),
            );
            None
        }
    };
    let name = registered_name(&input.attrs, &mut errors)
        .unwrap_or_else(|| LitStr::new(&input.ident.to_string(), input.ident.span()));
    let serde_attrs = serde_only(&input.attrs);
    match (fields, errors.count()) {
        (Some(mut fields), 0) => {
            for field in fields.iter_mut() {
                field.attrs = serde_only(&field.attrs);
            }
            Ok(ExtensionType {
                ident: input.ident,
                name,
                serde_attrs,
                fields,
            })
        }
        _ => Err(errors),
    }
}

/// The name of `#[aiomas(name = "...")]`, reporting every misuse.
fn registered_name(attrs: &[Attribute], errors: &mut Errors) -> Option<LitStr> {
    let mut name: Option<LitStr> = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("aiomas")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if !meta.path.is_ident("name") {
                return Err(meta.error(
                    "unknown option of `#[aiomas(...)]` on an extension type; the only one is \
                     `name = \"...\"`, the name both sides register the type under",
                ));
            }
            let value = match meta.value()?.parse::<syn::Lit>()? {
                syn::Lit::Str(value) => value,
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "the registered name is a string: write e.g. `name = \"Point\"`",
                    ))
                }
            };
            if value.value().is_empty() {
                return Err(syn::Error::new(
                    value.span(),
                    "the registered name cannot be empty; write e.g. `name = \"ndarray\"`",
                ));
            }
            if name.is_some() {
                return Err(meta.error("`name` is given twice; keep one"));
            }
            name = Some(value);
            Ok(())
        });
        if let Err(err) = parsed {
            errors.push(err);
        }
    }
    name
}

fn serde_only(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs_named(attrs, "serde")
}
