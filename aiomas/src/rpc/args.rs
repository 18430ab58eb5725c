//! The arguments of one incoming call, decoded parameter by parameter into Rust types.
//!
//! Python callers mix positions and keywords freely (`add(3, b=4)`); [`Args`] hands each
//! declared parameter its value from either, and reports mistakes with Python's `TypeError`
//! wording.

use serde::de::DeserializeOwned;
use smol_str::SmolStr;

use super::{Exception, ReplyTo};
use crate::codec::{RawArgs, RawCall, Received};
use crate::value::TapeItems;
use crate::{Error, Value};

/// The positional arguments: values, still in the request's frame, or the items of an
/// in-process call's tape.
#[derive(Debug)]
enum Positional {
    Values(std::vec::IntoIter<Value>),
    Raw(RawArgs),
    Tape(TapeItems),
}

impl Iterator for Positional {
    type Item = Received;

    fn next(&mut self) -> Option<Received> {
        match self {
            Positional::Values(values) => values.next().map(Received::from),
            Positional::Raw(raw) => raw.next(),
            Positional::Tape(items) => items.next_value().map(Received::from),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Positional::Values(values) => values.size_hint(),
            Positional::Raw(raw) => raw.size_hint(),
            Positional::Tape(items) => (items.len(), Some(items.len())),
        }
    }
}

impl ExactSizeIterator for Positional {}

impl Positional {
    /// Whether an argument is left (without counting a tape's items).
    fn has_next(&self) -> bool {
        match self {
            Positional::Tape(items) => !items.is_empty(),
            other => other.len() > 0,
        }
    }

    /// The next argument decoded into `T`; a tape's where it lies, without a copy.
    fn decode_next<T: DeserializeOwned>(&mut self) -> Option<Result<T, Error>> {
        match self {
            Positional::Tape(items) => items.decode_next(),
            other => other.next().map(Received::decode),
        }
    }
}

/// Keyword arguments given as values, as `Args` keeps them.
fn received(keywords: Vec<(String, Value)>) -> Vec<(String, Received)> {
    keywords
        .into_iter()
        .map(|(key, value)| (key, Received::from(value)))
        .collect()
}

/// One declared parameter of a function, in declaration order, for [`Args::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    /// Must be given, by position or keyword.
    Required(&'a str),
    /// May be left out (it has a default, or is an `Option`).
    Optional(&'a str),
    /// Python's `*args`: takes the remaining positional arguments; the parameters after it
    /// can only be given by keyword.
    Args,
    /// Python's `**kwargs`: takes the remaining keyword arguments.
    Kwargs,
}

/// [`Param`]s the way CPython's binding sees them: those before `*args` and those after it,
/// borrowed from the declaration (checking a call allocates nothing).
struct Signature<'p, 'a> {
    /// Positional-or-keyword parameters.
    positional: Named<'p, 'a>,
    /// Keyword-only parameters (after `*args`).
    keyword_only: Named<'p, 'a>,
    var_args: bool,
    var_kw: bool,
}

/// The named parameters in a run of [`Param`]s, as (name, required).
#[derive(Clone, Copy)]
struct Named<'p, 'a>(&'p [Param<'a>]);

impl<'p, 'a> Named<'p, 'a> {
    fn iter(self) -> impl Iterator<Item = (&'a str, bool)> + 'p {
        self.0.iter().filter_map(|param| match *param {
            Param::Required(name) => Some((name, true)),
            Param::Optional(name) => Some((name, false)),
            Param::Args | Param::Kwargs => None,
        })
    }

    fn len(self) -> usize {
        self.iter().count()
    }
}

impl<'p, 'a> Signature<'p, 'a> {
    fn of(params: &'p [Param<'a>]) -> Self {
        let star = params.iter().position(|param| *param == Param::Args);
        let (positional, keyword_only) = match star {
            Some(star) => (&params[..star], &params[star + 1..]),
            None => (params, &[][..]),
        };
        Signature {
            positional: Named(positional),
            keyword_only: Named(keyword_only),
            var_args: star.is_some(),
            var_kw: params.contains(&Param::Kwargs),
        }
    }

