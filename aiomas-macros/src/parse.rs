//! From syn syntax to the validated [`model`](crate::model).
//!
//! Every misuse becomes a `syn::Error` at the offending token, with a message that says how to
//! fix it. Errors are collected rather than returned early, and a method with errors is left out
//! of the model while the rest is still generated: one mistake should produce one error, not a
//! cascade of "cannot find `CalculatorProxy`" follow-ups.

use std::collections::HashMap;

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, Error, FnArg, GenericArgument, ImplItem, Item, ItemImpl, ItemTrait, LitStr, Meta,
    Pat, PathArguments, ReturnType, Signature, TraitItem, Type,
};

use crate::model::{Child, Interface, Kind, Method, Param, ParamKind, Returns, Service};

/// Errors collected while parsing; rendered next to whatever could still be generated.
#[derive(Default)]
pub struct Errors(Option<Error>);

impl Errors {
    pub fn push(&mut self, err: Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    fn at(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(Error::new_spanned(tokens, message));
    }

    fn count(&self) -> usize {
        self.0.as_ref().map_or(0, |err| err.into_iter().count())
    }

    pub fn to_compile_error(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(Error::to_compile_error)
            .unwrap_or_default()
    }
}

/// The result of parsing one annotated item.
pub struct Parsed<T> {
    /// The item to re-emit, with our helper attributes stripped (empty for a consumed trait).
    pub item: TokenStream,
    /// What to generate; `None` when the item as a whole is unusable.
    pub model: Option<T>,
    pub errors: Errors,
}

/// Where a signature is validated: messages differ between implementing and declaring.
#[derive(Clone, Copy)]
enum Site {
    Service,
    ProxyTrait,
}

impl Site {
    fn methods(self) -> &'static str {
        match self {
            Site::Service => "exposed methods",
            Site::ProxyTrait => "remote methods",
        }
    }
}

const EXPOSE_ELSEWHERE: &str = "`#[expose]` only works on methods inside an impl block annotated \
                                with `#[aiomas::service]` or `#[aiomas::agent]`";

/// The message of the standalone `#[expose]` attribute (it only ever reports misuse).
pub fn expose_elsewhere() -> &'static str {
    EXPOSE_ELSEWHERE
}

// ---------------------------------------------------------------------------------------------
// #[aiomas::service] / #[aiomas::agent]

pub fn service(kind: Kind, attr: TokenStream, item: TokenStream) -> Parsed<Service> {
    let mut errors = Errors::default();
    no_arguments(kind.attr(), attr, &mut errors);
    let imp = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Impl(imp)) => imp,
        Ok(other) => {
            let hint = match other {
                Item::Trait(_) => {
                    "; to declare the interface of a remote service, use `#[aiomas::proxy]` on \
                     the trait"
                }
                _ => "",
            };
            errors.at(
                item_head(&other),
                format!(
                    "`{attr}` goes on an inherent impl block: `{attr} impl MyType {{ ... }}`{hint}",
                    attr = kind.attr(),
                ),
            );
            return Parsed {
                item,
                model: None,
                errors,
            };
        }
        Err(err) => {
            errors.push(err);
            return Parsed {
                item,
                model: None,
                errors,
            };
        }
    };
    let (imp, model) = service_impl(kind, imp, &mut errors);
    Parsed {
        item: imp.into_token_stream(),
        model,
        errors,
    }
}

