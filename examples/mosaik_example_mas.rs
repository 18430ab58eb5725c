//! A port of mosaik-api-v3's `example_mas` (`example_mas/mosaik.py`), behaving and printing
//! identically under mosaik.
//!
//! Not really a multi-agent system: it shows how a simulator gets and sets other simulators'
//! data through mosaik while it steps, without data flows in the scenario. Each step prints the
//! progress, at time 0 the entities related to its agents, then their `val_out`; and it sets
//! their `val_in` to 23. The scenario must connect the agents to those entities with
//! `async_requests=True`.

use std::process::ExitCode;

use aiomas::mosaik::{
    py_repr, CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    SimType, Simulator, Time,
};
use aiomas::rpc::Exception;
use aiomas::Value;

/// The simulator (`ExampleMas`).
#[derive(Default)]
struct ExampleMas {
    sid: String,
    step_size: Time,
    mosaik: Option<MosaikProxy>,
    /// The full ids of the agents.
    agents: Vec<String>,
    /// The related entities of each agent, as mosaik sent them at time 0.
    rel: Value,
}

/// The keys of a map value.
fn keys(map: &Value) -> impl Iterator<Item = &Value> {
    map.as_map().unwrap_or_default().iter().map(|(k, _)| k)
}

impl Simulator for ExampleMas {
    async fn init(
        &mut self,
        sid: &str,
        _time_resolution: f64,
        params: &mut Params,
        mosaik: &MosaikProxy,
    ) -> Result<Meta, Exception> {
        self.sid = sid.to_owned();
        self.step_size = params.or_default("step_size", || 1)?;
        self.mosaik = Some(mosaik.clone());
        Ok(Meta::new(SimType::TimeBased).model("Agent", Model::public()))
    }

    async fn create(
        &mut self,
        num: usize,
        model: &str,
        _params: &mut Params,
    ) -> Result<Vec<CreatedEntity>, Exception> {
        if model != "Agent" {
            return Err(Exception::new(
                "ValueError",
                "Can only create \"Agent\" models.",
            ));
        }
        let first = self.agents.len();
        let agents: Vec<CreatedEntity> = (first..first + num)
            .map(|eid| CreatedEntity::new(eid.to_string(), model))
            .collect();
        self.agents
            .extend(agents.iter().map(|a| format!("{}.{}", self.sid, a.eid)));
        Ok(agents)
    }

    async fn step(
        &mut self,
        time: Time,
        _inputs: Inputs,
        _max_advance: Time,
    ) -> Result<Option<Time>, Exception> {
        let mosaik = self.mosaik.as_ref().expect("init comes first");
        let progress = mosaik.get_progress().await?;
        println!("Progress: {progress:.1}%");

        if time == 0 {
            self.rel = mosaik.get_related_entities(self.agents.clone()).await?;
            println!("{}", py_repr(&self.rel));
        }

        let request: Vec<(Value, Value)> = self
            .rel
            .as_map()
            .unwrap_or_default()
            .iter()
            .flat_map(|(_, rels)| keys(rels))
            .map(|eid| (eid.clone(), vec![Value::from("val_out")].into()))
            .collect();
        let data: Value = mosaik.get_data(&Value::Map(request)).await?;
        println!("{}", py_repr(&data));

        let inputs: Vec<(Value, Value)> = self
            .agents
            .iter()
            .map(|full_id| {
                let rels = self.rel.get(full_id).unwrap_or(&Value::Nil);
                let dest = keys(rels)
                    .map(|eid| {
                        let attrs = Value::Map(vec![("val_in".into(), 23.into())]);
                        (eid.clone(), attrs)
                    })
                    .collect();
                (full_id.as_str().into(), Value::Map(dest))
            })
            .collect();
        mosaik.set_data(&Value::Map(inputs)).await?;

        Ok(Some(time + self.step_size))
    }

    async fn get_data(&mut self, _outputs: OutputRequest) -> Result<OutputData, Exception> {
        // We have nothing to give ...
        Ok(OutputData::new())
    }
}

fn main() -> ExitCode {
    aiomas::mosaik::start_simulation(ExampleMas::default())
}
