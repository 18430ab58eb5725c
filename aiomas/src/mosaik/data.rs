//! The data of the API calls: created entities, step inputs, output requests and output data.
//!
//! Every type wraps the dynamic [`Value`] mosaik sent (keeping its order) and offers typed
//! access on top; [`Inputs::decode`] and [`OutputRequest::decode`] turn them into any serde type.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::rpc::Exception;
use crate::{from_value, Value};

/// Simulation time in mosaik's integer steps.
///
/// ```
/// use aiomas::mosaik::Time;
/// let (now, max_advance): (Time, Time) = (10, 14);
/// let next: Time = (now + 5).min(max_advance + 1);
/// assert_eq!(next, 15);
/// ```
pub type Time = u64;

/// An entity returned by `create` (or a child of one).
///
/// ```
/// use aiomas::mosaik::CreatedEntity;
/// let entity = CreatedEntity::new("0.0", "A").rel(["0.1"]);
/// assert_eq!(entity.to_value().get("rel").unwrap().as_list().unwrap().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatedEntity {
    /// The entity id, unique within the simulator.
    pub eid: String,
    /// The model name (the created model for root entities).
    #[serde(rename = "type")]
    pub model: String,
    /// Related entities (eids of this simulator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<Vec<String>>,
    /// Child entities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<CreatedEntity>>,
    /// Anything else the scenario may read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_info: Option<Value>,
}

impl CreatedEntity {
    /// An entity `eid` of `model`, with an empty `rel` list (as mosaik-api-v3's examples).
    ///
    /// ```
    /// use aiomas::mosaik::CreatedEntity;
    /// let entity = CreatedEntity::new("0", "Model");
    /// assert_eq!(entity.to_value().to_string(), r#"{"eid": "0", "type": "Model", "rel": []}"#);
    /// ```
    pub fn new(eid: impl Into<String>, model: impl Into<String>) -> Self {
        CreatedEntity {
            eid: eid.into(),
            model: model.into(),
            rel: Some(Vec::new()),
            children: None,
            extra_info: None,
        }
    }

