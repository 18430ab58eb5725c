//! Agent types that can be spawned by name (by the manager agent of a sub-process container).
//! The registry is a `static` slice: filled at compile time, no run-time registration.

use std::sync::Arc;

use super::{AgentContext, Container};
use crate::rpc::{Args, Exception, Service};
use crate::ServiceRef;

/// An agent type that can be built from Python-style arguments: the manager's
/// `spawn(qualname, *args, **kwargs)` passes `args` and `kwargs` on to it.
///
/// ```
/// use aiomas::agent::{AgentContext, Spawnable};
/// use aiomas::rpc::{Args, Exception, Route, Service};
///
/// struct Greeter { name: String }
///
/// impl Service for Greeter {
///     fn route<'a>(&'a self, _name: &str) -> Route<'a> { Route::NotFound }
///     fn class_name(&self) -> &'static str { "Greeter" }
/// }
///
/// impl Spawnable for Greeter {
///     fn from_args(_ctx: AgentContext, mut args: Args) -> Result<Self, Exception> {
///         let name = args.or_default("name", || "World".to_owned())?;
///         args.finish()?;
///         Ok(Greeter { name })
///     }
/// }
/// ```
pub trait Spawnable: Service + Sized {
    /// Builds the agent in its context from the caller's arguments.
    fn from_args(ctx: AgentContext, args: Args) -> Result<Self, Exception>;
}

type SpawnFn = fn(&Container, Args) -> Result<(ServiceRef, String), Exception>;

/// One entry of a registry: a name and how to spawn that agent type.
///
/// ```
/// # use aiomas::agent::{AgentContext, AgentType, Spawnable};
/// # use aiomas::rpc::{Args, Exception, Route, Service};
/// # struct Greeter;
/// # impl Service for Greeter {
/// #     fn route<'a>(&'a self, _: &str) -> Route<'a> { Route::NotFound }
/// #     fn class_name(&self) -> &'static str { "Greeter" }
/// # }
/// # impl Spawnable for Greeter {
/// #     fn from_args(_: AgentContext, args: Args) -> Result<Self, Exception> { args.finish()?; Ok(Greeter) }
/// # }
/// static AGENTS: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
/// assert_eq!(AGENTS[0].name(), "greetings:Greeter");
/// ```
#[derive(Clone, Copy)]
pub struct AgentType {
    name: &'static str,
    spawn: SpawnFn,
}

impl std::fmt::Debug for AgentType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentType")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AgentType {
    /// The entry for `A`, spawnable as `name` (Python masters pass e.g. `"module:Class"`).
    pub const fn of<A: Spawnable>(name: &'static str) -> AgentType {
        AgentType {
            name,
            spawn: spawn_erased::<A>,
        }
    }

    /// The name the type is registered under.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether `qualname` names this type: the full name, or the part after `module:`.
    fn matches(&self, qualname: &str) -> bool {
        let short = |s: &'static str| s.rsplit([':', '.']).next().unwrap_or(s);
        self.name == qualname
            || short(self.name) == qualname.rsplit([':', '.']).next().unwrap_or(qualname)
    }
}

fn spawn_erased<A: Spawnable>(
    container: &Container,
    args: Args,
) -> Result<(ServiceRef, String), Exception> {
    let (slot, ctx) = container.reserve_slot::<A>();
    let (me, addr) = (ctx.me(), ctx.addr().to_owned());
    match A::from_args(ctx, args) {
        Ok(agent) => {
            container.register_slot(slot, Arc::new(agent));
            Ok((me, addr))
        }
        Err(exc) => {
            container.release_slot(slot);
            Err(exc)
        }
    }
}

/// Finds `qualname` in `registry` and spawns it into `container`.
pub(crate) fn spawn_by_name(
    registry: &[AgentType],
    container: &Container,
    qualname: &str,
    args: Args,
) -> Result<(ServiceRef, String), Exception> {
    let entry = registry
        .iter()
        .find(|t| t.matches(qualname))
        .ok_or_else(|| {
            let known: Vec<_> = registry.iter().map(|t| t.name).collect();
            Exception::new(
                "AttributeError",
                format!("no agent type {qualname:?} in the registry (known: {known:?})"),
            )
        })?;
    (entry.spawn)(container, args)
}