    /// CPython's `too_many_positional`.
    fn too_many(&self, given: usize, keyword_only_given: usize) -> String {
        let count = self.positional.len();
        let defaults = self
            .positional
            .iter()
            .filter(|(_, required)| !required)
            .count();
        let (takes, plural) = match defaults {
            0 => (count.to_string(), count != 1),
            _ => (format!("from {} to {count}", count - defaults), true),
        };
        let s = |plural: bool| if plural { "s" } else { "" };
        let keyword_only = match keyword_only_given {
            0 => String::new(),
            n => format!(
                " positional argument{} (and {n} keyword-only argument{})",
                s(given != 1),
                s(n != 1)
            ),
        };
        let verb = if given == 1 && keyword_only_given == 0 {
            "was"
        } else {
            "were"
        };
        format!(
            "takes {takes} positional argument{} but {given}{keyword_only} {verb} given",
            s(plural)
        )
    }
}

/// CPython's `format_missing`: `'a'`, `'a' and 'b'`, `'a', 'b', and 'c'`.
fn missing_text(kind: &str, names: &[String]) -> String {
    let list = match names {
        [one] => one.clone(),
        [first, second] => format!("{first} and {second}"),
        [init @ .., last] => format!("{}, and {last}", init.join(", ")),
        [] => String::new(),
    };
    let s = if names.len() == 1 { "" } else { "s" };
    format!(
        "missing {} required {kind} argument{s}: {list}",
        names.len()
    )
}

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
    /// Kept inline when short, and borrowed when it is a typed proxy's method name (a
    /// literal): no allocation per call either way.
    function: SmolStr,
    positional: Positional,
    keywords: Vec<(String, Received)>,
    declared: usize,
    rest_taken: bool,
    reply_to: ReplyTo,
}

impl Args {
    /// Arguments for a call of `function`.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// // What a call `add(1, b=2)` brings.
    /// let args = Args::new("add", vec![Value::from(1)], vec![("b".into(), Value::from(2))]);
    /// assert_eq!(args.function(), "add");
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn new(
        function: impl AsRef<str>,
        positional: Vec<Value>,
        keywords: Vec<(String, Value)>,
    ) -> Self {
        Args::with(
            SmolStr::new(function),
            Positional::Values(positional.into_iter()),
            received(keywords),
        )
    }

    /// The arguments of a request `call` whose arguments are still in its frame: each is
    /// decoded straight into its parameter's type.
    pub(crate) fn from_call(call: RawCall) -> (SmolStr, Self) {
        let (path, positional, keywords) = call.into_parts();
        let function = SmolStr::new(function_name(&path));
        (
            path,
            Args::with(function, Positional::Raw(positional), keywords),
        )
    }

    /// Arguments of an in-process call: the positional ones are the items of a tape (copies
    /// the caller made), and the result goes into a tape too.
    pub(crate) fn local(
        function: &'static str,
        positional: TapeItems,
        keywords: Vec<(String, Value)>,
    ) -> Self {
        Args::with(
            SmolStr::new_static(function),
            Positional::Tape(positional),
            received(keywords),
        )
        .replying_to(ReplyTo::tape())
    }

    fn with(function: SmolStr, positional: Positional, keywords: Vec<(String, Received)>) -> Self {
        Args {
            function,
            positional,
            keywords,
            declared: 0,
            rest_taken: false,
            reply_to: ReplyTo::default(),
        }
    }

    /// The same arguments, with results encoded as `reply_to` says.
    pub(crate) fn replying_to(mut self, reply_to: ReplyTo) -> Self {
        self.reply_to = reply_to;
        self
    }

    /// How the call's result is encoded: take it before the arguments are used up, and
    /// [`encode`](ReplyTo::encode) the result with it (over a connection, straight into the
    /// reply frame; in-process, or for `Args` built by hand, into a [`Value`]).
    pub fn reply_to(&self) -> ReplyTo {
        self.reply_to.clone()
    }