    /// Sets the related entities.
    ///
    /// ```
    /// use aiomas::mosaik::CreatedEntity;
    /// let line = CreatedEntity::new("line-0", "Line").rel(["node-0", "node-1"]);
    /// assert_eq!(line.rel.as_deref(), Some(&["node-0".to_owned(), "node-1".to_owned()][..]));
    /// ```
    pub fn rel<I: IntoIterator<Item = S>, S: Into<String>>(mut self, rel: I) -> Self {
        self.rel = Some(rel.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the children.
    ///
    /// ```
    /// use aiomas::mosaik::CreatedEntity;
    /// let grid = CreatedEntity::new("grid", "Grid")
    ///     .children(vec![CreatedEntity::new("node-0", "Node"), CreatedEntity::new("node-1", "Node")]);
    /// let children = grid.to_value().get("children").and_then(|c| c.as_list().map(<[_]>::len));
    /// assert_eq!(children, Some(2));
    /// ```
    pub fn children(mut self, children: Vec<CreatedEntity>) -> Self {
        self.children = Some(children);
        self
    }

    /// Sets `extra_info`.
    ///
    /// ```
    /// use aiomas::mosaik::CreatedEntity;
    /// let entity = CreatedEntity::new("0", "Battery").extra_info("capacity 5 kWh");
    /// assert_eq!(entity.to_value().get("extra_info"), Some(&"capacity 5 kWh".into()));
    /// ```
    pub fn extra_info(mut self, info: impl Into<Value>) -> Self {
        self.extra_info = Some(info.into());
        self
    }

    /// The entity as mosaik reads it.
    ///
    /// ```
    /// use aiomas::mosaik::CreatedEntity;
    /// let value = CreatedEntity::new("0", "A").to_value();
    /// assert_eq!((value.get("eid"), value.get("type")), (Some(&"0".into()), Some(&"A".into())));
    /// ```
    pub fn to_value(&self) -> Value {
        crate::to_value(self).unwrap_or_default()
    }
}

fn entries(value: &Value) -> &[(Value, Value)] {
    value.as_map().unwrap_or_default()
}

fn key(k: &Value) -> &str {
    k.as_str().unwrap_or_default()
}

/// The inputs of one `step`: `{eid: {attr: {source full id: value}}}`, in mosaik's order.
///
/// ```
/// use aiomas::mosaik::Inputs;
/// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}},
/// })).unwrap()).unwrap();
/// for (eid, entity) in inputs.entities() {
///     for (attr, sources) in entity.attrs() {
///         println!("{eid}.{attr} = {}", sources.sum().unwrap());
///     }
/// }
/// assert_eq!(inputs.get("0", "val_in").unwrap().sum().unwrap(), 3.into());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs(Value);

impl Inputs {
    /// Wraps the `inputs` argument mosaik sent; anything but a map is a `TypeError`.
    ///
    /// ```
    /// use aiomas::mosaik::Inputs;
    /// use aiomas::Value;
    /// assert!(Inputs::new(Value::Map(Vec::new())).unwrap().is_empty());
    /// let err = Inputs::new(Value::List(Vec::new())).unwrap_err();
    /// assert_eq!(err.to_string(), "TypeError: inputs must be a dict, not list");
    /// ```
    pub fn new(inputs: Value) -> Result<Self, Exception> {
        match inputs {
            Value::Map(_) => Ok(Inputs(inputs)),
            other => Err(Exception::type_error(format!(
                "inputs must be a dict, not {}",
                other.type_name()
            ))),
        }
    }

    /// The entities that received inputs, with their attributes.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let eids: Vec<&str> = inputs.entities().map(|(eid, _)| eid).collect();
    /// assert_eq!(eids, ["0", "1"]);
    /// ```
    pub fn entities(&self) -> impl Iterator<Item = (&str, EntityInputs<'_>)> {
        entries(&self.0)
            .iter()
            .map(|(k, v)| (key(k), EntityInputs(v)))
    }

    /// The inputs of entity `eid` (`None` if it received none).
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// assert_eq!(inputs.entity("0").unwrap().attrs().count(), 2);
    /// assert!(inputs.entity("2").is_none());
    /// ```
    pub fn entity(&self, eid: &str) -> Option<EntityInputs<'_>> {
        self.0.get(eid).map(EntityInputs)
    }

    /// The values of `eid`'s attribute `attr`, by source (`None` if it received none).
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// assert_eq!(inputs.get("1", "val_in").unwrap().sum().unwrap(), 3.into());
    /// assert!(inputs.get("1", "limit").is_none());
    /// ```
    pub fn get(&self, eid: &str, attr: &str) -> Option<Sources<'_>> {
        self.entity(eid)?.attr(attr)
    }

    /// Whether no entity received input.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// assert!(!inputs.is_empty());
    /// assert!(aiomas::mosaik::Inputs::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        entries(&self.0).is_empty()
    }

    /// Decodes the inputs into a typed form, e.g.
    /// `BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>`.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// use std::collections::BTreeMap;
    /// type ByEntity = BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>;
    /// let typed: ByEntity = inputs.decode().unwrap();
    /// assert_eq!(typed["0"]["limit"]["Ctl-0.c"], 9.5);
    /// ```
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, Exception> {
        from_value(self.0)
            .map_err(|err| Exception::type_error(format!("inputs: {}", err.message())))
    }

    /// The inputs as mosaik sent them.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// assert_eq!(inputs.as_value().as_map().map(<[_]>::len), Some(2));
    /// ```
    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

/// The inputs of one entity: `{attr: {source full id: value}}`.
///
/// ```
/// # use aiomas::mosaik::Inputs;
/// # let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
/// #     "0": {"val_in": {"Src-0.a": 1}},
/// # })).unwrap()).unwrap();
/// let entity = inputs.entity("0").unwrap();
/// assert!(entity.attr("val_in").is_some());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EntityInputs<'a>(&'a Value);

