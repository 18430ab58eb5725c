//! Call counters and call spans: the counters after a known sequence of calls, exactly (calls,
//! errors, bytes as the frames' sizes), and the spans a subscriber sees (names, fields,
//! nesting), or does not see when it filters them out.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiomas::channel::{self, Addr, Channel, ChannelOptions, Stats, CALL_TRACE_TARGET};
use aiomas::rpc::{self, Exception};
use aiomas::Error;
use aiomas_tests::within;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{Layer, Registry};

/// A JSON frame's size on the wire: the 4-byte header and the compact JSON body.
fn frame(body: &str) -> u64 {
    4 + body.len() as u64
}

/// The JSON body of an exception reply to request `id` (`kind: message`, as a traceback).
fn exception_body(id: u64, kind: &str, message: &str) -> String {
    let text =
        format!("Traceback (most recent call last):\n  (remote Rust code)\n{kind}: {message}\n");
    format!("[2,{id},{}]", serde_json::to_string(&text).unwrap())
}

/// A server that answers `"ok"` with `"ok"`, fails `"bad"`, drops `"drop"` and holds `"hold"`
/// until `"release"` comes; it hands its end of the connection out. With a client connected.
async fn scripted_server(name: &str) -> (channel::Server, Arc<Mutex<Option<Channel>>>, Channel) {
    let served: Arc<Mutex<Option<Channel>>> = Arc::default();
    let handed = served.clone();
    let server = channel::start_server(
        Addr::local(name),
        ChannelOptions::default(),
        move |channel| {
            *handed.lock().unwrap() = Some(channel.clone());
            async move {
                let mut held = None;
                while let Ok(request) = channel.recv().await {
                    match request.content().as_str() {
                        Some("ok") => request.reply("ok").unwrap(),
                        Some("bad") => request.fail("ValueError", "no").unwrap(),
                        Some("hold") => held = Some(request),
                        Some("release") => {
                            held.take().expect("a held request").reply("late").unwrap();
                            request.reply("released").unwrap();
                        }
                        _ => drop(request),
                    }
                }
            }
        },
    )
    .await
    .unwrap();
    let client = channel::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    (server, served, client)
}

