//! A container of aiomas agents behind mosaik: the agents follow mosaik's time.
//!
//! Model `Watcher` (param `threshold`): each is an agent in one container whose clock is driven
//! by mosaik ([`MosaikTime`]). When mosaik steps the simulator, the agents get their `val_in`
//! inputs and count the values above their threshold (`alarms`); independently, each agent
//! patrols every 2 seconds of simulated time (a sleep on the container's clock) and asks
//! mosaik for the progress while doing so (`patrols` counts the answers). The simulator is
//! event-based: inputs on `val_in` trigger a step, and it also asks to be stepped at the
//! agents' next wake-up, which `MosaikTime::step` returns. Each step, an agent counts the
//! `val_in` values it gets (mosaik delivers the last value of a time-based source again).
//!
//! Run it from a scenario like the other examples: `'cmd': 'mosaik_agents %(addr)s'`.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use aiomas::agent::{AgentContext, AgentHandle, Container, ContainerOptions};
use aiomas::channel::Addr;
use aiomas::mosaik::{
    CreatedEntity, Inputs, Meta, Model, MosaikProxy, MosaikTime, OutputData, OutputRequest, Params,
    SimType, Simulator, Time,
};
use aiomas::rpc::Exception;

/// How often a watcher patrols, in seconds of simulated time.
const PATROL_INTERVAL: f64 = 2.0;

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    alarms: i64,
    patrols: i64,
}

/// An agent that watches one input.
struct Watcher {
    ctx: AgentContext,
    threshold: f64,
    mosaik: MosaikProxy,
    counts: Mutex<Counts>,
}

#[aiomas::agent]
impl Watcher {
    /// The current counts.
    async fn counts(&self) -> Counts {
        *self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Watcher {
    fn update(&self, change: impl FnOnce(&mut Counts)) {
        change(&mut self.counts.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Counts the values above the threshold.
    fn observe(&self, values: &[f64]) {
        let above = values.iter().filter(|v| **v > self.threshold).count() as i64;
        self.update(|c| c.alarms += above);
    }

    /// Every `PATROL_INTERVAL` of the container's clock: asks mosaik for the progress.
    async fn patrol(self: Arc<Self>) -> aiomas::Result<()> {
        loop {
            self.ctx.clock().sleep(PATROL_INTERVAL).await?;
            let progress = self.mosaik.get_progress().await?;
            tracing::debug!(agent = self.ctx.id(), progress, "patrol");
            self.update(|c| c.patrols += 1);
        }
    }
}

/// The simulator: one container, one agent per entity.
struct Watchers {
    time: MosaikTime,
    container: Option<Container>,
    mosaik: Option<MosaikProxy>,
    agents: Vec<AgentHandle<Watcher>>,
}

impl Watchers {
    fn agent(&self, eid: &str) -> Result<&AgentHandle<Watcher>, Exception> {
        eid.parse::<usize>()
            .ok()
            .and_then(|i| self.agents.get(i))
            .ok_or_else(|| Exception::new("KeyError", format!("'{eid}'")))
    }
}

impl Simulator for Watchers {
    async fn init(
        &mut self,
        _sid: &str,
        time_resolution: f64,
        _params: &mut Params,
        mosaik: &MosaikProxy,
    ) -> Result<Meta, Exception> {
        self.time = MosaikTime::new(chrono::Utc::now(), time_resolution);
        let options = ContainerOptions::default().clock(self.time.clock().clone());
        self.container = Some(Container::create(Addr::tcp("127.0.0.1", 0), options).await?);
        self.mosaik = Some(mosaik.clone());
        Ok(Meta::new(SimType::EventBased).model(
            "Watcher",
            Model::public()
                .params(["threshold"])
                .attrs(["val_in", "alarms", "patrols"]),
        ))
    }

    async fn create(
        &mut self,
        num: usize,
        model: &str,
        params: &mut Params,
    ) -> Result<Vec<CreatedEntity>, Exception> {
        let threshold: f64 = params.required("threshold")?;
        let (Some(container), Some(mosaik)) = (&self.container, &self.mosaik) else {
            return Err(Exception::new("RuntimeError", "create before init"));
        };
        let mut created = Vec::with_capacity(num);
        for _ in 0..num {
            let agent = container.spawn(|ctx| Watcher {
                ctx,
                threshold,
                mosaik: mosaik.clone(),
                counts: Mutex::default(),
            })?;
            agent.ctx.spawn(agent.agent().clone().patrol());
            created.push(CreatedEntity::new(agent.id(), model));
            self.agents.push(agent);
        }
        Ok(created)
    }

    async fn step(
        &mut self,
        time: Time,
        inputs: Inputs,
        max_advance: Time,
    ) -> Result<Option<Time>, Exception> {
        for (eid, entity) in inputs.entities() {
            if let Some(values) = entity.attr("val_in") {
                self.agent(eid)?.observe(&values.decode::<f64>()?);
            }
        }
        let mosaik = self.mosaik.as_ref().expect("init comes first");
        self.time.step(time, max_advance, mosaik).await
    }

    async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
        let mut data = OutputData::new();
        for (eid, attrs) in outputs.iter() {
            let counts = self.agent(eid)?.counts().await;
            let entity = data.entity(eid);
            for attr in attrs {
                match attr.as_str() {
                    "alarms" => entity.set("alarms", counts.alarms),
                    "patrols" => entity.set("patrols", counts.patrols),
                    _ => entity,
                };
            }
        }
        Ok(data)
    }

    async fn stop(&mut self) {
        if let Some(container) = self.container.take() {
            container.shutdown().await;
        }
    }
}

fn main() -> ExitCode {
    aiomas::mosaik::start_simulation(Watchers {
        time: MosaikTime::new(chrono::Utc::now(), 1.0),
        container: None,
        mosaik: None,
        agents: Vec::new(),
    })
}