/// Strips our helper attributes from `imp` and validates it.
fn service_impl(kind: Kind, mut imp: ItemImpl, errors: &mut Errors) -> (ItemImpl, Option<Service>) {
    let attr = kind.attr();
    // Take the helper attributes off first, so that even an unusable impl is re-emitted
    // without them (they would otherwise add "cannot find attribute" errors).
    let helpers: Vec<Option<Helpers>> = imp
        .items
        .iter_mut()
        .map(|item| match item {
            ImplItem::Fn(f) => Some(take_helpers(&mut f.attrs, &mut f.sig)),
            _ => None,
        })
        .collect();

    let before = errors.count();
    if let Some((_, path, for_token)) = &imp.trait_ {
        errors.at(
            quote!(#path #for_token),
            format!(
                "`{attr}` goes on an inherent impl (`{attr} impl MyType {{ ... }}`), not on a \
                 trait impl: it implements `aiomas::rpc::Service` for the type itself"
            ),
        );
    }
    let generic = !imp.generics.params.is_empty() || imp.generics.where_clause.is_some();
    if generic {
        errors.at(&imp.generics, generic_service(attr));
    }
    let name = match &*imp.self_ty {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last().expect("a path has a segment");
            if !last.arguments.is_empty() && !generic {
                errors.at(&last.arguments, generic_service(attr));
            }
            Some(last.ident.clone())
        }
        other => {
            errors.at(
                other,
                format!("`{attr}` needs a named type: `{attr} impl MyType {{ ... }}`"),
            );
            None
        }
    };
    let name = match name {
        Some(name) if errors.count() == before => name,
        _ => return (imp, None),
    };

    let self_ty = (*imp.self_ty).clone();
    let site = Site::Service;
    let mut methods = Vec::new();
    let mut children = Vec::new();
    let mut plain = Vec::new();
    let mut names = WireNames::default();
    for (item, helpers) in imp.items.iter().zip(helpers) {
        let (ImplItem::Fn(f), Some(helpers)) = (item, helpers) else {
            continue;
        };
        let expose = match helpers.expose(errors) {
            Some(Some(expose)) => expose,
            Some(None) => {
                helpers.no_param_helpers(errors);
                plain.push(f.sig.ident.unraw().to_string());
                continue;
            }
            None => continue, // broken `#[expose]`: reported
        };
        let python_name = f.sig.ident.unraw().to_string();
        let wire_name = match expose.name {
            Some(renamed) => {
                // Python would find the attribute, but it is not exposed under this name.
                plain.push(python_name);
                renamed
            }
            None => LitStr::new(&python_name, f.sig.ident.span()),
        };
        let docs = docs(&f.attrs);
        if expose.child {
            helpers.no_param_helpers(errors);
            if let Some(ty) = child_accessor(site, &f.sig, errors) {
                let ty = replace_self(ty, &self_ty);
                if names.claim(&wire_name, &f.sig.ident, errors) {
                    children.push(Child {
                        rust_name: f.sig.ident.clone(),
                        wire_name,
                        // Spanned at the child type: "`Addition: Typed` is not satisfied".
                        proxy_ty: syn::parse_quote_spanned!(ty.span()=>
                            <#ty as ::aiomas::rpc::Typed>::Proxy
                        ),
                        service_ty: Some(ty),
                        docs,
                    });
                }
            }
        } else if let Some(mut method) =
            method(site, &f.sig, helpers.params, wire_name, docs, errors)
        {
            replace_self_in_method(&mut method, &self_ty);
            if names.claim(&method.wire_name, &f.sig.ident, errors) {
                methods.push(method);
            }
        }
    }
    let hidden = plain
        .into_iter()
        .filter(|name| !names.0.contains_key(name))
        .collect();

    let class = name.unraw().to_string();
    let proxy = Interface {
        vis: syn::parse_quote_spanned!(name.span()=> pub),
        proxy_name: format_ident!("{}Proxy", class, span = name.span()),
        docs: vec![{
            let line =
                format!("Typed proxy for a remote `{class}`: one async method per exposed method.");
            syn::parse_quote!(#[doc = #line])
        }],
        methods,
        children,
    };
    let model = Service {
        kind,
        self_ty,
        name,
        proxy,
        hidden,
    };
    (imp, Some(model))
}

fn generic_service(attr: &str) -> String {
    format!(
        "`{attr}` does not support generic types: write the impl for one concrete type (a \
         type alias works: `type IntStore = Store<i64>;` and `{attr} impl IntStore {{ ... }}`)"
    )
}

/// The arguments of `#[expose(...)]`.
struct Expose {
    name: Option<LitStr>,
    child: bool,
}

/// Our attributes, taken off one method and its parameters.
struct Helpers {
    expose: Vec<Attribute>,
    /// Per parameter (the receiver included), `#[default]`, `#[args]` and `#[kwargs]`.
    params: Vec<Vec<Attribute>>,
}

fn is_expose(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|seg| seg.ident == "expose")
}

