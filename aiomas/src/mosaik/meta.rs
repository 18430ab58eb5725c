//! The simulator's `meta`: its type, its models and their attributes, its extra methods.

use std::collections::BTreeSet;

use crate::rpc::Exception;
use crate::Value;

/// The mosaik API version this crate implements; mosaik checks that the major version (3)
/// matches its own.
///
/// ```
/// use aiomas::mosaik::{Meta, SimType, API_VERSION};
/// let meta = Meta::new(SimType::Hybrid).to_value().unwrap();
/// assert_eq!(meta.get("api_version"), Some(&API_VERSION.into()));
/// ```
pub const API_VERSION: &str = "3.0";

/// How a simulator advances in time (meta `type`).
///
/// ```
/// use aiomas::mosaik::{Meta, SimType};
/// let meta = Meta::new(SimType::EventBased);
/// assert_eq!(meta.sim_type(), SimType::EventBased);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimType {
    /// Stepped at the times it returns from `step`; its outputs persist.
    TimeBased,
    /// Stepped when a triggering input arrives (or at a time it asked for); outputs are events.
    EventBased,
    /// Both: triggering and non-triggering inputs, persistent and non-persistent outputs.
    Hybrid,
}

impl SimType {
    /// The name mosaik reads: `time-based`, `event-based` or `hybrid`.
    ///
    /// ```
    /// use aiomas::mosaik::SimType;
    /// assert_eq!(SimType::TimeBased.as_str(), "time-based");
    /// assert_eq!(SimType::Hybrid.as_str(), "hybrid");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SimType::TimeBased => "time-based",
            SimType::EventBased => "event-based",
            SimType::Hybrid => "hybrid",
        }
    }
}

/// One model of a simulator (an entry of meta `models`).
///
/// ```
/// use aiomas::mosaik::Model;
/// let model = Model::public().params(["init_val"]).attrs(["val_in", "val_out"]);
/// assert!(model.is_public());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Model {
    public: bool,
    params: Vec<String>,
    attrs: Vec<String>,
    any_inputs: bool,
    trigger: Option<Vec<String>>,
    non_trigger: Option<Vec<String>>,
    persistent: Option<Vec<String>>,
    non_persistent: Option<Vec<String>>,
}

fn names<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Vec<String> {
    names.into_iter().map(Into::into).collect()
}

impl Model {
    /// A model the scenario may create.
    ///
    /// ```
    /// use aiomas::mosaik::Model;
    /// assert!(Model::public().is_public());
    /// ```
    pub fn public() -> Self {
        Model {
            public: true,
            ..Model::default()
        }
    }

    /// A sub-model, only created as a child of another entity.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased).model("Node", Model::private().attrs(["v"]));
    /// let node = meta.to_value().unwrap().get("models").and_then(|m| m.get("Node")).cloned().unwrap();
    /// assert_eq!(node.get("public"), Some(&false.into()));
    /// ```
    pub fn private() -> Self {
        Model::default()
    }

    /// Whether the scenario may create it.
    ///
    /// ```
    /// use aiomas::mosaik::Model;
    /// assert!(!Model::private().is_public());
    /// ```
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// The parameters `create` accepts.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased).model("A", Model::public().params(["init_val"]));
    /// let model = meta.to_value().unwrap().get("models").and_then(|m| m.get("A")).cloned().unwrap();
    /// assert_eq!(model.get("params").unwrap().to_string(), r#"["init_val"]"#);
    /// ```
    pub fn params<I: IntoIterator<Item = S>, S: Into<String>>(mut self, params: I) -> Self {
        self.params = names(params);
        self
    }

