//! The container's root service: `validate_aid` and the `agents` sub-service, as in Python.

use std::any::Any;
use std::sync::{Arc, RwLock};

use super::lifecycle::TaskScope;
use super::Agent;
use crate::rpc::{self, Args, BoxFuture, Route, Service};

/// An agent of any type, as the table holds it.
pub(crate) trait Hosted: Send + Sync {
    fn any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    fn stop(self: Arc<Self>) -> BoxFuture<'static, ()>;
}

impl<A: Agent> Hosted for A {
    fn any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn stop(self: Arc<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.on_stop().await })
    }
}

/// One spawned agent.
pub(crate) struct Slot {
    pub(crate) agent: Arc<dyn Hosted>,
    service: Arc<dyn Service>,
    class_name: &'static str,
    /// The agent's tasks, stopped when it is removed.
    pub(crate) tasks: TaskScope,
}

impl Slot {
    pub(crate) fn new<A: Agent>(agent: Arc<A>, tasks: TaskScope) -> Slot {
        Slot {
            class_name: agent.class_name(),
            service: agent.clone(),
            agent,
            tasks,
        }
    }
}

/// Agents by id (their index). A slot is reserved before the agent is built, so an agent's
/// constructor may spawn further agents. A removed agent leaves an empty slot: ids are never
/// reused.
#[derive(Default)]
pub(crate) struct AgentTable {
    slots: RwLock<Vec<Option<Slot>>>,
}

/// A reserved id; given back when dropped unfilled (a constructor that failed, panicked or
/// was cancelled), so that, like in Python, a failed spawn uses no id (unless another spawn
/// reserved a later one meanwhile).
pub(crate) struct Reservation {
    table: Arc<AgentTable>,
    pub(crate) id: usize,
    filled: bool,
}

impl Reservation {
    /// Puts the agent in its slot; `false` if the table was cleared meanwhile (shutdown).
    pub(crate) fn fill(mut self, slot: Slot) -> bool {
        let mut slots = self.table.write();
        if let Some(entry) = slots.get_mut(self.id) {
            *entry = Some(slot);
            self.filled = true;
        }
        self.filled
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.filled {
            return;
        }
        let mut slots = self.table.write();
        if self.id + 1 == slots.len() && slots[self.id].is_none() {
            slots.pop();
        }
    }
}

impl AgentTable {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Option<Slot>>> {
        self.slots.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Option<Slot>>> {
        self.slots.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn reserve(self: &Arc<Self>) -> Reservation {
        let mut slots = self.write();
        slots.push(None);
        Reservation {
            table: self.clone(),
            id: slots.len() - 1,
            filled: false,
        }
    }

    fn index(aid: &str) -> Option<usize> {
        // Only canonical decimal ids ("0", "1", ...), so "01" or "+1" is not agent 1.
        let canonical =
            aid.bytes().all(|b| b.is_ascii_digit()) && (aid == "0" || !aid.starts_with('0'));
        aid.parse().ok().filter(|_| canonical)
    }

    fn get(&self, aid: &str) -> Option<(Arc<dyn Service>, &'static str)> {
        let slots = self.read();
        slots
            .get(Self::index(aid)?)?
            .as_ref()
            .map(|slot| (slot.service.clone(), slot.class_name))
    }

    /// The agent `aid` as `A`, if it is one.
    pub(crate) fn get_as<A: Agent>(&self, aid: &str) -> Option<Arc<A>> {
        let agent = self.read().get(Self::index(aid)?)?.as_ref()?.agent.clone();
        agent.any().downcast().ok()
    }

    /// Takes agent `aid` out of the table; its id stays used.
    pub(crate) fn remove(&self, aid: &str) -> Option<Slot> {
        let index = Self::index(aid)?;
        self.write().get_mut(index)?.take()
    }

    /// The number of agents in the table.
    pub(crate) fn len(&self) -> usize {
        self.read().iter().flatten().count()
    }

    /// Takes every agent out (they are dropped with the returned slots).
    pub(crate) fn clear(&self) -> Vec<Slot> {
        std::mem::take(&mut *self.write())
            .into_iter()
            .flatten()
            .collect()
    }
}

/// The root service a container serves on every connection.
pub(crate) struct ContainerService {
    pub(crate) agents: Arc<AgentTable>,
}

impl Service for ContainerService {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match name {
            "validate_aid" => Route::method(move |mut args: Args| async move {
                let aid: String = args.required("aid")?;
                args.finish()?;
                let class_name = self.agents.get(&aid).map(|(_, class_name)| class_name);
                rpc::__private::encode(&class_name)
            }),
            "agents" => Route::Service(&*self.agents),
            _ => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "Container"
    }

    fn module_path(&self) -> &'static str {
        "aiomas.agent"
    }
}

/// The `agents` sub-service (Python's `ServiceDict` of agents).
impl Service for AgentTable {
    fn route<'a>(&'a self, name: &str) -> Route<'a> {
        match self.get(name) {
            Some((service, _)) => Route::Shared(service),
            None => Route::NotFound,
        }
    }

    fn class_name(&self) -> &'static str {
        "ServiceDict"
    }

    fn module_path(&self) -> &'static str {
        "aiomas.rpc"
    }
}
