//! The simulator's side of the connection: mosaik's calls in, replies and failures out.

use tracing::{debug, info};

use super::data::{Inputs, OutputRequest, Time};
use super::meta::Meta;
use super::proxy::MosaikProxy;
use super::simulator::Simulator;
use crate::channel::{Channel, Request};
use crate::rpc::{Args, Exception};
use crate::{Error, Value};

/// Why [`run_simulator`] returned.
///
/// ```
/// # use aiomas::mosaik::*;
/// # use aiomas::rpc::Exception;
/// # #[derive(Default)]
/// # struct Counter { count: i64 }
/// # impl Simulator for Counter {
/// #     async fn init(&mut self, _: &str, _: f64, _: &mut Params, _: &MosaikProxy) -> Result<Meta, Exception> {
/// #         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
/// #     }
/// #     async fn create(&mut self, num: usize, model: &str, _: &mut Params) -> Result<Vec<CreatedEntity>, Exception> {
/// #         Ok((0..num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
/// #     }
/// #     async fn step(&mut self, time: Time, _: Inputs, _: Time) -> Result<Option<Time>, Exception> {
/// #         self.count += 1;
/// #         Ok(Some(time + 1))
/// #     }
/// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
/// #         let mut data = OutputData::new();
/// #         for (eid, _) in outputs.iter() {
/// #             data.entity(eid).set("count", self.count);
/// #         }
/// #         Ok(data)
/// #     }
/// # }
/// use aiomas::channel::{self, Addr, ChannelOptions};
/// use aiomas::mosaik::{run_simulator, Ended};
/// use aiomas::Value;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // The simulator serves the connection it accepts (`run_as_server` does this over TCP).
/// let (done, mut ended) = tokio::sync::mpsc::channel(1);
/// let server = channel::start_server(Addr::local("ended-docs"), ChannelOptions::default(), move |channel| {
///     let done = done.clone();
///     async move {
///         let _ = done.send(run_simulator(channel, &mut Counter::default()).await).await;
///     }
/// })
/// .await?;
/// // What mosaik sends, as `[method, args, kwargs]`.
/// let mosaik = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// let call = |text: &str| aiomas::codec::Codec::Json.decode(text.as_bytes()).unwrap();
/// let meta = mosaik.send(call(r#"["init", ["Counter-0"], {"time_resolution": 1.0}]"#)).await?;
/// assert_eq!(meta.get("type"), Some(&"time-based".into()));
/// mosaik.send(call(r#"["create", [1, "Counter"], {}]"#)).await?;
/// assert_eq!(mosaik.send(call(r#"["step", [0, {}, 10], {}]"#)).await?, Value::Int(1));
/// let data = mosaik.send(call(r#"["get_data", [{"0": ["count"]}], {}]"#)).await?;
/// assert_eq!(data.to_string(), r#"{"0": {"count": 1}}"#);
/// // mosaik closes the connection (after `stop`, it would be `Ended::Stopped`).
/// mosaik.close().await;
/// assert_eq!(ended.recv().await.unwrap()?, Ended::Disconnected);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// mosaik sent `stop` (it gets no reply, as from mosaik-api-v3).
    Stopped,
    /// mosaik closed the connection.
    Disconnected,
}

/// The failure content mosaik expects: `[type, message, *traceback lines]`.
///
/// ```
/// use aiomas::rpc::Exception;
/// let failure = aiomas::mosaik::failure(&Exception::new("ValueError", "bad"));
/// let items = failure.as_list().unwrap();
/// assert_eq!((&items[0], &items[1]), (&"ValueError".into(), &"bad".into()));
/// assert_eq!(items.last().unwrap(), &"ValueError: bad\n".into());
/// ```
pub fn failure(exception: &Exception) -> Value {
    let (kind, message) = (exception.kind(), exception.message());
    Value::List(vec![
        kind.into(),
        message.into(),
        "Traceback (most recent call last):\n".into(),
        "  (remote Rust code)\n".into(),
        format!("{kind}: {message}\n").into(),
    ])
}

