//! The [`Simulator`] trait: what a mosaik simulator implements.

use std::future::Future;

use super::data::{CreatedEntity, Inputs, OutputData, OutputRequest, Time};
use super::meta::Meta;
use super::proxy::MosaikProxy;
use crate::rpc::{Args, Exception};
use crate::Value;

/// The keyword parameters of a call (`sim_params` of `init`, `model_params` of `create`, the
/// arguments of an extra method), read one by one with Python's `TypeError` texts.
///
/// Parameters the simulator does not read are refused after the call, as Python refuses
/// unexpected keyword arguments (`ExampleSim.init() got an unexpected keyword argument
/// 'foo'`); [`Args::rest_kwargs`] takes all of them (Python's `**kwargs`).
pub type Params = Args;

/// A mosaik simulator (mosaik-api-v3's `Simulator` class).
///
/// Implement the methods as `async fn`; run the simulator with
/// [`start_simulation`](super::start_simulation) (the whole command line) or
/// [`run_simulator`](super::run_simulator) (on a channel of your own). mosaik calls them one at
/// a time; while one runs, the simulator may call mosaik through the [`MosaikProxy`] that
/// [`init`](Self::init) receives.
///
/// An `Err` reaches mosaik as `[type, message, *traceback]`, which it raises as
/// `RemoteException(type, message, ...)`.
///
/// ```
/// use aiomas::mosaik::{
///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
///     SimType, Simulator, Time,
/// };
/// use aiomas::rpc::Exception;
///
/// #[derive(Default)]
/// struct Counter {
///     counts: Vec<i64>,
/// }
///
/// impl Simulator for Counter {
///     async fn init(
///         &mut self,
///         _sid: &str,
///         _time_resolution: f64,
///         _params: &mut Params,
///         _mosaik: &MosaikProxy,
///     ) -> Result<Meta, Exception> {
///         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
///     }
///
///     async fn create(&mut self, num: usize, model: &str, _params: &mut Params)
///         -> Result<Vec<CreatedEntity>, Exception> {
///         let first = self.counts.len();
///         self.counts.resize(first + num, 0);
///         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
///     }
///
///     async fn step(&mut self, time: Time, _inputs: Inputs, _max_advance: Time)
///         -> Result<Option<Time>, Exception> {
///         self.counts.iter_mut().for_each(|c| *c += 1);
///         Ok(Some(time + 1))
///     }
///
///     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
///         let mut data = OutputData::new();
///         for (eid, _attrs) in outputs.iter() {
///             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
///             data.entity(eid).set("count", self.counts[index]);
///         }
///         Ok(data)
///     }
/// }
/// ```
pub trait Simulator: Send {
    /// The name in error texts (`{name}.create() missing 1 required positional argument: ...`);
    /// the type's name by default, as Python names the class.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    ///     fn name(&self) -> &str {
    ///         "ExampleSim"
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// assert_eq!(ExampleSim::default().name(), "ExampleSim");
    /// # Ok(()) }
    /// ```
    fn name(&self) -> &str {
        let full = std::any::type_name::<Self>();
        let base = full.split('<').next().unwrap_or(full);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// Called once, first: `sid` is the simulator's id in the scenario, `params` holds the
    /// scenario's `sim_params`. Returns the [`Meta`]. Keep `mosaik` (a cheap clone) to call
    /// mosaik later.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    ///     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    ///         -> Result<Meta, Exception> {
    ///         self.step_size = params.or_default("step_size", || 1)?;
    ///         println!("{sid}: one step is {time_resolution} s");
    ///         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    ///     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    ///
    /// # Ok(()) }
    /// ```
    fn init(
        &mut self,
        sid: &str,
        time_resolution: f64,
        params: &mut Params,
        mosaik: &MosaikProxy,
    ) -> impl Future<Output = Result<Meta, Exception>> + Send;

    /// Creates `num` entities of the public `model` with the scenario's `params`.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    ///     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    ///         -> Result<Vec<CreatedEntity>, Exception> {
    ///         let init_val: f64 = params.required("init_val")?;
    ///         let first = self.vals.len();
    ///         self.vals.extend(std::iter::repeat(init_val).take(num));
    ///         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    ///     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// let mut sim = ExampleSim::default();
    /// let mut params = Params::new("ExampleSim.create", vec![], vec![("init_val".into(), 0.5.into())]);
    /// let entities = sim.create(2, "Model", &mut params).await?;
    /// assert_eq!(entities.len(), 2);
    /// # Ok(()) }
    /// ```
    fn create(
        &mut self,
        num: usize,
        model: &str,
        params: &mut Params,
    ) -> impl Future<Output = Result<Vec<CreatedEntity>, Exception>> + Send;

    /// The scenario is set up; the simulation is about to start. Does nothing by default.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    ///     async fn setup_done(&mut self) -> Result<(), Exception> {
    ///         println!("{} entities, stepping every {} steps", self.vals.len(), self.step_size);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// ExampleSim::default().setup_done().await?;
    /// # Ok(()) }
    /// ```
    fn setup_done(&mut self) -> impl Future<Output = Result<(), Exception>> + Send {
        async { Ok(()) }
    }

    /// Steps from `time` with `inputs`; returns when to be stepped next (`None`: only when
    /// triggered). No external step comes before `max_advance + 1`.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    ///     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    ///         -> Result<Option<Time>, Exception> {
    ///         for (eid, entity) in inputs.entities() {
    ///             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    ///             if let Some(delta) = entity.attr("delta") {
    ///                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    ///             }
    ///         }
    ///         Ok(Some(time + self.step_size))
    ///     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// let mut sim = ExampleSim { vals: vec![1.0], step_size: 10 };
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({"0": {"delta": {"Src-0.0": 0.5}}})).unwrap())?;
    /// assert_eq!(sim.step(0, inputs, 100).await?, Some(10));
    /// assert_eq!(sim.vals, [1.5]);
    /// # Ok(()) }
    /// ```
    fn step(
        &mut self,
        time: Time,
        inputs: Inputs,
        max_advance: Time,
    ) -> impl Future<Output = Result<Option<Time>, Exception>> + Send;

    /// The values of the requested attributes.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    ///     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    ///         let mut data = OutputData::new();
    ///         for (eid, attrs) in outputs.iter() {
    ///             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    ///             for attr in attrs {
    ///                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    ///             }
    ///         }
    ///         Ok(data)
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// let mut sim = ExampleSim { vals: vec![2.5], step_size: 1 };
    /// let outputs = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": ["val"]})).unwrap())?;
    /// assert_eq!(sim.get_data(outputs).await?.into_value().to_string(), r#"{"0": {"val": 2.5}}"#);
    /// # Ok(()) }
    /// ```
    fn get_data(
        &mut self,
        outputs: OutputRequest,
    ) -> impl Future<Output = Result<OutputData, Exception>> + Send;

    /// An extra method listed in the meta, called by name from the scenario with `args`
    /// (positional and keyword). By default every name fails with Python's `AttributeError`.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    ///     async fn extra_method(&mut self, name: &str, args: &mut Params) -> Result<Value, Exception> {
    ///         match name {
    ///             "reset" => {
    ///                 let to: f64 = args.or_default("to", || 0.0)?;
    ///                 self.vals.iter_mut().for_each(|v| *v = to);
    ///                 Ok(Value::Nil)
    ///             }
    ///             _ => Err(Exception::new("AttributeError", name)),
    ///         }
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// let mut sim = ExampleSim { vals: vec![2.5], step_size: 1 };
    /// sim.extra_method("reset", &mut Params::new("ExampleSim.reset", vec![], vec![])).await?;
    /// assert_eq!(sim.vals, [0.0]);
    /// # Ok(()) }
    /// ```
    fn extra_method(
        &mut self,
        name: &str,
        args: &mut Params,
    ) -> impl Future<Output = Result<Value, Exception>> + Send {
        let _ = args;
        let error = Exception::new(
            "AttributeError",
            format!("'{}' object has no attribute '{name}'", self.name()),
        );
        async move { Err(error) }
    }

    /// The simulation is over (mosaik sent `stop` or closed the connection): clean up
    /// (mosaik-api-v3's `finalize`). Does nothing by default.
    ///
    /// ```
    /// use aiomas::mosaik::{
    ///     CreatedEntity, Inputs, Meta, Model, MosaikProxy, OutputData, OutputRequest, Params,
    ///     SimType, Simulator, Time,
    /// };
    /// use aiomas::rpc::Exception;
    /// use aiomas::Value;
    ///
    /// #[derive(Default)]
    /// struct ExampleSim {
    ///     vals: Vec<f64>,
    ///     step_size: Time,
    /// }
    ///
    /// impl Simulator for ExampleSim {
    /// #     async fn init(&mut self, sid: &str, time_resolution: f64, params: &mut Params, _mosaik: &MosaikProxy)
    /// #         -> Result<Meta, Exception> {
    /// #         self.step_size = params.or_default("step_size", || 1)?;
    /// #         println!("{sid}: one step is {time_resolution} s");
    /// #         Ok(Meta::new(SimType::TimeBased).model("Model", Model::public().params(["init_val"]).attrs(["val"])))
    /// #     }
    /// #     async fn create(&mut self, num: usize, model: &str, params: &mut Params)
    /// #         -> Result<Vec<CreatedEntity>, Exception> {
    /// #         let init_val: f64 = params.required("init_val")?;
    /// #         let first = self.vals.len();
    /// #         self.vals.extend(std::iter::repeat(init_val).take(num));
    /// #         Ok((first..first + num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
    /// #     }
    /// #     async fn step(&mut self, time: Time, inputs: Inputs, _max_advance: Time)
    /// #         -> Result<Option<Time>, Exception> {
    /// #         for (eid, entity) in inputs.entities() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             if let Some(delta) = entity.attr("delta") {
    /// #                 self.vals[index] += delta.sum()?.as_f64().unwrap_or(0.0);
    /// #             }
    /// #         }
    /// #         Ok(Some(time + self.step_size))
    /// #     }
    /// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
    /// #         let mut data = OutputData::new();
    /// #         for (eid, attrs) in outputs.iter() {
    /// #             let index: usize = eid.parse().map_err(|_| Exception::new("KeyError", eid))?;
    /// #             for attr in attrs {
    /// #                 data.entity(eid).set(attr.as_str(), self.vals[index]);
    /// #             }
    /// #         }
    /// #         Ok(data)
    /// #     }
    ///     async fn stop(&mut self) {
    ///         println!("final values: {:?}", self.vals);
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Exception> {
    /// ExampleSim::default().stop().await;
    /// # Ok(()) }
    /// ```
    fn stop(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }
}