    /// The attributes that can be connected (read and written).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased).model("A", Model::public().attrs(["val_in", "val_out"]));
    /// let model = meta.to_value().unwrap().get("models").and_then(|m| m.get("A")).cloned().unwrap();
    /// assert_eq!(model.get("attrs").unwrap().to_string(), r#"["val_in", "val_out"]"#);
    /// ```
    pub fn attrs<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.attrs = names(attrs);
        self
    }

    /// Accepts inputs on any attribute, not only those of [`attrs`](Self::attrs).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::EventBased).model("Logger", Model::public().any_inputs());
    /// let model = meta.to_value().unwrap().get("models").and_then(|m| m.get("Logger")).cloned().unwrap();
    /// assert_eq!(model.get("any_inputs"), Some(&true.into()));
    /// ```
    pub fn any_inputs(mut self) -> Self {
        self.any_inputs = true;
        self
    }

    /// Input attributes that trigger a step (event-based and hybrid simulators).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let model = Model::public().attrs(["set_point", "out"]).trigger(["set_point"]);
    /// assert!(Meta::new(SimType::Hybrid).model("A", model.clone()).to_value().is_ok());
    /// // Time-based simulators have no triggering inputs.
    /// assert!(Meta::new(SimType::TimeBased).model("A", model).to_value().is_err());
    /// ```
    pub fn trigger<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.trigger = Some(names(attrs));
        self
    }

    /// Input attributes that do not trigger a step (hybrid simulators).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let model = Model::public().attrs(["a", "b"]).non_trigger(["a"]);
    /// // `trigger` is inferred: the inputs that are not non-triggering.
    /// assert!(Meta::new(SimType::Hybrid).model("A", model).to_value().is_ok());
    /// ```
    pub fn non_trigger<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.non_trigger = Some(names(attrs));
        self
    }

    /// Output attributes whose values hold until they change (time-based and hybrid).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let model = Model::public().attrs(["level"]).persistent(["level"]);
    /// assert!(Meta::new(SimType::TimeBased).model("Tank", model.clone()).to_value().is_ok());
    /// // Event-based simulators have no persistent outputs.
    /// assert!(Meta::new(SimType::EventBased).model("Tank", model).to_value().is_err());
    /// ```
    pub fn persistent<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.persistent = Some(names(attrs));
        self
    }

    /// Output attributes that are events, valid only at their time (event-based and hybrid).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let model = Model::public().attrs(["alarm"]).non_persistent(["alarm"]);
    /// assert!(Meta::new(SimType::EventBased).model("Tank", model.clone()).to_value().is_ok());
    /// assert!(Meta::new(SimType::TimeBased).model("Tank", model).to_value().is_err());
    /// ```
    pub fn non_persistent<I: IntoIterator<Item = S>, S: Into<String>>(mut self, attrs: I) -> Self {
        self.non_persistent = Some(names(attrs));
        self
    }

    /// The checks mosaik makes when it reads the model (`parse_attrs`), so a bad model fails
    /// in `init` with a clear message rather than later in the scenario: `trigger` and
    /// `non-trigger` split the inputs, `persistent` and `non-persistent` split `attrs`
    /// (what is not given is inferred, with the simulator type's defaults), and a time-based
    /// (event-based) simulator has no triggering (non-triggering) inputs and no
    /// non-persistent (persistent) outputs.
    fn check(&self, name: &str, sim_type: SimType) -> Result<(), String> {
        use SimType::{EventBased, Hybrid, TimeBased};
        let given = |list: &Option<Vec<String>>| list.as_ref().map(|l| Attrs::Some(set(l)));
        let empty = Some(Attrs::Some(BTreeSet::new()));
        let attrs = Attrs::Some(set(&self.attrs));
        let inputs = if self.any_inputs {
            Attrs::All
        } else {
            attrs.clone()
        };
        let (non_trigger_default, trigger_default) = match sim_type {
            TimeBased => (None, empty.clone()),
            EventBased => (empty.clone(), None),
            Hybrid if self.trigger.is_some() => (None, None),
            Hybrid => (Some(inputs.clone()), None),
        };
        let (non_trigger, trigger) = split(
            &inputs,
            given(&self.non_trigger).or(non_trigger_default),
            given(&self.trigger).or(trigger_default),
            ("non-trigger", "trigger"),
        )
        .map_err(|e| format!("model {name}: {e}"))?;
        let (persistent_default, non_persistent_default) = match sim_type {
            EventBased => (empty.clone(), None),
            _ => (None, empty.clone()),
        };
        let (persistent, non_persistent) = split(
            &attrs,
            given(&self.persistent).or(persistent_default),
            given(&self.non_persistent).or(non_persistent_default),
            ("persistent", "non-persistent"),
        )
        .map_err(|e| format!("model {name}: {e}"))?;
        let refused = match sim_type {
            TimeBased => [("trigger", trigger), ("non-persistent", non_persistent)],
            EventBased => [("non-trigger", non_trigger), ("persistent", persistent)],
            Hybrid => return Ok(()),
        };
        for (key, part) in refused {
            if !part.is_empty() {
                return Err(format!(
                    "model {name}: {} simulators may not have {key} attrs (use SimType::Hybrid)",
                    sim_type.as_str()
                ));
            }
        }
        Ok(())
    }

    fn to_value(&self) -> Value {
        let list =
            |items: &[String]| Value::List(items.iter().map(|s| s.as_str().into()).collect());
        let mut entries = vec![
            ("public".into(), self.public.into()),
            ("params".into(), list(&self.params)),
            ("attrs".into(), list(&self.attrs)),
        ];
        if self.any_inputs {
            entries.push(("any_inputs".into(), true.into()));
        }
        let optional = [
            ("trigger", &self.trigger),
            ("non-trigger", &self.non_trigger),
            ("persistent", &self.persistent),
            ("non-persistent", &self.non_persistent),
        ];
        for (key, items) in optional {
            if let Some(items) = items {
                entries.push((key.into(), list(items)));
            }
        }
        Value::Map(entries)
    }
}

