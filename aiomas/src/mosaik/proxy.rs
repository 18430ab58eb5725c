//! [`MosaikProxy`]: the simulator's requests to mosaik, on the connection mosaik drives it on.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;

use super::data::Time;
use crate::channel::Channel;
use crate::{from_value, to_value, Error, Value};

/// Which entities [`MosaikProxy::get_related_entities`] asks about.
///
/// ```
/// use aiomas::mosaik::EntityQuery;
/// assert_eq!(EntityQuery::from("Sim-0.0"), EntityQuery::One("Sim-0.0".into()));
/// assert_eq!(EntityQuery::from(vec!["Sim-0.0".to_owned()]), EntityQuery::Each(vec!["Sim-0.0".into()]));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntityQuery {
    /// The whole entity graph: `{"nodes": {full_id: spec}, "edges": [[a, b, {}], ...]}`.
    All,
    /// The entities related to one: `{full_id: spec}`.
    One(String),
    /// The entities related to each: `{full_id: {related full_id: spec}}`.
    Each(Vec<String>),
}

impl From<&str> for EntityQuery {
    fn from(full_id: &str) -> Self {
        EntityQuery::One(full_id.to_owned())
    }
}

impl From<String> for EntityQuery {
    fn from(full_id: String) -> Self {
        EntityQuery::One(full_id)
    }
}

impl From<Vec<String>> for EntityQuery {
    fn from(full_ids: Vec<String>) -> Self {
        EntityQuery::Each(full_ids)
    }
}

impl From<&[String]> for EntityQuery {
    fn from(full_ids: &[String]) -> Self {
        EntityQuery::Each(full_ids.to_vec())
    }
}

/// What mosaik knows of an entity (the node data of its entity graph).
///
/// ```
/// use aiomas::mosaik::EntitySpec;
/// let spec: EntitySpec = aiomas::from_value(aiomas::to_value(&serde_json::json!({"sid": "Grid-0", "type": "Node"})).unwrap()).unwrap();
/// assert_eq!((spec.sid.as_deref(), spec.model.as_str()), (Some("Grid-0"), "Node"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct EntitySpec {
    /// The id of the simulator holding it.
    #[serde(default)]
    pub sid: Option<String>,
    /// Its model.
    #[serde(rename = "type")]
    pub model: String,
}

/// Requests from a simulator to mosaik (mosaik-api-v3's `MosaikProxy`). Cheap to clone.
///
/// The requests go over the connection mosaik drives the simulator on, typically while mosaik
/// waits for a `step` to finish. mosaik answers `get_data` and `set_data` only for entities
/// the scenario connected with `async_requests=True`; otherwise the call fails with
/// [`Error::Remote`] of kind `ScenarioError`. Results decode into any serde type; [`Value`]
/// keeps mosaik's order.
///
/// ```
/// # use aiomas::channel::{self, Addr, ChannelOptions};
/// # use aiomas::mosaik::MosaikProxy;
/// # use aiomas::Value;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> aiomas::Result<()> {
/// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
/// # let mosaik = channel::start_server(Addr::local("mosaik-proxy-docs"), ChannelOptions::default(), |channel| async move {
/// #     while let Ok(request) = channel.recv().await {
/// #         let content = request.content().clone();
/// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
/// #             Some("get_progress") => Value::from(42.5),
/// #             _ => content,
/// #         };
/// #         request.reply(reply).unwrap();
/// #     }
/// # })
/// # .await?;
/// let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
/// // In a simulator, the proxy comes with `Simulator::init`.
/// println!("{}% done", proxy.get_progress().await?);
/// let sent: Value = proxy.get_data(&serde_json::json!({"Grid-0.node-1": ["v"]})).await?;
/// assert_eq!(sent.to_string(), r#"["get_data", [{"Grid-0.node-1": ["v"]}], {}]"#);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MosaikProxy {
    channel: Channel,
    /// How many requests wait for mosaik's reply (all clones share it).
    in_flight: Arc<watch::Sender<usize>>,
}

/// Counts one request as in flight for as long as it lives.
struct InFlight<'a>(&'a watch::Sender<usize>);