impl<'a> EntityInputs<'a> {
    /// The attributes with their values by source.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let attrs: Vec<&str> = inputs.entity("0").unwrap().attrs().map(|(attr, _)| attr).collect();
    /// assert_eq!(attrs, ["limit", "val_in"]); // serde_json's map sorts its keys
    /// ```
    pub fn attrs(&self) -> impl Iterator<Item = (&'a str, Sources<'a>)> {
        entries(self.0).iter().map(|(k, v)| (key(k), Sources(v)))
    }

    /// The values of `attr` by source.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let entity = inputs.entity("0").unwrap();
    /// assert_eq!(entity.attr("limit").unwrap().values().count(), 1);
    /// assert!(entity.attr("val_out").is_none());
    /// ```
    pub fn attr(&self, attr: &str) -> Option<Sources<'a>> {
        self.0.get(attr).map(Sources)
    }
}

/// The values one input attribute received, by source full id.
///
/// ```
/// # use aiomas::mosaik::Inputs;
/// # let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
/// #     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}},
/// # })).unwrap()).unwrap();
/// let sources = inputs.get("0", "val_in").unwrap();
/// assert_eq!(sources.decode::<i64>().unwrap(), [1, 2]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a>(&'a Value);

impl<'a> Sources<'a> {
    /// `(source full id, value)` pairs.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let pairs: Vec<(&str, &aiomas::Value)> = inputs.get("0", "val_in").unwrap().iter().collect();
    /// assert_eq!(pairs, [("Src-0.a", &1.into()), ("Src-0.b", &2.into())]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        entries(self.0).iter().map(|(k, v)| (key(k), v))
    }

    /// The values, without their sources.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let largest = inputs.get("0", "val_in").unwrap().values().filter_map(|v| v.as_i64()).max();
    /// assert_eq!(largest, Some(2));
    /// ```
    pub fn values(&self) -> impl Iterator<Item = &'a Value> {
        entries(self.0).iter().map(|(_, v)| v)
    }

    /// The value of each source decoded as `T`.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// let inputs = Inputs::new(aiomas::to_value(&serde_json::json!({
    ///     "0": {"val_in": {"Src-0.a": 1, "Src-0.b": 2}, "limit": {"Ctl-0.c": 9.5}},
    ///     "1": {"val_in": {"Src-0.a": 3}},
    /// })).unwrap()).unwrap();
    /// let values: Vec<f64> = inputs.get("0", "limit").unwrap().decode().unwrap();
    /// assert_eq!(values, [9.5]);
    /// assert!(inputs.get("0", "limit").unwrap().decode::<String>().is_err());
    /// ```
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Vec<T>, Exception> {
        self.values()
            .map(|v| from_value(v.clone()).map_err(|e| Exception::type_error(e.message())))
            .collect()
    }

    /// Python's `sum(values)`: integers stay integers, a float makes a float; anything else is
    /// a `TypeError` with Python's text.
    ///
    /// ```
    /// # use aiomas::mosaik::Inputs;
    /// # use aiomas::Value;
    /// let src = |v: Value| Value::Map(vec![("s.0".into(), v.clone()), ("s.1".into(), v)]);
    /// let inputs = Value::Map(vec![("0".into(), Value::Map(vec![("x".into(), src(2.into()))]))]);
    /// let inputs = Inputs::new(inputs).unwrap();
    /// assert_eq!(inputs.get("0", "x").unwrap().sum().unwrap(), Value::Int(4));
    /// ```
    pub fn sum(&self) -> Result<Value, Exception> {
        self.values()
            .try_fold(Value::Int(0), |acc, v| py_add(&acc, v))
    }
}