fn set(names: &[String]) -> BTreeSet<String> {
    names.iter().cloned().collect()
}

/// A set of attribute names, or all names (a model with `any_inputs`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attrs {
    All,
    Some(BTreeSet<String>),
}

impl Attrs {
    fn is_empty(&self) -> bool {
        matches!(self, Attrs::Some(s) if s.is_empty())
    }
}

/// mosaik's `parse_set_triple`: `a` and `b` (one may be inferred) split `union` in two.
fn split(
    union: &Attrs,
    a: Option<Attrs>,
    b: Option<Attrs>,
    (a_name, b_name): (&str, &str),
) -> Result<(Attrs, Attrs), String> {
    let rest = |part: &Attrs| match (union, part) {
        (Attrs::Some(all), Attrs::Some(part)) => Attrs::Some(all - part),
        // Everything but a finite set is never empty; everything but everything is.
        (Attrs::All, Attrs::Some(_)) => Attrs::All,
        (_, Attrs::All) => Attrs::Some(BTreeSet::new()),
    };
    let (a, b) = match (a, b) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => {
            let b = rest(&a);
            (a, b)
        }
        (None, Some(b)) => (rest(&b), b),
        (None, None) => return Err(format!("{a_name} or {b_name} must be given")),
    };
    let (Attrs::Some(a_set), Attrs::Some(b_set)) = (&a, &b) else {
        return Ok((a, b));
    };
    if let Some(both) = a_set.intersection(b_set).next() {
        return Err(format!("attr {both:?} is both {a_name} and {b_name}"));
    }
    let joined: BTreeSet<String> = a_set.union(b_set).cloned().collect();
    if Attrs::Some(joined) != *union {
        return Err(format!(
            "{a_name} and {b_name} attrs must together be exactly its attrs"
        ));
    }
    Ok((a, b))
}

/// A simulator's meta, returned by `init`.
///
/// ```
/// use aiomas::mosaik::{Meta, Model, SimType};
/// let meta = Meta::new(SimType::TimeBased)
///     .model("A", Model::public().params(["init_val"]).attrs(["val_out"]))
///     .extra_method("example_method");
/// let value = meta.to_value().unwrap();
/// assert_eq!(value.get("api_version"), Some(&"3.0".into()));
/// assert_eq!(value.get("type"), Some(&"time-based".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    sim_type: SimType,
    models: Vec<(String, Model)>,
    extra_methods: Vec<String>,
}

impl Meta {
    /// A meta of `sim_type` without models.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, SimType};
    /// let meta = Meta::new(SimType::TimeBased).to_value().unwrap();
    /// assert_eq!(meta.get("models").unwrap().to_string(), "{}");
    /// ```
    pub fn new(sim_type: SimType) -> Self {
        Meta {
            sim_type,
            models: Vec::new(),
            extra_methods: Vec::new(),
        }
    }

    /// Adds (or replaces) the model `name`.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased)
    ///     .model("A", Model::public())
    ///     .model("A", Model::private()); // replaces the first
    /// assert!(!meta.get_model("A").unwrap().is_public());
    /// ```
    pub fn model(mut self, name: impl Into<String>, model: Model) -> Self {
        let name = name.into();
        self.models.retain(|(n, _)| *n != name);
        self.models.push((name, model));
        self
    }