impl<'a> InFlight<'a> {
    fn new(count: &'a watch::Sender<usize>) -> Self {
        count.send_modify(|n| *n += 1);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl MosaikProxy {
    /// A proxy sending on `channel`.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-new-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// assert_eq!(proxy.requests_in_flight(), 0);
    /// # Ok(()) }
    /// ```
    pub fn new(channel: Channel) -> Self {
        MosaikProxy {
            channel,
            in_flight: Arc::new(watch::Sender::new(0)),
        }
    }

    async fn call(&self, method: &str, args: Vec<Value>) -> Result<Value, Error> {
        let request = vec![method.into(), Value::List(args), Value::Map(Vec::new())];
        let _counted = InFlight::new(&self.in_flight);
        self.channel.send(Value::List(request)).await
    }

    /// How many requests (of this proxy and its clones) wait for mosaik's reply.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-in-flight-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// let progress = proxy.get_progress();
    /// assert_eq!(proxy.requests_in_flight(), 0); // a future does nothing until awaited
    /// progress.await?;
    /// assert_eq!(proxy.requests_in_flight(), 0);
    /// # Ok(()) }
    /// ```
    pub fn requests_in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Waits until no request waits for mosaik's reply.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-answered-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// let worker = proxy.clone();
    /// let request = tokio::spawn(async move { worker.set_event(5).await });
    /// tokio::task::yield_now().await;
    /// proxy.all_answered().await;
    /// assert_eq!(proxy.requests_in_flight(), 0);
    /// request.await.unwrap()?;
    /// # Ok(()) }
    /// ```
    pub async fn all_answered(&self) {
        let mut count = self.in_flight.subscribe();
        // The sender lives in `self`, so the wait ends only when the count reaches 0.
        let _ = count.wait_for(|n| *n == 0).await;
    }

    async fn call_decoded<T: DeserializeOwned>(
        &self,
        method: &str,
        args: Vec<Value>,
    ) -> Result<T, Error> {
        from_value(self.call(method, args).await?)
    }

    /// The simulation progress in percent.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-progress-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// assert_eq!(proxy.get_progress().await?, 42.5);
    /// # Ok(()) }
    /// ```
    pub async fn get_progress(&self) -> Result<f64, Error> {
        self.call_decoded("get_progress", Vec::new()).await
    }

    /// The entities related to `entities` (see [`EntityQuery`] for the shapes).
    ///
    /// ```no_run
    /// # async fn demo(mosaik: aiomas::mosaik::MosaikProxy) -> aiomas::Result<()> {
    /// use std::collections::BTreeMap;
    /// use aiomas::mosaik::EntitySpec;
    /// let related: BTreeMap<String, BTreeMap<String, EntitySpec>> =
    ///     mosaik.get_related_entities(vec!["MAS-0.0".to_owned()]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_related_entities<T: DeserializeOwned>(
        &self,
        entities: impl Into<EntityQuery>,
    ) -> Result<T, Error> {
        let query = match entities.into() {
            EntityQuery::All => Value::Nil,
            EntityQuery::One(id) => id.into(),
            EntityQuery::Each(ids) => Value::List(ids.into_iter().map(Value::from).collect()),
        };
        self.call_decoded("get_related_entities", vec![query]).await
    }

    /// The current values of other simulators' attributes: `attrs` is `{full_id: [attr, ...]}`,
    /// the result `{full_id: {attr: value}}`.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-get-data-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// // mosaik answers `{full_id: {attr: value}}`; this stand-in sends the request back.
    /// let request: Value = proxy.get_data(&serde_json::json!({"Grid-0.node-1": ["v"]})).await?;
    /// assert_eq!(request.to_string(), r#"["get_data", [{"Grid-0.node-1": ["v"]}], {}]"#);
    /// # Ok(()) }
    /// ```
    pub async fn get_data<T: DeserializeOwned>(
        &self,
        attrs: &(impl Serialize + ?Sized),
    ) -> Result<T, Error> {
        self.call_decoded("get_data", vec![to_value(attrs)?]).await
    }

    /// Sets inputs of other simulators for their next step: `data` is
    /// `{src_full_id: {dest_full_id: {attr: value}}}`.
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-set-data-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// let data = serde_json::json!({"Ctl-0.c": {"Battery-0.b": {"p_set": 1.5}}});
    /// proxy.set_data(&data).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_data(&self, data: &(impl Serialize + ?Sized)) -> Result<(), Error> {
        self.call("set_data", vec![to_value(data)?]).await.map(drop)
    }

    /// Asks to be stepped at `time` (real-time simulations only; mosaik refuses it otherwise).
    ///
    /// ```
    /// # use aiomas::channel::{self, Addr, ChannelOptions};
    /// # use aiomas::mosaik::MosaikProxy;
    /// # use aiomas::Value;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> aiomas::Result<()> {
    /// # // A stand-in for mosaik: `get_progress` is 42.5, every other request comes back as it went.
    /// # let mosaik = channel::start_server(Addr::local("mosaik-set-event-docs"), ChannelOptions::default(), |channel| async move {
    /// #     while let Ok(request) = channel.recv().await {
    /// #         let content = request.content().clone();
    /// #         let reply = match content.as_list().and_then(|c| c.first()).and_then(Value::as_str) {
    /// #             Some("get_progress") => Value::from(42.5),
    /// #             _ => content,
    /// #         };
    /// #         request.reply(reply).unwrap();
    /// #     }
    /// # })
    /// # .await?;
    /// # let proxy = MosaikProxy::new(channel::open_connection(mosaik.addr(), ChannelOptions::default()).await?);
    /// proxy.set_event(120).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_event(&self, time: Time) -> Result<(), Error> {
        self.call("set_event", vec![time.into()]).await.map(drop)
    }
}