fn is_param_helper(attr: &Attribute) -> bool {
    ["default", "args", "kwargs"]
        .iter()
        .any(|name| attr.path().is_ident(name))
}

fn take_helpers(attrs: &mut Vec<Attribute>, sig: &mut Signature) -> Helpers {
    let (expose, rest) = attrs.drain(..).partition(is_expose);
    *attrs = rest;
    let params = sig
        .inputs
        .iter_mut()
        .map(|arg| {
            let attrs = match arg {
                FnArg::Receiver(r) => &mut r.attrs,
                FnArg::Typed(t) => &mut t.attrs,
            };
            let (ours, rest) = attrs.drain(..).partition(is_param_helper);
            *attrs = rest;
            ours
        })
        .collect();
    Helpers { expose, params }
}

impl Helpers {
    /// `Some(None)`: not exposed; `None`: the attribute is broken (reported).
    fn expose(&self, errors: &mut Errors) -> Option<Option<Expose>> {
        let mut found = None;
        let mut ok = true;
        for attr in &self.expose {
            if found.is_some() {
                errors.at(attr, "duplicate `#[expose]`: one per method is enough");
                ok = false;
                continue;
            }
            match expose_args(attr) {
                Ok(expose) => found = Some(expose),
                Err(err) => {
                    errors.push(err);
                    ok = false;
                }
            }
        }
        ok.then_some(found)
    }

    /// Parameter attributes on a method that is not exposed do nothing: say so.
    fn no_param_helpers(&self, errors: &mut Errors) {
        for attr in self.params.iter().flatten() {
            errors.at(
                attr,
                format!(
                    "`#[{}]` only has an effect on parameters of `#[expose]`d methods",
                    attr.path().to_token_stream()
                ),
            );
        }
    }
}

fn expose_args(attr: &Attribute) -> syn::Result<Expose> {
    let mut expose = Expose {
        name: None,
        child: false,
    };
    match &attr.meta {
        Meta::Path(_) => {}
        Meta::List(list) => list.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let name: LitStr = meta.value()?.parse()?;
                if expose.name.is_some() {
                    return Err(meta.error("`name` is given twice"));
                }
                let value = name.value();
                if value.is_empty() || value.contains('/') {
                    return Err(Error::new(
                        name.span(),
                        "a wire name must be non-empty and cannot contain `/` (it separates \
                         the segments of a request path)",
                    ));
                }
                expose.name = Some(name);
            } else if meta.path.is_ident("child") {
                if expose.child {
                    return Err(meta.error("`child` is given twice"));
                }
                expose.child = true;
            } else {
                return Err(meta.error(format!(
                    "unknown `expose` argument `{}`; expected `name = \"...\"` (the name on the \
                     wire) or `child` (a child service)",
                    meta.path.to_token_stream()
                )));
            }
            Ok(())
        })?,
        Meta::NameValue(nv) => {
            return Err(Error::new_spanned(
                nv,
                "write `#[expose(name = \"...\")]` to rename an exposed method",
            ))
        }
    }
    Ok(expose)
}

/// Wire names already taken in one service (with the Rust method that took each), to report
/// clashes.
#[derive(Default)]
struct WireNames(HashMap<String, Ident>);

