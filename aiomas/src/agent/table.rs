//! The container's root service: `validate_aid` and the `agents` sub-service, as in Python.

use std::sync::{Arc, RwLock};

use crate::rpc::{self, Args, Route, Service};

/// One spawned agent.
struct Slot {
    service: Arc<dyn Service>,
    class_name: &'static str,
}

/// Agents by id (their index). A slot is reserved before the agent is built, so an agent's
/// constructor may spawn further agents.
#[derive(Default)]
pub(crate) struct AgentTable {
    slots: RwLock<Vec<Option<Slot>>>,
}

impl AgentTable {
    pub(crate) fn reserve(&self) -> usize {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        slots.push(None);
        slots.len() - 1
    }

    /// Gives back a reserved slot whose agent could not be built; like Python, a failed spawn
    /// then uses no id (unless another spawn reserved a later slot meanwhile).
    pub(crate) fn release(&self, id: usize) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        if id + 1 == slots.len() && slots[id].is_none() {
            slots.pop();
        }
    }

    pub(crate) fn fill(&self, id: usize, service: Arc<dyn Service>, class_name: &'static str) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get_mut(id) {
            *slot = Some(Slot {
                service,
                class_name,
            });
        }
    }

    fn get(&self, aid: &str) -> Option<(Arc<dyn Service>, &'static str)> {
        // Only canonical decimal ids ("0", "1", ...), so "01" or "+1" is not agent 1.
        let canonical =
            aid.bytes().all(|b| b.is_ascii_digit()) && (aid == "0" || !aid.starts_with('0'));
        let index: usize = aid.parse().ok().filter(|_| canonical)?;
        let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
        slots
            .get(index)?
            .as_ref()
            .map(|slot| (slot.service.clone(), slot.class_name))
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Drops every agent (they hold their container; this breaks the cycle at shutdown).
    pub(crate) fn clear(&self) {
        self.slots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
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