/// Serves mosaik's calls on `channel` with `sim` until mosaik sends `stop` or closes the
/// connection; then calls [`Simulator::stop`] and returns.
///
/// mosaik calls one method at a time and waits for its reply, so calls are handled in order;
/// the simulator's own requests (through its [`MosaikProxy`]) share the connection. There is
/// no deadline on mosaik's next call: the scenario decides when the simulation goes on.
/// Fails only if the connection breaks (not on a clean close).
///
/// ```
/// # use aiomas::mosaik::*;
/// # use aiomas::rpc::Exception;
/// # #[derive(Default)]
/// # struct Counter { count: i64 }
/// # impl Simulator for Counter {
/// #     async fn init(&mut self, _: &str, _: f64, _: &mut Params, _: &MosaikProxy) -> Result<Meta, Exception> {
/// #         Ok(Meta::new(SimType::TimeBased).model("Counter", Model::public().attrs(["count"])))
/// #     }
/// #     async fn create(&mut self, num: usize, model: &str, _: &mut Params) -> Result<Vec<CreatedEntity>, Exception> {
/// #         Ok((0..num).map(|i| CreatedEntity::new(i.to_string(), model)).collect())
/// #     }
/// #     async fn step(&mut self, time: Time, _: Inputs, _: Time) -> Result<Option<Time>, Exception> {
/// #         self.count += 1;
/// #         Ok(Some(time + 1))
/// #     }
/// #     async fn get_data(&mut self, outputs: OutputRequest) -> Result<OutputData, Exception> {
/// #         let mut data = OutputData::new();
/// #         for (eid, _) in outputs.iter() {
/// #             data.entity(eid).set("count", self.count);
/// #         }
/// #         Ok(data)
/// #     }
/// # }
/// use aiomas::channel::{self, Addr, ChannelOptions};
/// use aiomas::mosaik::{run_simulator, Ended};
/// use aiomas::Value;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// // The simulator serves the connection it accepts (`run_as_server` does this over TCP).
/// let (done, mut ended) = tokio::sync::mpsc::channel(1);
/// let server = channel::start_server(Addr::local("run-simulator-docs"), ChannelOptions::default(), move |channel| {
///     let done = done.clone();
///     async move {
///         let _ = done.send(run_simulator(channel, &mut Counter::default()).await).await;
///     }
/// })
/// .await?;
/// // What mosaik sends, as `[method, args, kwargs]`.
/// let mosaik = channel::open_connection(server.addr(), ChannelOptions::default()).await?;
/// let call = |text: &str| aiomas::codec::Codec::Json.decode(text.as_bytes()).unwrap();
/// let meta = mosaik.send(call(r#"["init", ["Counter-0"], {"time_resolution": 1.0}]"#)).await?;
/// assert_eq!(meta.get("type"), Some(&"time-based".into()));
/// mosaik.send(call(r#"["create", [1, "Counter"], {}]"#)).await?;
/// assert_eq!(mosaik.send(call(r#"["step", [0, {}, 10], {}]"#)).await?, Value::Int(1));
/// let data = mosaik.send(call(r#"["get_data", [{"0": ["count"]}], {}]"#)).await?;
/// assert_eq!(data.to_string(), r#"{"0": {"count": 1}}"#);
/// mosaik.close().await;
/// assert_eq!(ended.recv().await.unwrap()?, Ended::Disconnected);
/// # Ok(()) }
/// ```
pub async fn run_simulator<S: Simulator>(channel: Channel, sim: &mut S) -> Result<Ended, Error> {
    let mosaik = MosaikProxy::new(channel.clone());
    let mut meta: Option<Meta> = None;
    let ended = loop {
        let mut request = match channel.recv().await {
            Ok(request) => request,
            Err(Error::Connection(err)) => {
                info!("mosaik closed its connection ({err})");
                break Ok(Ended::Disconnected);
            }
            Err(err) => break Err(err),
        };
        let Some((method, args, kwargs)) = split_call(request.take_content()) else {
            let exc = Exception::type_error("a request must be [method, args, kwargs]");
            reply(request, Err(exc));
            continue;
        };
        debug!("calling {method}(*{args:?}, **{kwargs:?})");
        if method == "stop" {
            // mosaik-api-v3 ends without answering; mosaik does not wait for a reply.
            request.leave_unanswered();
            break Ok(Ended::Stopped);
        }
        let args = Args::new(format!("{}.{method}", sim.name()), args, kwargs);
        let outcome = call(sim, &mut meta, &mosaik, &method, args).await;
        reply(request, outcome);
    };
    sim.stop().await;
    ended
}

fn reply(request: Request, outcome: Result<Value, Exception>) {
    let sent = match outcome {
        Ok(value) => request.reply(value),
        Err(exc) => {
            debug!("replying with {exc}");
            request.fail_with(failure(&exc))
        }
    };
    if let Err(err) = sent {
        debug!("could not reply: {err}");
    }
}

/// A call from mosaik: method name, positional and keyword arguments.
type Call = (String, Vec<Value>, Vec<(String, Value)>);

/// `[method, args, kwargs]` with string keys.
fn split_call(content: Value) -> Option<Call> {
    let Value::List(items) = content else {
        return None;
    };
    let [Value::Str(method), Value::List(args), Value::Map(kwargs)]: [Value; 3] =
        items.try_into().ok()?
    else {
        return None;
    };
    let kwargs = kwargs
        .into_iter()
        .map(|(k, v)| match k {
            Value::Str(k) => Some((k, v)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    Some((method, args, kwargs))
}

async fn call<S: Simulator>(
    sim: &mut S,
    meta: &mut Option<Meta>,
    mosaik: &MosaikProxy,
    method: &str,
    mut args: Args,
) -> Result<Value, Exception> {
    let value = match method {
        "init" => {
            let sid: String = args.required("sid")?;
            let time_resolution: f64 = args.or_default("time_resolution", || 1.0)?;
            let new_meta = sim.init(&sid, time_resolution, &mut args, mosaik).await?;
            let value = new_meta.to_value()?;
            *meta = Some(new_meta);
            value
        }
        "create" => {
            let num: usize = args.required("num")?;
            let model: String = args.required("model")?;
            let entities = sim.create(num, &model, &mut args).await?;
            crate::to_value(&entities).map_err(Exception::from)?
        }
        "setup_done" => {
            sim.setup_done().await?;
            Value::Nil
        }
        "step" => {
            let time: Time = args.required("time")?;
            let inputs = Inputs::new(args.required("inputs")?)?;
            let max_advance: Time = args.required("max_advance")?;
            args.finish()?;
            return Ok(sim.step(time, inputs, max_advance).await?.into());
        }
        "get_data" => {
            let outputs = OutputRequest::new(args.required("outputs")?)?;
            args.finish()?;
            return Ok(sim.get_data(outputs).await?.into_value());
        }
        name if meta.as_ref().is_some_and(|m| m.has_extra_method(name)) => {
            sim.extra_method(name, &mut args).await?
        }
        // mosaik-api-v3 looks the name up in a dict of its methods.
        unknown => return Err(Exception::new("KeyError", format!("'{unknown}'"))),
    };
    args.finish()?;
    Ok(value)
}