impl WireNames {
    fn claim(&mut self, name: &LitStr, rust_name: &Ident, errors: &mut Errors) -> bool {
        match self.0.get(&name.value()) {
            // Two methods of the same name: rustc reports that already.
            Some(first) if first == rust_name => false,
            Some(first) => {
                errors.push(Error::new(
                    name.span(),
                    format!(
                        "the name `{}` is already exposed by `fn {}`; rename one with \
                         `#[expose(name = \"...\")]`",
                        name.value(),
                        first
                    ),
                ));
                false
            }
            None => {
                self.0.insert(name.value(), rust_name.clone());
                true
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// #[aiomas::proxy]

pub fn proxy(attr: TokenStream, item: TokenStream) -> Parsed<Interface> {
    let mut errors = Errors::default();
    no_arguments("#[aiomas::proxy]", attr, &mut errors);
    let consumed = TokenStream::new();
    let tr = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Trait(tr)) => tr,
        Ok(other) => {
            errors.at(
                item_head(&other),
                "`#[aiomas::proxy]` goes on a trait that declares a remote interface: \
                 `#[aiomas::proxy] trait Calculator { async fn add(&self, a: i64, b: i64) -> i64; }`",
            );
            return Parsed {
                item,
                model: None,
                errors,
            };
        }
        Err(err) => {
            errors.push(err);
            return Parsed {
                item,
                model: None,
                errors,
            };
        }
    };
    let model = proxy_trait(tr, &mut errors);
    Parsed {
        item: consumed,
        model,
        errors,
    }
}

fn proxy_trait(mut tr: ItemTrait, errors: &mut Errors) -> Option<Interface> {
    let before = errors.count();
    if !tr.generics.params.is_empty() || tr.generics.where_clause.is_some() {
        errors.at(
            &tr.generics,
            "a `#[aiomas::proxy]` trait cannot be generic: the proxy calls one concrete interface",
        );
    }
    if let Some(colon) = &tr.colon_token {
        errors.at(
            {
                let supertraits = &tr.supertraits;
                quote!(#colon #supertraits)
            },
            "a `#[aiomas::proxy]` trait cannot have supertraits: declare all remote methods in it",
        );
    }
    if let Some(unsafety) = &tr.unsafety {
        errors.at(unsafety, "a `#[aiomas::proxy]` trait cannot be `unsafe`");
    }
    if let Some(auto) = &tr.auto_token {
        errors.at(auto, "a `#[aiomas::proxy]` trait cannot be `auto`");
    }
    let fatal = errors.count() > before;

    let mut methods = Vec::new();
    let mut children = Vec::new();
    let mut names = WireNames::default();
    for item in &mut tr.items {
        let f = match item {
            TraitItem::Fn(f) => f,
            other => {
                errors.at(
                    other,
                    "a `#[aiomas::proxy]` trait declares only methods: `async fn name(&self, ...) \
                     -> T;` for remote methods, `fn name(&self) -> OtherProxy;` for child services",
                );
                continue;
            }
        };
        let helpers = take_helpers(&mut f.attrs, &mut f.sig);
        for attr in &helpers.expose {
            errors.at(
                attr,
                "`#[expose]` is not needed in a `#[aiomas::proxy]` trait: every method is remote, \
                 and its name is the name on the wire",
            );
        }
        if let Some(body) = &f.default {
            errors.at(
                body,
                "remove the body: a `#[aiomas::proxy]` trait declares a remote interface, the \
                 method runs on the remote side",
            );
        }
        let wire_name = LitStr::new(&f.sig.ident.unraw().to_string(), f.sig.ident.span());
        let docs = docs(&f.attrs);
        if f.sig.asyncness.is_none()
            && f.sig.inputs.len() <= 1
            && f.sig.output != ReturnType::Default
        {
            helpers.no_param_helpers(errors);
            if let Some(ty) = child_accessor(Site::ProxyTrait, &f.sig, errors) {
                if names.claim(&wire_name, &f.sig.ident, errors) {
                    children.push(Child {
                        rust_name: f.sig.ident.clone(),
                        wire_name,
                        service_ty: None,
                        proxy_ty: ty,
                        docs,
                    });
                }
            }
        } else if f.sig.asyncness.is_none() {
            errors.at(
                {
                    let (fn_token, ident) = (&f.sig.fn_token, &f.sig.ident);
                    quote!(#fn_token #ident)
                },
                "remote methods are declared `async fn` (a non-async method declares a child \
                 service: `fn name(&self) -> OtherProxy;`)",
            );
        } else if let Some(method) = method(
            Site::ProxyTrait,
            &f.sig,
            helpers.params,
            wire_name,
            docs,
            errors,
        ) {
            if names.claim(&method.wire_name, &f.sig.ident, errors) {
                methods.push(method);
            }
        }
    }
    if fatal {
        return None;
    }
    let mut docs = docs(&tr.attrs);
    if docs.is_empty() {
        let line = format!(
            "Typed proxy for the remote interface `{}`.",
            tr.ident.unraw()
        );
        docs.push(syn::parse_quote!(#[doc = #line]));
    }
    Some(Interface {
        vis: tr.vis,
        proxy_name: format_ident!("{}Proxy", tr.ident.unraw(), span = tr.ident.span()),
        docs,
        methods,
        children,
    })
}

// ---------------------------------------------------------------------------------------------
// Signatures, shared by services and proxy traits

/// Validates an exposed method (or a declared remote one); `None` after an error.
fn method(
    site: Site,
    sig: &Signature,
    param_attrs: Vec<Vec<Attribute>>,
    wire_name: LitStr,
    docs: Vec<Attribute>,
    errors: &mut Errors,
) -> Option<Method> {
    let before = errors.count();
    receiver(site, sig, errors);
    qualifiers(site, sig, errors);
    let mut params = Vec::new();
    let mut rest_args: Option<&Attribute> = None;
    let mut rest_kwargs: Option<&Attribute> = None;
    for (arg, attrs) in sig.inputs.iter().zip(&param_attrs) {
        let FnArg::Typed(arg) = arg else { continue };
        if let Some(kwargs) = rest_kwargs {
            errors.at(
                kwargs,
                "`#[kwargs]` must be on the last parameter, as `**kwargs` in Python",
            );
            rest_kwargs = None; // report once
        }
        let kind = param_kind(site, &arg.ty, attrs, errors);
        match (&kind, attrs.first()) {
            (Some(ParamKind::RestArgs), Some(attr)) => {
                if rest_args.is_some() {
                    errors.at(
                        attr,
                        "only one parameter can take the remaining positional arguments \
                         (`#[args]`, Python's `*args`)",
                    );
                }
                rest_args = Some(attr);
            }
            (Some(ParamKind::RestKwargs), Some(attr)) => rest_kwargs = Some(attr),
            _ => {}
        }
        let name = match &*arg.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            other => {
                errors.at(
                    other,
                    format!(
                        "parameters of {} must be plain names (`name: Type`): callers pass \
                         arguments by position or by this name",
                        site.methods()
                    ),
                );
                continue;
            }
        };
        if !owned(site, &arg.ty, Position::Param, errors) {
            continue;
        }
        if let Some(kind) = kind {
            params.push(Param {
                wire_name: LitStr::new(&name.unraw().to_string(), name.span()),
                name,
                ty: (*arg.ty).clone(),
                kind,
            });
        }
    }
    let ret = returns(site, &sig.output, errors);
    if errors.count() > before {
        return None;
    }
    Some(Method {
        rust_name: sig.ident.clone(),
        wire_name,
        is_async: sig.asyncness.is_some(),
        params,
        ret: ret?,
        docs,
    })
}

/// Exposed methods take `&self`: services are shared by concurrent calls.
fn receiver(site: Site, sig: &Signature, errors: &mut Errors) {
    let what = site.methods();
    let Some(FnArg::Receiver(r)) = sig.inputs.first() else {
        let hint = match site {
            Site::Service => "; an associated function without `self` cannot be exposed",
            Site::ProxyTrait => "",
        };
        errors.at(
            &sig.ident,
            format!("{what} take `&self` as their first parameter{hint}"),
        );
        return;
    };
    let message = match &*r.ty {
        // `&self`, `&'a self`, `self: &Self`
        Type::Reference(reference)
            if reference.mutability.is_none()
                && matches!(&*reference.elem, Type::Path(p) if p.path.is_ident("Self")) =>
        {
            return
        }
        Type::Reference(reference) if reference.mutability.is_some() => match site {
            Site::Service => format!(
                "{what} take `&self`, not `&mut self`: agents are called concurrently, use \
                 interior mutability (Mutex, RefCell in a Mutex, atomics) for state"
            ),
            Site::ProxyTrait => format!(
                "{what} take `&self`, not `&mut self`: a proxy can be shared and called \
                 concurrently"
            ),
        },
        Type::Path(p) if p.path.is_ident("Self") => match site {
            Site::Service => format!(
                "{what} take `&self`, not `self` by value: the service stays alive to serve \
                 further calls"
            ),
            Site::ProxyTrait => format!("{what} take `&self`, not `self` by value"),
        },
        _ => format!("{what} take `&self`; other receiver types are not supported"),
    };
    errors.at(r, message);
}

/// Rejects what a remote call cannot express: type parameters, `unsafe`, foreign ABIs.
fn qualifiers(site: Site, sig: &Signature, errors: &mut Errors) {
    let what = site.methods();
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        let (generics, where_clause) = (&sig.generics, &sig.generics.where_clause);
        let tokens = quote!(#generics #where_clause);
        errors.at(
            tokens,
            format!(
                "{what} cannot be generic: a remote caller cannot choose a type; use concrete \
                 types (`aiomas::Value` takes any value)"
            ),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.at(
            unsafety,
            format!("{what} cannot be `unsafe`: a remote caller cannot uphold its contract"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.at(abi, format!("{what} cannot have an `extern` ABI"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.at(variadic, format!("{what} cannot be variadic"));
    }
}

/// The kind of one parameter from its attributes and type; `None` after an error.
fn param_kind(
    site: Site,
    ty: &Type,
    attrs: &[Attribute],
    errors: &mut Errors,
) -> Option<ParamKind> {
    if let Some(second) = attrs.get(1) {
        let first = attrs[0].path().to_token_stream();
        let second_name = second.path().to_token_stream();
        let message = if first.to_string() == second_name.to_string() {
            format!("duplicate `#[{first}]`")
        } else {
            format!("`#[{first}]` and `#[{second_name}]` cannot be combined on one parameter")
        };
        errors.at(second, message);
        return None;
    }
    let Some(attr) = attrs.first() else {
        return Some(match option_inner(ty) {
            Some(inner) => ParamKind::Optional(inner.clone()),
            None => ParamKind::Required,
        });
    };
    if attr.path().is_ident("default") {
        if let Site::ProxyTrait = site {
            errors.at(
                attr,
                "`#[default]` has no effect in a `#[aiomas::proxy]` trait: the proxy always \
                 sends every argument, the remote side applies its own defaults",
            );
            return None;
        }
        let needs_value = "`#[default]` needs a value: `#[default(0)]` (the expression used \
                           when the caller leaves the argument out)";
        return match &attr.meta {
            Meta::List(list) if !list.tokens.is_empty() => match list.parse_args() {
                Ok(expr) => Some(ParamKind::Default(expr)),
                Err(err) => {
                    errors.push(err);
                    None
                }
            },
            _ => {
                errors.at(attr, needs_value);
                None
            }
        };
    }
    let (kind, what) = if attr.path().is_ident("args") {
        (
            ParamKind::RestArgs,
            "the remaining positional arguments, e.g. `#[args] rest: Vec<aiomas::Value>`",
        )
    } else {
        (
            ParamKind::RestKwargs,
            "the remaining keyword arguments, e.g. `#[kwargs] rest: BTreeMap<String, aiomas::Value>`",
        )
    };
    if !matches!(attr.meta, Meta::Path(_)) {
        let name = attr.path().to_token_stream();
        errors.at(
            attr,
            format!("`#[{name}]` takes no arguments: write `#[{name}]`; it collects {what}"),
        );
        return None;
    }
    Some(kind)
}

/// `T` of a type whose last path segment is `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    match last_segment_args(ty, "Option")?.as_slice() {
        [inner] => Some(inner),
        _ => None,
    }
}

/// The type arguments of `ty` if its last path segment is `name`.
fn last_segment_args<'a>(ty: &'a Type, name: &str) -> Option<Vec<&'a Type>> {
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

/// Where a type appears, for messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Param,
    Result,
}

/// Values cross the wire: no borrows, no `impl Trait`.
fn owned(site: Site, ty: &Type, position: Position, errors: &mut Errors) -> bool {
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

struct ImplTraitFinder(Option<syn::TypeImplTrait>);

impl<'ast> Visit<'ast> for ImplTraitFinder {
    fn visit_type_impl_trait(&mut self, ty: &'ast syn::TypeImplTrait) {
        self.0.get_or_insert_with(|| ty.clone());
    }
}

/// The return type, classified syntactically.
fn returns(site: Site, output: &ReturnType, errors: &mut Errors) -> Option<Returns> {
    let ty = match output {
        ReturnType::Default => return Some(Returns::Unit),
        ReturnType::Type(_, ty) => &**ty,
    };
    if matches!(ty, Type::Tuple(t) if t.elems.is_empty()) {
        return Some(Returns::Unit);
    }
    if !owned(site, ty, Position::Result, errors) {
        return None;
    }
    Some(match last_segment_args(ty, "Result").as_deref() {
        Some([ok, err]) => {
            if !owned(site, ok, Position::Result, errors) {
                return None;
            }
            Returns::Result {
                ok: (*ok).clone(),
                err: Some((*err).clone()),
            }
        }
        Some([ok]) => {
            if !owned(site, ok, Position::Result, errors) {
                return None;
            }
            Returns::Result {
                ok: (*ok).clone(),
                err: None,
            }
        }
        _ => Returns::Value(ty.clone()),
    })
}

/// Validates a child accessor: `fn name(&self) -> &Child` in a service (returns `Child`), or
/// `fn name(&self) -> ChildProxy` in a proxy trait (returns `ChildProxy`).
fn child_accessor(site: Site, sig: &Signature, errors: &mut Errors) -> Option<Type> {
    let before = errors.count();
    receiver(site, sig, errors);
    qualifiers(site, sig, errors);
    if let Some(asyncness) = &sig.asyncness {
        errors.at(
            asyncness,
            "a child service accessor cannot be `async`: it returns the child service itself",
        );
    }
    let extra: Vec<_> = sig.inputs.iter().skip(1).collect();
    if !extra.is_empty() {
        errors.at(
            quote!(#(#extra),*),
            "a child service accessor takes only `&self`",
        );
    }
    let expected = match site {
        Site::Service => {
            "`#[expose(child)]` methods return a reference to the child service, e.g. \
             `fn addition(&self) -> &Addition`"
        }
        Site::ProxyTrait => {
            "a child service in a `#[aiomas::proxy]` trait is declared with its proxy type, \
             e.g. `fn addition(&self) -> AdditionProxy;`"
        }
    };
    let ty = match (&sig.output, site) {
        (ReturnType::Default, _) => {
            errors.at(&sig.ident, expected);
            None
        }
        (ReturnType::Type(_, ty), Site::Service) => match &**ty {
            Type::Reference(reference) if reference.mutability.is_none() => {
                Some((*reference.elem).clone())
            }
            other => {
                errors.at(other, expected);
                None
            }
        },
        (ReturnType::Type(_, ty), Site::ProxyTrait) => match &**ty {
            Type::Reference(_) => {
                errors.at(ty, expected);
                None
            }
            other => Some(other.clone()),
        },
    };
    if errors.count() > before {
        return None;
    }
    ty
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn no_arguments(attr: &str, args: TokenStream, errors: &mut Errors) {
    if !args.is_empty() {
        errors.at(args, format!("`{attr}` takes no arguments: write `{attr}`"));
    }
}

/// The tokens naming an item (`struct Foo`), to point at in an error.
fn item_head(item: &Item) -> TokenStream {
    fn head(keyword: impl ToTokens, name: impl ToTokens) -> TokenStream {
        quote!(#keyword #name)
    }
    match item {
        Item::Struct(i) => head(i.struct_token, &i.ident),
        Item::Enum(i) => head(i.enum_token, &i.ident),
        Item::Union(i) => head(i.union_token, &i.ident),
        Item::Fn(i) => head(i.sig.fn_token, &i.sig.ident),
        Item::Trait(i) => head(i.trait_token, &i.ident),
        Item::Mod(i) => head(i.mod_token, &i.ident),
        Item::Const(i) => head(i.const_token, &i.ident),
        Item::Static(i) => head(i.static_token, &i.ident),
        Item::Type(i) => head(i.type_token, &i.ident),
        Item::Impl(i) => head(i.impl_token, &i.self_ty),
        other => other.to_token_stream(),
    }
}

fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .cloned()
        .collect()
}

/// `Self` means the service type in the impl block, but the proxy lives outside of it.
fn replace_self(mut ty: Type, self_ty: &Type) -> Type {
    ReplaceSelf(self_ty).visit_type_mut(&mut ty);
    ty
}

fn replace_self_in_method(method: &mut Method, self_ty: &Type) {
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