    /// Binds the call to the declared `params` the way Python does before a function runs, and
    /// reports the first mismatch with Python's exact `TypeError` text, in CPython's order:
    /// each keyword in turn (unexpected, or given twice), then too many positional arguments,
    /// then missing positional, then missing keyword-only ones.
    ///
    /// Generated routers call it first; the parameter accessors then cannot fail on binding.
    ///
    /// ```
    /// use aiomas::rpc::{Args, Param};
    /// use aiomas::Value;
    ///
    /// let add = [Param::Required("a"), Param::Required("b")];
    /// let args = Args::new("add", vec![Value::from(1)], vec![("c".into(), Value::from(2))]);
    /// let err = args.check(&add).unwrap_err();
    /// assert_eq!(err.message(), "add() got an unexpected keyword argument 'c'");
    /// ```
    pub fn check(&self, params: &[Param<'_>]) -> Result<(), Exception> {
        let signature = Signature::of(params);
        let given = self.positional.len();
        let by_keyword = |name: &str| self.keywords.iter().any(|(k, _)| k == name);
        for (keyword, _) in &self.keywords {
            match signature
                .positional
                .iter()
                .position(|(name, _)| name == keyword)
            {
                Some(i) if i < given => {
                    return Err(
                        self.type_error(format!("got multiple values for argument '{keyword}'"))
                    )
                }
                Some(_) => {}
                None if signature.var_kw
                    || signature
                        .keyword_only
                        .iter()
                        .any(|(name, _)| name == keyword) => {}
                None => {
                    return Err(
                        self.type_error(format!("got an unexpected keyword argument '{keyword}'"))
                    )
                }
            }
        }
        if given > signature.positional.len() && !signature.var_args {
            let keyword_only_given = signature
                .keyword_only
                .iter()
                .filter(|(name, _)| by_keyword(name))
                .count();
            return Err(self.type_error(signature.too_many(given, keyword_only_given)));
        }
        let missing = |params: Named<'_, '_>, skip: usize| -> Vec<String> {
            params
                .iter()
                .skip(skip)
                .filter(|(name, required)| *required && !by_keyword(name))
                .map(|(name, _)| format!("'{name}'"))
                .collect()
        };
        for (kind, missing) in [
            ("positional", missing(signature.positional, given)),
            ("keyword-only", missing(signature.keyword_only, 0)),
        ] {
            if !missing.is_empty() {
                return Err(self.type_error(missing_text(kind, &missing)));
            }
        }
        Ok(())
    }

    fn type_error(&self, text: String) -> Exception {
        Exception::type_error(format!("{}() {text}", self.function))
    }

    /// The name of the called function, as used in error messages.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let args = Args::new("step", vec![], vec![]);
    /// assert_eq!(args.function(), "step");
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The parameter `name` decoded into `T`: the next positional argument or the keyword
    /// `name` (`None`: neither is given).
    fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, Exception> {
        self.declared += 1;
        let keyword = self
            .keywords
            .iter()
            .position(|(k, _)| k == name)
            .map(|i| self.keywords.swap_remove(i).1);
        let value = match keyword {
            Some(_) if self.positional.has_next() => {
                return Err(Exception::type_error(format!(
                    "{}() got multiple values for argument '{name}'",
                    self.function
                )))
            }
            Some(keyword) => Some(keyword.decode()),
            None => self.positional.decode_next(),
        };
        value.transpose().map_err(|err| self.undecodable(name, err))
    }

    fn decode<T: DeserializeOwned>(&self, name: &str, value: Received) -> Result<T, Exception> {
        value.decode().map_err(|err| self.undecodable(name, err))
    }

    /// The `TypeError` for the argument `name` that did not decode.
    fn undecodable(&self, name: &str, err: Error) -> Exception {
        let detail = err.to_string();
        let detail = detail
            .strip_prefix("deserialization error: ")
            .unwrap_or(&detail);
        Exception::type_error(format!("{}() argument '{name}': {detail}", self.function))
    }

    /// The parameter `name`: the next positional argument or the keyword `name`. Missing is an error.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let mut args = Args::new("add", vec![Value::from(1)], vec![("b".into(), Value::from(2))]);
    /// let (a, b): (i64, i64) = (args.required("a")?, args.required("b")?); // positional or keyword
    /// assert_eq!(a + b, 3);
    /// let err = Args::new("add", vec![], vec![]).required::<i64>("a").unwrap_err();
    /// assert_eq!(err.message(), "add() missing 1 required positional argument: 'a'");
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn required<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, Exception> {
        match self.take(name)? {
            Some(value) => Ok(value),
            None => Err(Exception::type_error(format!(
                "{}() missing 1 required positional argument: '{name}'",
                self.function
            ))),
        }
    }

    /// An optional parameter: `None` when the caller left it out (or passed `None`).
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let mut args = Args::new("greet", vec![Value::from("Monty")], vec![]);
    /// assert_eq!(args.required::<String>("name")?, "Monty");
    /// assert_eq!(args.optional::<String>("greeting")?, None);
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, Exception> {
        Ok(self.take::<Option<T>>(name)?.flatten())
    }

    /// A parameter with a default, used when the caller left it out.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let mut args = Args::new("scale", vec![Value::from(2.0)], vec![]);
    /// let x: f64 = args.required("x")?;
    /// let factor: f64 = args.or_default("factor", || 10.0)?;
    /// assert_eq!(x * factor, 20.0);
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn or_default<T: DeserializeOwned>(
        &mut self,
        name: &str,
        default: impl FnOnce() -> T,
    ) -> Result<T, Exception> {
        Ok(self.take(name)?.unwrap_or_else(default))
    }

    /// All remaining positional arguments (Python's `*args`), decoded from a list.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let mut args = Args::new("sum", vec![1.into(), 2.into(), 3.into()], vec![]);
    /// let first: i64 = args.required("first")?;
    /// let rest: Vec<i64> = args.rest_args()?;
    /// assert_eq!((first, rest), (1, vec![2, 3]));
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn rest_args<T: DeserializeOwned>(&mut self) -> Result<T, Exception> {
        self.rest_taken = true;
        let rest = self.positional.by_ref().map(Received::into_value);
        let rest = rest
            .collect::<Result<_, _>>()
            .map_err(|err| self.undecodable("*args", err))?;
        self.decode("*args", Received::from(Value::List(rest)))
    }

    /// All remaining keyword arguments (Python's `**kwargs`), decoded from a map.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// use std::collections::BTreeMap;
    /// let mut args = Args::new("configure", vec![], vec![("debug".into(), true.into())]);
    /// let options: BTreeMap<String, bool> = args.rest_kwargs()?;
    /// assert_eq!(options["debug"], true);
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn rest_kwargs<T: DeserializeOwned>(&mut self) -> Result<T, Exception> {
        let rest = std::mem::take(&mut self.keywords);
        let map = rest
            .into_iter()
            .map(|(k, v)| Ok((Value::Str(k), v.into_value()?)))
            .collect::<Result<_, Error>>()
            .map_err(|err| self.undecodable("**kwargs", err))?;
        self.decode("**kwargs", Received::from(Value::Map(map)))
    }

    /// Checks that every argument was used.
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let mut args = Args::new("one", vec![1.into(), 2.into()], vec![]);
    /// let _: i64 = args.required("x")?;
    /// let err = args.finish().unwrap_err();
    /// assert_eq!(err.message(), "one() takes 1 positional argument but 2 were given");
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
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
    ///
    /// ```
    /// # use aiomas::rpc::Args;
    /// # use aiomas::Value;
    /// let args = Args::new("add", vec![3.into(), 4.into()], vec![]);
    /// let (a, b): (i64, i64) = args.into_positional()?;
    /// assert_eq!(a + b, 7);
    /// # Ok::<(), aiomas::rpc::Exception>(())
    /// ```
    pub fn into_positional<T: DeserializeOwned>(mut self) -> Result<T, Exception> {
        let all = self.rest_args()?;
        self.finish()?;
        Ok(all)
    }
}

/// The name of the function at `path` (its last segment) as errors show it.
pub(super) fn function_name(path: &str) -> &str {
    // A byte search: `rsplit` with a `char` costs several times more on short names.
    match path.bytes().rposition(|b| b == b'/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every expected text is what CPython 3.11 says for the same call of the same signature.
    #[test]
    fn binding_errors_follow_cpython_text_and_order() {
        use Param::{Args as Rest, Optional, Required};
        let add = [Required("a"), Required("b")];
        let f = [Required("a"), Optional("b")];
        let g = [Required("a"), Rest, Required("key")];
        let m = [Required("a"), Required("b"), Required("c")];
        let kw = |pairs: &[(&str, i64)]| -> Vec<(String, Value)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        type Call<'p> = (
            &'p str,
            &'p [Param<'p>],
            Vec<i64>,
            Vec<(String, Value)>,
            &'p str,
        );
        let cases: Vec<Call<'_>> = vec![
            (
                "add",
                &add,
                vec![1],
                kw(&[("c", 2)]),
                "add() got an unexpected keyword argument 'c'",
            ),
            (
                "add",
                &add,
                vec![],
                kw(&[]),
                "add() missing 2 required positional arguments: 'a' and 'b'",
            ),
            (
                "f",
                &f,
                vec![1, 2, 3],
                kw(&[]),
                "f() takes from 1 to 2 positional arguments but 3 were given",
            ),
            (
                "g",
                &g,
                vec![],
                kw(&[]),
                "g() missing 1 required positional argument: 'a'",
            ),
            (
                "g",
                &g,
                vec![1],
                kw(&[]),
                "g() missing 1 required keyword-only argument: 'key'",
            ),
            (
                "one",
                &[Required("a")],
                vec![1, 2],
                kw(&[]),
                "one() takes 1 positional argument but 2 were given",
            ),
            (
                "z",
                &[],
                vec![1],
                kw(&[]),
                "z() takes 0 positional arguments but 1 was given",
            ),
            (
                "m",
                &m,
                vec![],
                kw(&[]),
                "m() missing 3 required positional arguments: 'a', 'b', and 'c'",
            ),
            (
                "add",
                &add,
                vec![1],
                kw(&[("a", 2), ("c", 3)]),
                "add() got multiple values for argument 'a'",
            ),
            (
                "add",
                &add,
                vec![1],
                kw(&[("c", 3), ("a", 2)]),
                "add() got an unexpected keyword argument 'c'",
            ),
            (
                "add",
                &add,
                vec![1, 2, 3],
                kw(&[("c", 1)]),
                "add() got an unexpected keyword argument 'c'",
            ),
            (
                "m",
                &m,
                vec![1],
                kw(&[("c", 3)]),
                "m() missing 1 required positional argument: 'b'",
            ),
        ];
        for (name, params, positional, keywords, expected) in cases {
            let positional = positional.into_iter().map(Value::from).collect();
            let err = Args::new(name, positional, keywords)
                .check(params)
                .unwrap_err();
            assert_eq!(err.kind(), "TypeError");
            assert_eq!(err.message(), expected);
        }
    }

    #[test]
    fn bound_calls_pass_the_check() {
        use Param::{Kwargs, Optional, Required};
        let params = [Required("a"), Optional("b"), Kwargs];
        let keywords = vec![("b".into(), Value::from(2)), ("z".into(), Value::from(3))];
        assert!(Args::new("f", vec![1.into()], keywords)
            .check(&params)
            .is_ok());
        let only_a = vec![("a".into(), Value::from(1))];
        assert!(Args::new("f", vec![], only_a).check(&params).is_ok());
    }
}

#[cfg(test)]
mod direct_tests;
