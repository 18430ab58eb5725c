//! Agent types that can be spawned by name (by the manager agent of a sub-process container).
//! The registry is a `static` slice: filled at compile time, no run-time registration.

use std::future::Future;
use std::sync::Arc;

use super::{Agent, AgentContext, Container};
use crate::rpc::{Args, BoxFuture, Exception};
use crate::ServiceRef;

/// An agent type that can be built from Python-style arguments: the manager's
/// `spawn(qualname, *args, **kwargs)` passes `args` and `kwargs` on to it.
///
/// `#[spawn]` on a constructor inside an `#[aiomas::agent]` impl block implements it (see
/// [`macro@crate::agent`]); by hand:
///
/// ```
/// use aiomas::agent::{Agent, AgentContext, Spawnable};
/// use aiomas::rpc::{Args, Exception, Route, Service};
///
/// struct Greeter { name: String }
///
/// impl Service for Greeter {
///     fn route<'a>(&'a self, _name: &str) -> Route<'a> { Route::NotFound }
///     fn class_name(&self) -> &'static str { "Greeter" }
/// }
///
/// impl Agent for Greeter {}
///
/// impl Spawnable for Greeter {
///     async fn from_args(_ctx: AgentContext, mut args: Args) -> Result<Self, Exception> {
///         let name = args.or_default("name", || "World".to_owned())?;
///         args.finish()?;
///         Ok(Greeter { name })
///     }
/// }
/// ```
pub trait Spawnable: Agent {
    /// Builds the agent in its context from the caller's arguments.
    fn from_args(
        ctx: AgentContext,
        args: Args,
    ) -> impl Future<Output = Result<Self, Exception>> + Send;
}

type SpawnFn = fn(&Container, Args) -> BoxFuture<'static, Result<(ServiceRef, String), Exception>>;

/// One entry of a registry: a name and how to spawn that agent type.
///
/// ```
/// # use aiomas::agent::{Agent, AgentContext, AgentType, Spawnable};
/// # use aiomas::rpc::{Args, Exception, Route, Service};
/// # struct Greeter;
/// # impl Service for Greeter {
/// #     fn route<'a>(&'a self, _: &str) -> Route<'a> { Route::NotFound }
/// #     fn class_name(&self) -> &'static str { "Greeter" }
/// # }
/// # impl Agent for Greeter {}
/// # impl Spawnable for Greeter {
/// #     async fn from_args(_: AgentContext, args: Args) -> Result<Self, Exception> { args.finish()?; Ok(Greeter) }
/// # }
/// static AGENTS: &[AgentType] = &[AgentType::of::<Greeter>("greetings:Greeter")];
/// assert_eq!(AGENTS[0].name(), "greetings:Greeter");
/// ```
#[derive(Clone, Copy)]
pub struct AgentType {
    name: &'static str,
    spawn: SpawnFn,
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
}

fn spawn_erased<A: Spawnable>(
    container: &Container,
    args: Args,
) -> BoxFuture<'static, Result<(ServiceRef, String), Exception>> {
    let container = container.clone();
    Box::pin(async move {
        let (reservation, ctx) = container.reserve::<A>().map_err(Exception::from)?;
        let agent = A::from_args(ctx.clone(), args).await?;
        container
            .register(reservation, &ctx, Arc::new(agent))
            .map_err(Exception::from)?;
        Ok((ctx.me(), ctx.addr().to_owned()))
    })
}

/// Finds `qualname` (the full `module:Class` name it is registered under) in `registry` and
/// spawns it into `container`.
pub(crate) async fn spawn_by_name(
    registry: &[AgentType],
    container: &Container,
    qualname: &str,
    args: Args,
) -> Result<(ServiceRef, String), Exception> {
    let entry = registry
        .iter()
        .find(|t| t.name == qualname)
        .ok_or_else(|| {
            let known: Vec<_> = registry.iter().map(|t| t.name).collect();
            Exception::new(
                "AttributeError",
                format!("no agent type {qualname:?} in the registry (known: {known:?})"),
            )
        })?;
    (entry.spawn)(container, args).await
}