/// Python's `a + b` on numbers.
fn py_add(a: &Value, b: &Value) -> Result<Value, Exception> {
    let number = |v: &Value| {
        matches!(
            v,
            Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Bool(_)
        )
    };
    if !number(a) || !number(b) {
        return Err(Exception::type_error(format!(
            "unsupported operand type(s) for +: '{}' and '{}'",
            a.type_name(),
            b.type_name()
        )));
    }
    let int = |v: &Value| match *v {
        Value::Bool(b) => Some(i64::from(b)),
        Value::Int(i) => Some(i),
        _ => None,
    };
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        if let Some(sum) = x.checked_add(y) {
            return Ok(Value::Int(sum));
        }
    }
    let float = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_bool().map(f64::from))
            .unwrap_or(0.0)
    };
    Ok(Value::Float(float(a) + float(b)))
}

/// The attributes mosaik asks `get_data` for: `{eid: [attr, ...]}`, in mosaik's order.
///
/// ```
/// use aiomas::mosaik::{OutputData, OutputRequest};
/// let request = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": ["val_out"]})).unwrap()).unwrap();
/// let mut data = OutputData::new();
/// for (eid, attrs) in request.iter() {
///     for attr in attrs {
///         data.entity(eid).set(attr.as_str(), 42);
///     }
/// }
/// assert_eq!(data.into_value().to_string(), r#"{"0": {"val_out": 42}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputRequest(Vec<(String, Vec<String>)>);

impl OutputRequest {
    /// Reads the `outputs` argument mosaik sent; anything but `{str: [str]}` is a `TypeError`.
    ///
    /// ```
    /// use aiomas::mosaik::OutputRequest;
    /// let ok = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": ["a", "b"]})).unwrap());
    /// assert_eq!(ok.unwrap().len(), 1);
    /// let bad = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": "a"})).unwrap());
    /// assert_eq!(bad.unwrap_err().kind(), "TypeError");
    /// ```
    pub fn new(outputs: Value) -> Result<Self, Exception> {
        let bad = || Exception::type_error("outputs must be a dict of lists of attribute names");
        let Value::Map(map) = outputs else {
            return Err(bad());
        };
        map.into_iter()
            .map(|(eid, attrs)| {
                let eid = eid.as_str().ok_or_else(bad)?.to_owned();
                let attrs = attrs
                    .as_list()
                    .ok_or_else(bad)?
                    .iter()
                    .map(|a| a.as_str().map(str::to_owned).ok_or_else(bad))
                    .collect::<Result<_, _>>()?;
                Ok((eid, attrs))
            })
            .collect::<Result<_, _>>()
            .map(OutputRequest)
    }

    /// `(eid, attrs)` pairs.
    ///
    /// ```
    /// use aiomas::mosaik::OutputRequest;
    /// let request = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": ["a", "b"]})).unwrap()).unwrap();
    /// let (eid, attrs) = request.iter().next().unwrap();
    /// assert_eq!((eid, attrs), ("0", &["a".to_owned(), "b".to_owned()][..]));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(e, a)| (e.as_str(), a.as_slice()))
    }

    /// The number of entities asked for.
    ///
    /// ```
    /// use aiomas::mosaik::OutputRequest;
    /// let request = OutputRequest::new(aiomas::to_value(&serde_json::json!({"0": [], "1": ["a"]})).unwrap()).unwrap();
    /// assert_eq!(request.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no entity is asked for.
    ///
    /// ```
    /// use aiomas::mosaik::OutputRequest;
    /// assert!(OutputRequest::new(aiomas::Value::Map(Vec::new())).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The reply of `get_data`: `{eid: {attr: value}, "time"?: t}`, in insertion order.
///
/// ```
/// use aiomas::mosaik::OutputData;
/// let mut data = OutputData::new();
/// data.entity("0.0").set("val_out", 42);
/// data.entity("0.1");
/// let value = data.into_value();
/// assert_eq!(value.to_string(), r#"{"0.0": {"val_out": 42}, "0.1": {}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputData {
    entities: Vec<(String, EntityData)>,
    /// Where each eid is in `entities`, so a thousand entities cost no quadratic search.
    index: HashMap<String, usize>,
    time: Option<Time>,
}

