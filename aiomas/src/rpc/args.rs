//! The arguments of one incoming call, decoded parameter by parameter into Rust types.
//!
//! Python callers mix positions and keywords freely (`add(3, b=4)`); [`Args`] hands each
//! declared parameter its value from either, and reports mistakes with Python's `TypeError`
//! wording.

use serde::de::DeserializeOwned;

use super::Exception;
use crate::{from_value, Value};

/// The positional and keyword arguments of a call to `function`.
///
/// Generated routers take parameters in declaration order; hand-written functions (in a
/// [`ServiceMap`](super::ServiceMap)) do the same.
///
/// ```
/// use aiomas::rpc::Args;
/// use aiomas::Value;
///
/// let mut args = Args::new("add", vec![Value::from(3)], vec![("b".into(), Value::from(4))]);
/// let a: i64 = args.required("a").unwrap();
/// let b: i64 = args.required("b").unwrap();
/// args.finish().unwrap();
/// assert_eq!(a + b, 7);
/// ```
#[derive(Debug)]
pub struct Args {
    function: String,
    positional: std::vec::IntoIter<Value>,
    keywords: Vec<(String, Value)>,
    declared: usize,
    rest_taken: bool,
}

impl Args {
    /// Arguments for a call of `function`.
    pub fn new(
        function: impl Into<String>,
        positional: Vec<Value>,
        keywords: Vec<(String, Value)>,
    ) -> Self {
        Args {
            function: function.into(),
            positional: positional.into_iter(),
            keywords,
            declared: 0,
            rest_taken: false,
        }
    }

    /// The name of the called function, as used in error messages.
    pub fn function(&self) -> &str {
        &self.function
    }

    fn take(&mut self, name: &str) -> Result<Option<Value>, Exception> {
        self.declared += 1;
        let keyword = self
            .keywords
            .iter()
            .position(|(k, _)| k == name)
            .map(|i| self.keywords.swap_remove(i).1);
        match (self.positional.next(), keyword) {
            (Some(_), Some(_)) => Err(Exception::type_error(format!(
                "{}() got multiple values for argument '{name}'",
                self.function
            ))),
            (positional, keyword) => Ok(positional.or(keyword)),
        }
    }

    fn decode<T: DeserializeOwned>(&self, name: &str, value: Value) -> Result<T, Exception> {
        from_value(value).map_err(|err| {
            let detail = err.to_string();
            let detail = detail
                .strip_prefix("deserialization error: ")
                .unwrap_or(&detail);
            Exception::type_error(format!("{}() argument '{name}': {detail}", self.function))
        })
    }

    /// The parameter `name`: the next positional argument or the keyword `name`. Missing is an error.
    pub fn required<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, Exception> {
        match self.take(name)? {
            Some(value) => self.decode(name, value),
            None => Err(Exception::type_error(format!(
                "{}() missing 1 required positional argument: '{name}'",
                self.function
            ))),
        }
    }

    /// An optional parameter: `None` when the caller left it out (or passed `None`).
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, Exception> {
        match self.take(name)? {
            Some(value) => self.decode(name, value),
            None => Ok(None),
        }
    }

    /// A parameter with a default, used when the caller left it out.
    pub fn or_default<T: DeserializeOwned>(
        &mut self,
        name: &str,
        default: impl FnOnce() -> T,
    ) -> Result<T, Exception> {
        match self.take(name)? {
            Some(value) => self.decode(name, value),
            None => Ok(default()),
        }
    }

    /// All remaining positional arguments (Python's `*args`), decoded from a list.
    pub fn rest_args<T: DeserializeOwned>(&mut self) -> Result<T, Exception> {
        self.rest_taken = true;
        let rest: Vec<Value> = self.positional.by_ref().collect();
        self.decode("*args", Value::List(rest))
    }

    /// All remaining keyword arguments (Python's `**kwargs`), decoded from a map.
    pub fn rest_kwargs<T: DeserializeOwned>(&mut self) -> Result<T, Exception> {
        let rest = std::mem::take(&mut self.keywords);
        let map = rest.into_iter().map(|(k, v)| (Value::Str(k), v)).collect();
        self.decode("**kwargs", Value::Map(map))
    }

    /// Checks that every argument was used.
    pub fn finish(mut self) -> Result<(), Exception> {
        let extra = self.positional.len();
        if extra > 0 && !self.rest_taken {
            let given = self.declared + extra;
            let declared = self.declared;
            let plural = if declared == 1 { "" } else { "s" };
            return Err(Exception::type_error(format!(
                "{}() takes {declared} positional argument{plural} but {given} were given",
                self.function
            )));
        }
        if let Some((name, _)) = self.keywords.pop() {
            return Err(Exception::type_error(format!(
                "{}() got an unexpected keyword argument '{name}'",
                self.function
            )));
        }
        Ok(())
    }

    /// Decodes all positional arguments at once into a tuple or list, e.g. `(i64, i64)`;
    /// keyword arguments are refused. Handy for hand-written functions.
    pub fn into_positional<T: DeserializeOwned>(mut self) -> Result<T, Exception> {
        let all = self.rest_args()?;
        self.finish()?;
        Ok(all)
    }
}
