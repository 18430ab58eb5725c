//! The data of the API calls: created entities, step inputs, output requests and output data.
//!
//! Every type wraps the dynamic [`Value`] mosaik sent (keeping its order) and offers typed
//! access on top; [`Inputs::decode`] and [`OutputRequest::decode`] turn them into any serde type.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::rpc::Exception;
use crate::{from_value, Value};

/// Simulation time in mosaik's integer steps.
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
    pub fn rel<I: IntoIterator<Item = S>, S: Into<String>>(mut self, rel: I) -> Self {
        self.rel = Some(rel.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the children.
    pub fn children(mut self, children: Vec<CreatedEntity>) -> Self {
        self.children = Some(children);
        self
    }

    /// Sets `extra_info`.
    pub fn extra_info(mut self, info: impl Into<Value>) -> Self {
        self.extra_info = Some(info.into());
        self
    }

    /// The entity as mosaik reads it.
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs(Value);

impl Inputs {
    /// Wraps the `inputs` argument mosaik sent; anything but a map is a `TypeError`.
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
    pub fn entities(&self) -> impl Iterator<Item = (&str, EntityInputs<'_>)> {
        entries(&self.0)
            .iter()
            .map(|(k, v)| (key(k), EntityInputs(v)))
    }

    /// The inputs of entity `eid` (`None` if it received none).
    pub fn entity(&self, eid: &str) -> Option<EntityInputs<'_>> {
        self.0.get(eid).map(EntityInputs)
    }

    /// The values of `eid`'s attribute `attr`, by source (`None` if it received none).
    pub fn get(&self, eid: &str, attr: &str) -> Option<Sources<'_>> {
        self.entity(eid)?.attr(attr)
    }

    /// Whether no entity received input.
    pub fn is_empty(&self) -> bool {
        entries(&self.0).is_empty()
    }

    /// Decodes the inputs into a typed form, e.g.
    /// `BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>`.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, Exception> {
        from_value(self.0)
            .map_err(|err| Exception::type_error(format!("inputs: {}", err.message())))
    }

    /// The inputs as mosaik sent them.
    pub fn as_value(&self) -> &Value {
        &self.0
    }
}

/// The inputs of one entity: `{attr: {source full id: value}}`.
#[derive(Debug, Clone, Copy)]
pub struct EntityInputs<'a>(&'a Value);

impl<'a> EntityInputs<'a> {
    /// The attributes with their values by source.
    pub fn attrs(&self) -> impl Iterator<Item = (&'a str, Sources<'a>)> {
        entries(self.0).iter().map(|(k, v)| (key(k), Sources(v)))
    }

    /// The values of `attr` by source.
    pub fn attr(&self, attr: &str) -> Option<Sources<'a>> {
        self.0.get(attr).map(Sources)
    }
}

/// The values one input attribute received, by source full id.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a>(&'a Value);

impl<'a> Sources<'a> {
    /// `(source full id, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        entries(self.0).iter().map(|(k, v)| (key(k), v))
    }

    /// The values, without their sources.
    pub fn values(&self) -> impl Iterator<Item = &'a Value> {
        entries(self.0).iter().map(|(_, v)| v)
    }

    /// The value of each source decoded as `T`.
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputRequest(Vec<(String, Vec<String>)>);

impl OutputRequest {
    /// Reads the `outputs` argument mosaik sent; anything but `{str: [str]}` is a `TypeError`.
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
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.0.iter().map(|(e, a)| (e.as_str(), a.as_slice()))
    }

    /// The number of entities asked for.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no entity is asked for.
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
    time: Option<Time>,
}

/// The outputs of one entity in [`OutputData`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntityData(Vec<(String, Value)>);

impl EntityData {
    /// Sets `attr` to `value` (replacing an earlier value).
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
    pub fn new() -> Self {
        OutputData::default()
    }

    /// The outputs of `eid`, added (empty) if not there yet.
    pub fn entity(&mut self, eid: impl Into<String>) -> &mut EntityData {
        let eid = eid.into();
        let index = match self.entities.iter().position(|(e, _)| *e == eid) {
            Some(index) => index,
            None => {
                self.entities.push((eid, EntityData::default()));
                self.entities.len() - 1
            }
        };
        &mut self.entities[index].1
    }

    /// Sets the output time of non-persistent attributes (event-based and hybrid simulators).
    pub fn time(&mut self, time: Time) -> &mut Self {
        self.time = Some(time);
        self
    }

    /// The data as mosaik reads it.
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