/// The outputs of one entity in [`OutputData`].
///
/// ```
/// use aiomas::mosaik::OutputData;
/// let mut data = OutputData::new();
/// data.entity("0").set("p_mw", 0.5).set("q_mvar", 0.1);
/// assert_eq!(data.into_value().to_string(), r#"{"0": {"p_mw": 0.5, "q_mvar": 0.1}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntityData(Vec<(String, Value)>);

impl EntityData {
    /// Sets `attr` to `value` (replacing an earlier value).
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// let mut data = OutputData::new();
    /// data.entity("0").set("val", 1).set("val", 2);
    /// assert_eq!(data.into_value().to_string(), r#"{"0": {"val": 2}}"#);
    /// ```
    pub fn set(&mut self, attr: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        let attr = attr.into();
        let value = value.into();
        match self.0.iter_mut().find(|(a, _)| *a == attr) {
            Some(slot) => slot.1 = value,
            None => self.0.push((attr, value)),
        }
        self
    }

    /// Sets `attr` to any serializable `value`.
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// #[derive(serde::Serialize)]
    /// struct Reading { volts: f64, ok: bool }
    /// let mut data = OutputData::new();
    /// data.entity("0").set_serialized("reading", &Reading { volts: 230.0, ok: true }).unwrap();
    /// assert_eq!(data.into_value().to_string(), r#"{"0": {"reading": {"volts": 230.0, "ok": True}}}"#);
    /// ```
    pub fn set_serialized<T: Serialize + ?Sized>(
        &mut self,
        attr: impl Into<String>,
        value: &T,
    ) -> Result<&mut Self, Exception> {
        let value = crate::to_value(value).map_err(Exception::from)?;
        Ok(self.set(attr, value))
    }
}

impl OutputData {
    /// Empty output data.
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// assert_eq!(OutputData::new().into_value().to_string(), "{}");
    /// ```
    pub fn new() -> Self {
        OutputData::default()
    }

    /// The outputs of `eid`, added (empty) if not there yet.
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// let mut data = OutputData::new();
    /// data.entity("b").set("x", 1);
    /// data.entity("a").set("x", 2);
    /// data.entity("b").set("y", 3); // the same entity again: it keeps its place
    /// assert_eq!(data.into_value().to_string(), r#"{"b": {"x": 1, "y": 3}, "a": {"x": 2}}"#);
    /// ```
    pub fn entity(&mut self, eid: impl Into<String>) -> &mut EntityData {
        let eid = eid.into();
        let next = self.entities.len();
        let index = *self.index.entry(eid.clone()).or_insert(next);
        if index == next {
            self.entities.push((eid, EntityData::default()));
        }
        &mut self.entities[index].1
    }

    /// Sets the output time of non-persistent attributes (event-based and hybrid simulators).
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// let mut data = OutputData::new();
    /// data.time(7).entity("0").set("event", "tripped");
    /// assert_eq!(data.into_value().to_string(), r#"{"0": {"event": "tripped"}, "time": 7}"#);
    /// ```
    pub fn time(&mut self, time: Time) -> &mut Self {
        self.time = Some(time);
        self
    }

    /// The data as mosaik reads it.
    ///
    /// ```
    /// use aiomas::mosaik::OutputData;
    /// let mut data = OutputData::new();
    /// data.entity("0").set("val_out", 1.5);
    /// let value = data.into_value();
    /// assert_eq!(value.get("0").and_then(|e| e.get("val_out")), Some(&1.5.into()));
    /// ```
    pub fn into_value(self) -> Value {
        let mut map: Vec<(Value, Value)> = self
            .entities
            .into_iter()
            .map(|(eid, data)| {
                let attrs = data.0.into_iter().map(|(a, v)| (a.into(), v)).collect();
                (eid.into(), Value::Map(attrs))
            })
            .collect();
        if let Some(time) = self.time {
            map.push(("time".into(), time.into()));
        }
        Value::Map(map)
    }
}
