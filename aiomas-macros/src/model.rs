//! The validated model: what `parse` hands to `render`.
//!
//! Everything here is already checked, so the renderers never report errors. Types in the model
//! never mention `Self` (it is replaced by the service type), because the proxy lives outside the
//! user's impl block.

use proc_macro2::Ident;
use syn::{Attribute, Expr, LitStr, Type, Visibility};

/// Which attribute produced a service: an agent also gets `aiomas::agent::Agent` (its
/// lifecycle hooks) and, with a `#[spawn]` constructor, `aiomas::agent::Spawnable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Service,
    Agent,
}

impl Kind {
    /// The attribute as the user writes it, for error messages.
    pub fn attr(self) -> &'static str {
        match self {
            Kind::Service => "#[aiomas::service]",
            Kind::Agent => "#[aiomas::agent]",
        }
    }
}

/// An inherent impl block annotated with `#[aiomas::service]` or `#[aiomas::agent]`.
pub struct Service {
    pub kind: Kind,
    /// The impl's self type, as written.
    pub self_ty: Type,
    /// The last segment of the self type: the class name, and the stem of the proxy's name.
    pub name: Ident,
    /// The typed proxy for remote instances.
    pub proxy: Interface,
    /// Names of the impl's methods that are not exposed (Python: "... is not exposed").
    pub hidden: Vec<String>,
    /// The agent's hooks and constructor (always empty for a service).
    pub lifecycle: Lifecycle,
}

/// `#[on_start]`, `#[on_stop]` and `#[spawn]` methods of an agent.
#[derive(Default)]
pub struct Lifecycle {
    /// `#[on_start] async fn name(self: Arc<Self>)`.
    pub on_start: Option<Ident>,
    /// `#[on_stop] [async] fn name(&self)`.
    pub on_stop: Option<Hook>,
    /// `#[spawn] [async] fn name(ctx: AgentContext, params...) -> Self`.
    pub constructor: Option<Constructor>,
}

pub struct Hook {
    pub rust_name: Ident,
    pub is_async: bool,
}

/// The constructor the manager calls with a spawn request's arguments.
pub struct Constructor {
    pub rust_name: Ident,
    pub is_async: bool,
    /// The parameters after the context.
    pub params: Vec<Param>,
    /// `Self` (a `Value`) or `Result<Self, E>`.
    pub ret: Returns,
}

/// The callable surface of a service: what a proxy mirrors and a router dispatches.
/// A `#[aiomas::proxy]` trait produces only this.
pub struct Interface {
    pub vis: Visibility,
    /// `<Name>Proxy`, spanned at the user's type or trait name.
    pub proxy_name: Ident,
    /// Documentation of the proxy struct.
    pub docs: Vec<Attribute>,
    pub methods: Vec<Method>,
    pub children: Vec<Child>,
}

/// An exposed (or, in a proxy trait, declared) remote method.
pub struct Method {
    pub rust_name: Ident,
    /// The name on the wire (the last segment of the request path).
    pub wire_name: LitStr,
    pub is_async: bool,
    pub params: Vec<Param>,
    pub ret: Returns,
    /// The method's `#[doc]` attributes, copied to the proxy method.
    pub docs: Vec<Attribute>,
}

pub struct Param {
    /// The Rust binding (may be a raw identifier).
    pub name: Ident,
    /// The keyword callers use: the binding without `r#`.
    pub wire_name: LitStr,
    pub ty: Type,
    pub kind: ParamKind,
}

pub enum ParamKind {
    /// Must be given, by position or keyword.
    Required,
    /// `Option<T>`: may be left out (it is `None` then). Holds `T`.
    Optional(Type),
    /// `#[default(expr)]`: `expr` when left out.
    Default(Expr),
    /// `#[args]`: all remaining positional arguments (Python's `*args`).
    RestArgs,
    /// `#[kwargs]`: all remaining keyword arguments (Python's `**kwargs`).
    RestKwargs,
}

/// How a method's result reaches the caller, decided syntactically.
#[allow(clippy::large_enum_variant)] // one per method, built once: boxing would only add noise
pub enum Returns {
    /// No return type or `()`.
    Unit,
    /// Any other type, sent as it is.
    Value(Type),
    /// A type named `Result`: `Ok` is sent, `Err` becomes an exception reply. `err` is `None`
    /// for one-parameter aliases such as `io::Result<T>` whose error type cannot be named here.
    Result { ok: Type, err: Option<Type> },
}

/// A child service (`#[expose(child)]`, or a non-async method in a proxy trait).
pub struct Child {
    pub rust_name: Ident,
    pub wire_name: LitStr,
    /// The child's service type (`T` of `&T`); `None` in a proxy trait, which has no router.
    pub service_ty: Option<Type>,
    /// The typed proxy for the child.
    pub proxy_ty: Type,
    pub docs: Vec<Attribute>,
}