    /// Adds an extra method the scenario may call by name (see
    /// [`Simulator::extra_method`](super::Simulator::extra_method)).
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, SimType};
    /// let meta = Meta::new(SimType::TimeBased).extra_method("reset");
    /// assert_eq!(meta.to_value().unwrap().get("extra_methods").unwrap().to_string(), r#"["reset"]"#);
    /// // A name mosaik uses itself is refused.
    /// assert!(Meta::new(SimType::TimeBased).extra_method("step").to_value().is_err());
    /// ```
    pub fn extra_method(mut self, name: impl Into<String>) -> Self {
        self.extra_methods.push(name.into());
        self
    }

    /// The simulator type.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, SimType};
    /// assert_eq!(Meta::new(SimType::Hybrid).sim_type(), SimType::Hybrid);
    /// ```
    pub fn sim_type(&self) -> SimType {
        self.sim_type
    }

    /// The model `name`, if there is one.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased).model("A", Model::public().attrs(["x"]));
    /// assert_eq!(meta.get_model("A"), Some(&Model::public().attrs(["x"])));
    /// assert_eq!(meta.get_model("B"), None);
    /// ```
    pub fn get_model(&self, name: &str) -> Option<&Model> {
        self.models.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }

    /// Whether `name` is one of the extra methods.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, SimType};
    /// let meta = Meta::new(SimType::TimeBased).extra_method("reset");
    /// assert!(meta.has_extra_method("reset") && !meta.has_extra_method("init"));
    /// ```
    pub fn has_extra_method(&self, name: &str) -> bool {
        self.extra_methods.iter().any(|m| m == name)
    }

    /// The meta as mosaik reads it, after the checks mosaik would make (a `ValueError`
    /// otherwise): attribute kinds the simulator type allows, listed attrs known to the model,
    /// extra methods not named like a model or an API method.
    ///
    /// ```
    /// use aiomas::mosaik::{Meta, Model, SimType};
    /// let meta = Meta::new(SimType::TimeBased).model("A", Model::public().attrs(["x"]).trigger(["x"]));
    /// let err = meta.to_value().unwrap_err();
    /// assert_eq!(err.kind(), "ValueError");
    /// ```
    pub fn to_value(&self) -> Result<Value, Exception> {
        for (name, model) in &self.models {
            model
                .check(name, self.sim_type)
                .map_err(|msg| Exception::new("ValueError", msg))?;
        }
        const API_METHODS: [&str; 6] = ["init", "create", "setup_done", "step", "get_data", "stop"];
        for method in &self.extra_methods {
            if self.get_model(method).is_some() || API_METHODS.contains(&method.as_str()) {
                return Err(Exception::new(
                    "ValueError",
                    format!("extra method {method:?} is named like a model or an API method"),
                ));
            }
        }
        let models = self
            .models
            .iter()
            .map(|(name, model)| (name.as_str().into(), model.to_value()))
            .collect();
        let extra = self
            .extra_methods
            .iter()
            .map(|m| m.as_str().into())
            .collect();
        Ok(Value::Map(vec![
            ("api_version".into(), API_VERSION.into()),
            ("type".into(), self.sim_type.as_str().into()),
            ("models".into(), Value::Map(models)),
            ("extra_methods".into(), Value::List(extra)),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_based_models_refuse_triggers() {
        let meta =
            Meta::new(SimType::TimeBased).model("A", Model::public().attrs(["x"]).trigger(["x"]));
        let err = meta.to_value().unwrap_err();
        assert_eq!(err.kind(), "ValueError");
        assert!(err.message().contains("trigger"), "{err}");
    }

    #[test]
    fn listed_attrs_must_split_the_attrs() {
        let meta = Meta::new(SimType::Hybrid)
            .model("A", Model::public().attrs(["x"]).non_persistent(["y"]));
        assert!(meta.to_value().is_err());
        // Hybrid: non-persistent defaults to none, so `persistent` must list every attr.
        let meta = Meta::new(SimType::Hybrid).model(
            "A",
            Model::public()
                .attrs(["in", "out"])
                .trigger(["in"])
                .persistent(["out"]),
        );
        assert!(meta.to_value().unwrap_err().message().contains("exactly"));
        let meta = Meta::new(SimType::Hybrid).model(
            "A",
            Model::public()
                .attrs(["in", "out"])
                .trigger(["in"])
                .persistent(["out"])
                .non_persistent(["in"]),
        );
        assert!(meta.to_value().is_ok());
        let meta =
            Meta::new(SimType::EventBased).model("A", Model::public().any_inputs().attrs(["out"]));
        assert!(meta.to_value().is_ok());
        let meta = Meta::new(SimType::EventBased)
            .model("A", Model::public().attrs(["x"]).persistent(["x"]));
        assert!(meta.to_value().is_err());
    }

    #[test]
    fn extra_methods_cannot_shadow_models() {
        let meta = Meta::new(SimType::TimeBased)
            .model("A", Model::public())
            .extra_method("A");
        assert!(meta.to_value().is_err());
    }

    #[test]
    fn renders_mosaik_keys() {
        let meta = Meta::new(SimType::Hybrid).model(
            "M",
            Model::private()
                .attrs(["a", "b"])
                .trigger(["a"])
                .non_persistent(["b"]),
        );
        let value = meta.to_value().unwrap();
        let model = value.get("models").and_then(|m| m.get("M")).unwrap();
        assert_eq!(model.get("public"), Some(&false.into()));
        assert_eq!(model.get("trigger"), Some(&vec![Value::from("a")].into()));
        assert_eq!(
            model.get("non-persistent"),
            Some(&vec![Value::from("b")].into())
        );
        assert_eq!(model.get("persistent"), None);
    }
}
