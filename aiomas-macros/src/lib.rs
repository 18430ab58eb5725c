//! Procedural macros for `aiomas`. Use them through the re-exports in the `aiomas` crate:
//! `aiomas::service`, `aiomas::agent`, `aiomas::proxy` and `aiomas::expose`.
//!
//! The crate reads like a small compiler: `parse` turns syn syntax into the validated `model`
//! (reporting every misuse at its token), and `render` turns the model into code.
//! The runnable examples live in the `aiomas` crate; the examples here are not compiled.

mod model;
mod parse;
mod render;

use proc_macro::TokenStream;

use model::Kind;

/// Makes the `#[expose]`d methods of an inherent impl block callable over RPC.
///
/// ```text
/// struct Calculator {
///     addition: Addition,
/// }
///
/// #[aiomas::service]
/// impl Calculator {
///     #[expose]
///     fn add(&self, a: i64, #[default(0)] b: i64) -> i64 {
///         a + b
///     }
///
///     #[expose(name = "div")]
///     async fn divide(&self, a: f64, b: f64) -> Result<f64, String> {
///         if b == 0.0 { Err("division by zero".into()) } else { Ok(a / b) }
///     }
///
///     #[expose(child)]
///     fn addition(&self) -> &Addition {
///         &self.addition
///     }
///
///     fn helper(&self) {} // not exposed: callers get `"module.Calculator.helper" is not exposed`
/// }
/// ```
///
/// # Exposed methods
///
/// `#[expose]` marks a method as callable; `#[expose(name = "wire")]` calls it `wire` on the
/// wire. The service macro consumes these attributes, so inside its impl block `#[expose]` needs
/// no import, like a derive's helper attribute (`#[aiomas::expose]` works too; importing
/// `aiomas::expose` just for these leaves the import unused).
///
/// Exposed methods take `&self` (services are called concurrently; keep state behind a `Mutex`
/// or atomics), may be `async` (the future must be `Send`), and cannot be generic. Their
/// parameters are owned types that serialize and deserialize, bound by plain names: the name
/// (without `r#`) is the keyword a Python caller uses. Parameters may be marked:
///
/// - `#[default(expr)]`: `expr` is used when the caller leaves the argument out;
/// - an `Option<T>` parameter may be left out (it is `None` then);
/// - `#[args]`: the remaining positional arguments (Python's `*args`), e.g. `Vec<aiomas::Value>`;
///   parameters after it can only be passed by keyword;
/// - `#[kwargs]`: the remaining keyword arguments (Python's `**kwargs`), e.g.
///   `BTreeMap<String, aiomas::Value>`; it must be the last parameter.
///
/// The result must serialize and deserialize (the proxy decodes it). A result type named
/// `Result` sends its `Ok` value and turns its `Err` (any `Display + Send + 'static`) into an
/// exception reply. `Self` may appear in signatures.
///
/// Misuse is a compile error at the offending token that says how to fix it. The impl block is
/// always re-emitted (without the helper attributes), so one mistake gives one error.
///
/// `#[expose(child)]` (optionally with `name = "..."`) on `fn name(&self) -> &Child` exposes a
/// child service: a request for `name/method` calls `method` on the child, which must implement
/// `aiomas::rpc::Service` (typically through its own `#[aiomas::service]`).
///
/// # Generated items
///
/// - `impl aiomas::rpc::Service for Calculator`: the dispatch table. Names of methods that are
///   not exposed answer "is not exposed"; other names "not found".
/// - `pub struct CalculatorProxy`, a typed proxy with one `async fn` per exposed method (same
///   parameters, returning `Result<T, aiomas::Error>`) and one accessor per child. It is
///   `Clone`, `Debug`, `Display`, serializable as a service reference, and implements
///   `aiomas::rpc::FromProxy`.
/// - `impl aiomas::rpc::Typed for Calculator { type Proxy = CalculatorProxy; }`.
///
/// The proxy is defined next to the impl block, so the module must not define another
/// `CalculatorProxy`: rustc reports "the name `CalculatorProxy` is defined multiple times" at
/// the user's item and at `impl Calculator` (followed by two errors about the proxy's field in
/// the user's struct). Methods named like the items of `Service` (`route`, `class_name`,
/// `module_path`), `FromProxy` or std traits are fine: those traits are implemented separately,
/// and inherent methods win.
///
/// The generated code names everything by absolute paths (`::aiomas::...`), so the crate must
/// be a dependency called `aiomas` (inside `aiomas` itself: `extern crate self as aiomas;`).
/// One `#[aiomas::service]` impl block per type; generic types are not supported (a type alias
/// for one instantiation is).
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    render::service(parse::service(Kind::Service, attr.into(), item.into())).into()
}

