//! Sub-process containers: a container whose agent 0 is a [`Manager`] that spawns agents by
//! name, sets the clock and stops the process (Python's `aiomas.subproc`).

use std::sync::Arc;

use tokio::sync::Notify;
use tracing::info;

use super::registry::{spawn_by_name, AgentType};
use super::{Agent, AgentContext};
use crate::rpc::{self, Args, Exception, Route, Service};

/// The manager agent: `spawn(qualname, *args, **kwargs)`, `set_time(t)`, `stop()`.
pub struct Manager {
    ctx: AgentContext,
    registry: &'static [AgentType],
    stop: Arc<Notify>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let types: Vec<&str> = self.registry.iter().map(AgentType::name).collect();
        f.debug_struct("Manager")
            .field("ctx", &self.ctx)
            .field("registry", &types)
            .finish_non_exhaustive()
    }
}

impl Manager {
    /// A manager that spawns the types of `registry` and signals `stop` when told to stop.
    pub fn new(ctx: AgentContext, registry: &'static [AgentType], stop: Arc<Notify>) -> Self {
        Manager {
            ctx,
            registry,
            stop,
        }
    }
}

impl Service for Manager {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match name {
            "spawn" => Route::method(move |mut args: Args| async move {
                let qualname: String = args.required("qualname")?;
                let positional: Vec<crate::Value> = args.rest_args()?;
                let keywords: Vec<(String, crate::Value)> = {
                    let map: std::collections::BTreeMap<String, crate::Value> =
                        args.rest_kwargs()?;
                    map.into_iter().collect()
                };
                args.finish()?;
                let agent_args = Args::new(qualname.clone(), positional, keywords);
                let container = self.ctx.container().map_err(Exception::from)?;
                let (agent, addr) =
                    spawn_by_name(self.registry, &container, &qualname, agent_args).await?;
                info!("spawned {qualname} at {addr}");
                rpc::__private::encode(&(agent, addr))
            }),
            "set_time" => Route::method(move |mut args: Args| async move {
                let time: f64 = args.required("time")?;
                args.finish()?;
                self.ctx.clock().set_time(time).map_err(Exception::from)?;
                rpc::__private::encode(&())
            }),
            "stop" => Route::method(move |args: Args| async move {
                args.finish()?;
                self.stop.notify_one();
                rpc::__private::encode(&())
            }),
            _ => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "Manager"
    }

    fn module_path(&self) -> &'static str {
        "aiomas.subproc"
    }
}

impl Agent for Manager {}