#[tokio::test]
async fn counters_match_a_known_sequence_of_calls_exactly() {
    let (server, served, client) = scripted_server("stats-sequence").await;
    assert_eq!(
        client.stats(),
        Stats {
            connections_open: 1,
            ..Stats::default()
        }
    );

    assert_eq!(
        within(5.0, "ok", client.send("ok")).await.unwrap(),
        "ok".into()
    );
    assert!(matches!(
        within(5.0, "bad", client.send("bad")).await,
        Err(Error::Remote(_))
    ));
    assert!(matches!(
        within(5.0, "drop", client.send("drop")).await,
        Err(Error::Remote(_))
    ));
    // One call held by the server: in flight on both ends.
    let held = tokio::spawn({
        let client = client.clone();
        async move { client.send("hold").await }
    });
    let server_end = within(5.0, "the server's end", async {
        loop {
            let channel = served.lock().unwrap().clone();
            match channel {
                Some(channel) if channel.stats().calls_in_flight == 1 => break channel,
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert_eq!(client.stats().calls_in_flight, 1);
    let released = within(5.0, "release", client.send("release"))
        .await
        .unwrap();
    assert_eq!(released, "released".into());
    assert_eq!(
        within(5.0, "held", held).await.unwrap().unwrap(),
        "late".into()
    );

    let requests = [
        r#"[0,0,"ok"]"#,
        r#"[0,1,"bad"]"#,
        r#"[0,2,"drop"]"#,
        r#"[0,3,"hold"]"#,
        r#"[0,4,"release"]"#,
    ];
    let replies = [
        r#"[1,0,"ok"]"#.to_owned(),
        exception_body(1, "ValueError", "no"),
        exception_body(2, "RuntimeError", "the request was dropped without a reply"),
        r#"[1,3,"late"]"#.to_owned(),
        r#"[1,4,"released"]"#.to_owned(),
    ];
    let requests: u64 = requests.iter().map(|body| frame(body)).sum();
    let replies: u64 = replies.iter().map(|body| frame(body)).sum();
    assert_eq!(
        client.stats(),
        Stats {
            calls_sent: 5,
            calls_served: 0,
            errors: 2,
            bytes_in: replies,
            bytes_out: requests,
            calls_in_flight: 0,
            connections_open: 1,
        }
    );
    assert_eq!(
        server_end.stats(),
        Stats {
            calls_sent: 0,
            calls_served: 5,
            errors: 2,
            bytes_in: requests,
            bytes_out: replies,
            calls_in_flight: 0,
            connections_open: 1,
        }
    );

    client.close().await;
    let closed = client.stats();
    assert_eq!((closed.connections_open, closed.calls_sent), (0, 5));
    server.close().await;
}

#[tokio::test]
async fn a_timed_out_call_is_an_error_and_leaves_nothing_in_flight() {
    let (server, _served, client) = scripted_server("stats-timeout").await;
    let timeout = Some(Duration::from_millis(20));
    let err = within(5.0, "hold", client.send_with_timeout("hold", timeout))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let stats = client.stats();
    assert_eq!(
        (stats.calls_sent, stats.errors, stats.calls_in_flight),
        (1, 1, 0)
    );
    assert_eq!(stats.bytes_out, frame(r#"[0,0,"hold"]"#));
    server.close().await;
}

// --- spans -----------------------------------------------------------------------------------

/// A closed span as the subscriber saw it.
#[derive(Debug, Clone)]
struct SpanRecord {
    name: &'static str,
    target: String,
    fields: BTreeMap<String, String>,
}

/// What the collecting layer saw: closed spans in closing order, and for each event the name
/// of the span it happened in.
#[derive(Default)]
struct Collected {
    open: HashMap<u64, SpanRecord>,
    closed: Vec<SpanRecord>,
    events: Vec<(String, Option<&'static str>)>,
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Collected>>);

impl Collect {
    fn spans(&self, name: &str) -> Vec<SpanRecord> {
        let collected = self.0.lock().unwrap();
        collected
            .closed
            .iter()
            .filter(|span| span.name == name)
            .cloned()
            .collect()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.to_string());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Collect {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut record = SpanRecord {
            name: attrs.metadata().name(),
            target: attrs.metadata().target().to_owned(),
            fields: BTreeMap::new(),
        };
        attrs.record(&mut Fields(&mut record.fields));
        self.0.lock().unwrap().open.insert(id.into_u64(), record);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut collected = self.0.lock().unwrap();
        if let Some(record) = collected.open.get_mut(&id.into_u64()) {
            values.record(&mut Fields(&mut record.fields));
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let mut collected = self.0.lock().unwrap();
        if let Some(record) = collected.open.remove(&id.into_u64()) {
            collected.closed.push(record);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|span| span.name());
        let message = fields.remove("message").unwrap_or_default();
        self.0.lock().unwrap().events.push((message, span));
    }
}

struct Calculator;

#[aiomas::service]
impl Calculator {
    #[expose]
    fn add(&self, a: i64, b: i64) -> i64 {
        tracing::info!("adding");
        a + b
    }

    #[expose]
    fn div(&self, a: i64, b: i64) -> Result<i64, Exception> {
        a.checked_div(b)
            .ok_or_else(|| Exception::new("ZeroDivisionError", "division by zero"))
    }
}

/// Two calls (one fails) from a client to a calculator, all in this thread, under `subscriber`.
async fn two_calls(name: &str) -> (String, Stats) {
    let server = rpc::start_server(Addr::local(name), Calculator, ChannelOptions::default())
        .await
        .unwrap();
    let client = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let calc: CalculatorProxy = client.remote_as();
    assert_eq!(within(5.0, "add", calc.add(1, 2)).await.unwrap(), 3);
    let err = within(5.0, "div", calc.div(1, 0)).await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with("ZeroDivisionError: division by zero"),
        "{err}"
    );
    let peer = client.channel().peer().to_owned();
    let stats = client.stats();
    client.close().await;
    server.close().await;
    (peer, stats)
}

#[tokio::test]
async fn every_sent_and_served_call_has_a_span_with_its_fields() {
    let collect = Collect::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(collect.clone()));
    let (peer, stats) = two_calls("spans-on").await;
    assert_eq!((stats.calls_sent, stats.errors), (2, 1));

    let field = |span: &SpanRecord, name: &str| span.fields.get(name).cloned().unwrap_or_default();
    let sent = collect.spans("send");
    assert_eq!(sent.len(), 2, "{sent:?}");
    let served = collect.spans("serve");
    assert_eq!(served.len(), 2, "{served:?}");
    for (spans, peer) in [(&sent, Some(peer.as_str())), (&served, None)] {
        for (span, (id, path, outcome)) in spans
            .iter()
            .zip([("0", "add", "result"), ("1", "div", "exception")])
        {
            assert_eq!(span.target, CALL_TRACE_TARGET);
            assert_eq!(field(span, "msg_id"), id, "{span:?}");
            assert_eq!(field(span, "path"), path, "{span:?}");
            assert_eq!(field(span, "outcome"), outcome, "{span:?}");
            let duration: u64 = field(span, "duration_us").parse().expect("a duration");
            assert!(duration < 5_000_000, "{span:?}");
            match peer {
                Some(peer) => assert_eq!(field(span, "peer"), peer, "{span:?}"),
                // The server's name for the client: its end of the in-process queue.
                None => assert!(!field(span, "peer").is_empty(), "{span:?}"),
            }
        }
    }
    // The exposed method runs inside its call's span.
    let events = collect.0.lock().unwrap().events.clone();
    assert!(
        events.contains(&("adding".to_owned(), Some("serve"))),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_subscriber_that_filters_debug_out_gets_no_call_spans() {
    let collect = Collect::default();
    let subscriber = Registry::default().with(collect.clone().with_filter(LevelFilter::INFO));
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_, stats) = two_calls("spans-off").await;
    // The calls are counted all the same.
    assert_eq!((stats.calls_sent, stats.errors), (2, 1));
    let collected = collect.0.lock().unwrap();
    assert!(
        collected.closed.is_empty() && collected.open.is_empty(),
        "{:?}",
        collected.closed
    );
    // INFO events still pass, outside any span.
    assert_eq!(collected.events, [("adding".to_owned(), None)]);
}