/// Makes the `#[expose]`d methods of an agent's impl block callable over RPC, and makes the
/// type an agent (`impl aiomas::agent::Agent`) with optional lifecycle methods.
///
/// ```text
/// #[aiomas::agent]
/// impl Counter {
///     #[spawn]
///     fn new(ctx: AgentContext, start: i64, #[default(1)] step: i64) -> Self { ... }
///
///     #[on_start]
///     async fn start(self: Arc<Self>) -> aiomas::Result<()> { ... }
///
///     #[on_stop]
///     async fn stop(&self) { ... }
///
///     #[expose]
///     fn next(&self) -> i64 { ... }
/// }
/// ```
///
/// Everything [`macro@service`] says about exposed methods and the generated proxy holds here.
/// In addition (each at most once, none of them exposed):
///
/// - `#[on_start]`: `async fn name(self: Arc<Self>)`, returning `()` or a `Result<(), E>`;
///   runs once after the agent is spawned, as a task of its container. An `Err` or a panic is
///   reported (a `tracing` error with the agent's address, and the container's
///   `on_task_failure` hook).
/// - `#[on_stop]`: `[async] fn name(&self)`; awaited when the agent is removed and when its
///   container shuts down (bounded by `aiomas::agent::STOP_HOOK_TIMEOUT`).
/// - `#[spawn]`: a constructor `[async] fn name(ctx: AgentContext, params...)` returning `Self`
///   or `Result<Self, E>`; generates `impl aiomas::agent::Spawnable`, so the type can be put in
///   a registry (`AgentType::of::<Counter>("module:Counter")`) and spawned by name by a
///   manager. Its parameters after the context take the spawn request's arguments with the
///   rules of exposed methods (by position or keyword, `#[default(expr)]`, `Option<T>`,
///   `#[args]`, `#[kwargs]`); a constructor's `Err` becomes the spawn request's exception.
#[proc_macro_attribute]
pub fn agent(attr: TokenStream, item: TokenStream) -> TokenStream {
    render::service(parse::service(Kind::Agent, attr.into(), item.into())).into()
}

/// Marks a method of a `#[aiomas::service]` or `#[aiomas::agent]` impl block as callable over
/// RPC: `#[expose]`, `#[expose(name = "wire_name")]`, `#[expose(child)]`,
/// `#[expose(child, name = "wire_name")]`. See [`macro@service`].
///
/// The service macro consumes these attributes (they need no import there). This macro itself
/// only runs where no service macro did, so it always reports an error: `#[expose]` has no
/// effect anywhere else.
#[proc_macro_attribute]
pub fn expose(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let error = syn::Error::new(proc_macro2::Span::call_site(), parse::expose_elsewhere())
        .to_compile_error();
    let item = proc_macro2::TokenStream::from(item);
    quote::quote!(#error #item).into()
}

/// Declares the interface of a remote service that has no Rust implementation (for example a
/// Python agent), and generates its typed proxy.
///
/// ```text
/// #[aiomas::proxy]
/// pub trait Calculator {
///     async fn add(&self, a: i64, b: i64) -> i64;
///     async fn info(&self, #[args] rest: Vec<aiomas::Value>) -> aiomas::Value;
///     fn addition(&self) -> AdditionProxy;
/// }
///
/// // let calc = <CalculatorProxy as aiomas::rpc::FromProxy>::from_proxy(client.remote());
/// // let sum: i64 = calc.add(1, 2).await?;
/// ```
///
/// The trait is **consumed**: only `CalculatorProxy` (named after the trait, with the trait's
/// visibility and docs) is generated, exactly like the proxy of a `#[aiomas::service]`.
///
/// - `async fn name(&self, params...) -> T;` declares a remote method; the method name (without
///   `r#`) is the name on the wire, parameters before an `#[args]` parameter are sent by
///   position, the others by keyword. The proxy method returns `Result<T, aiomas::Error>` (for a
///   declared `Result<T, E>`, `Result<T, aiomas::Error>`).
/// - `fn name(&self) -> OtherProxy;` (not async) declares a child service; `OtherProxy` is any
///   type implementing `aiomas::rpc::FromProxy` (a generated proxy, or `aiomas::rpc::Proxy`).
#[proc_macro_attribute]
pub fn proxy(attr: TokenStream, item: TokenStream) -> TokenStream {
    render::proxy_trait(parse::proxy(attr.into(), item.into())).into()
}
