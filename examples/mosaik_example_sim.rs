//! A port of mosaik-api-v3's `example_sim` (`example_sim/mosaik.py` and
//! `example_sim/simulator.py`), behaving identically under mosaik.
//!
//! Two models: `A` produces increasing numbers from `init_val`, `B` yields the last value it
//! consumed on `val_in` (the sum over its sources). `C` is a non-public model that exists for
//! tests only. The sim param `step_size` (default 1) sets how far each step advances; the extra
//! method `example_method(value)` stores and returns `value`.
//!
//! Run it from a scenario: `'cmd': 'mosaik_example_sim %(addr)s'` or, listening,
//! `mosaik_example_sim -r 127.0.0.1:5678` with `'connect': '127.0.0.1:5678'`.

use std::process::ExitCode;

use aiomas::mosaik::{
    CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params, SimType,
    Simulator, Time,
};
use aiomas::rpc::Exception;
use aiomas::Value;

/// One group of entities created by one `create` call (`simulator.Simulator`).
struct Group {
    model: String,
    /// The current value of each instance.
    results: Vec<Value>,
}

impl Group {
    fn new(model: &str, num: usize, init_val: Value) -> Result<Self, Exception> {
        if !matches!(model, "A" | "B") {
            return Err(Exception::new("KeyError", format!("'{model}'")));
        }
        Ok(Group {
            model: model.to_owned(),
            results: vec![init_val; num],
        })
    }

    /// One step of every instance: A counts up, B takes its input if it got one.
    fn step(&mut self, inputs: &[Option<Value>]) -> Result<(), Exception> {
        for (result, input) in self.results.iter_mut().zip(inputs) {
            if self.model == "A" {
                *result = increment(result)?;
            } else if let Some(input) = input {
                *result = input.clone();
            }
        }
        Ok(())
    }
}

/// Python's `i += 1`.
fn increment(value: &Value) -> Result<Value, Exception> {
    match *value {
        Value::Int(i) => Ok(Value::Int(i + 1)),
        Value::Float(x) => Ok(Value::Float(x + 1.0)),
        _ => Err(Exception::type_error(format!(
            "unsupported operand type(s) for +=: '{}' and 'int'",
            value.type_name()
        ))),
    }
}

/// The simulator (`ExampleSim`).
#[derive(Default)]
struct ExampleSim {
    step_size: Time,
    simulators: Vec<Group>,
    /// Set by `example_method`.
    value: Value,
}

impl Simulator for ExampleSim {
    async fn init(
        &mut self,
        _sid: &str,
        _time_resolution: f64,
        params: &mut Params,
        _mosaik: &MosaikProxy,
    ) -> Result<Meta, Exception> {
        self.step_size = params.or_default("step_size", || 1)?;
        Ok(Meta::new(SimType::TimeBased)
            .model(
                "A",
                Model::public()
                    .params(["init_val"])
                    .attrs(["val_out", "dummy_out"]),
            )
            .model(
                "B",
                Model::public()
                    .params(["init_val"])
                    .attrs(["val_in", "val_out", "dummy_in"]),
            )
            // Doesn't actually exist. Used for testing.
            .model("C", Model::private())
            .extra_method("example_method"))
    }

    async fn create(
        &mut self,
        num: usize,
        model: &str,
        params: &mut Params,
    ) -> Result<Vec<CreatedEntity>, Exception> {
        let init_val: Value = params.required("init_val")?;
        let sim_id = self.simulators.len();
        self.simulators.push(Group::new(model, num, init_val)?);
        Ok((0..num)
            .map(|eid| CreatedEntity::new(format!("{sim_id}.{eid}"), model))
            .collect())
    }

    async fn step(
        &mut self,
        time: Time,
        inputs: Inputs,
        _max_advance: Time,
    ) -> Result<Option<Time>, Exception> {
        for (sid, sim) in self.simulators.iter_mut().enumerate() {
            let mut sim_inputs = vec![None; sim.results.len()];
            for (i, input) in sim_inputs.iter_mut().enumerate() {
                if let Some(entity) = inputs.entity(&format!("{sid}.{i}")) {
                    let val_in = entity
                        .attr("val_in")
                        .ok_or_else(|| Exception::new("KeyError", "'val_in'"))?;
                    *input = Some(val_in.sum()?);
                }
            }
            for _ in 0..self.step_size {
                sim.step(&sim_inputs)?;
            }
        }
        Ok(Some(time + self.step_size))
    }

    async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
        let mut data = OutputData::new();
        for (eid, attrs) in outputs.iter() {
            let (sid, idx) = parse_eid(eid)?;
            let entity = data.entity(eid);
            for attr in attrs.iter().filter(|a| *a == "val_out") {
                let group = self
                    .simulators
                    .get(sid)
                    .ok_or_else(|| Exception::new("IndexError", "list index out of range"))?;
                let value = group
                    .results
                    .get(idx)
                    .ok_or_else(|| Exception::new("IndexError", "list index out of range"))?;
                entity.set(attr.as_str(), value.clone());
            }
        }
        Ok(data)
    }

    async fn extra_method(&mut self, name: &str, args: &mut Params) -> Result<Value, Exception> {
        match name {
            "example_method" => {
                self.value = args.required("value")?;
                Ok(self.value.clone())
            }
            _ => Err(Exception::new(
                "AttributeError",
                format!("'ExampleSim' object has no attribute '{name}'"),
            )),
        }
    }
}

/// `sid, idx = map(int, eid.split("."))`.
fn parse_eid(eid: &str) -> Result<(usize, usize), Exception> {
    let bad = || {
        Exception::new(
            "ValueError",
            format!("invalid literal for int() with base 10: {eid:?}"),
        )
    };
    let (sid, idx) = eid.split_once('.').ok_or_else(bad)?;
    Ok((
        sid.parse().map_err(|_| bad())?,
        idx.parse().map_err(|_| bad())?,
    ))
}

fn main() -> ExitCode {
    aiomas::mosaik::start_simulation(ExampleSim::default())
}
