//! A codec of the user's, end to end: typed calls, extension types, service references passed
//! back and exceptions travel through it, every frame is its format, and a peer with another
//! codec cannot be understood.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::codec::{Incoming, MessageCodec, Outgoing};
use aiomas::rpc::{self, Exception, FromProxy};
use aiomas::{Error, ExtensionType, Home, ServiceRef};
use serde::{Deserialize, Serialize};

/// How many messages a codec wrote and read.
#[derive(Debug, Default)]
struct Counts {
    encoded: AtomicUsize,
    decoded: AtomicUsize,
}

/// Pretty-printed JSON behind a `P` byte; counts what it writes and reads.
#[derive(Debug, Default, Clone)]
struct TaggedJson(Arc<Counts>);

impl MessageCodec for TaggedJson {
    fn name(&self) -> &str {
        "tagged-json"
    }

    fn encode(&self, message: &Outgoing<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        self.0.encoded.fetch_add(1, Ordering::SeqCst);
        out.push(b'P');
        let mut serializer = serde_json::Serializer::pretty(&mut *out);
        message
            .serialize(&mut serializer)
            .map_err(|err| Error::Serialization(err.to_string()))
    }

    fn decode(&self, body: &[u8], message: &mut Incoming<'_>) -> Result<(), Error> {
        self.0.decoded.fetch_add(1, Ordering::SeqCst);
        let json = body
            .strip_prefix(b"P")
            .ok_or_else(|| Error::Deserialization("not a tagged frame".into()))?;
        assert!(json.contains(&b'\n'), "frames are pretty-printed");
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        message
            .deserialize(&mut deserializer)
            .map_err(|err| Error::Deserialization(err.to_string()))?;
        deserializer
            .end()
            .map_err(|err| Error::Deserialization(err.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: String,
    values: Vec<f64>,
    unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, aiomas::ExtensionType)]
#[aiomas(name = "Point")]
struct Point {
    x: i32,
    y: i32,
}

struct Station;

#[aiomas::service]
impl Station {
    #[expose]
    fn scale(&self, reading: Reading, #[default(2.0)] factor: f64) -> Reading {
        Reading {
            values: reading.values.iter().map(|v| v * factor).collect(),
            ..reading
        }
    }

    #[expose]
    fn mirror(&self, point: Point) -> Point {
        Point {
            x: -point.x,
            y: -point.y,
        }
    }

    #[expose]
    fn refuse(&self, why: String) -> Result<(), Exception> {
        Err(Exception::new("ValueError", why))
    }

    /// Where a service reference points once it arrived.
    #[expose]
    fn home_of(&self, service: ServiceRef) -> String {
        let over_a_connection = matches!(service.home, Home::Connection(_));
        format!("{:?} over a connection: {over_a_connection}", service.path)
    }
}

fn options(codec: &TaggedJson) -> ChannelOptions {
    let serializers = aiomas::codec::Serializers::new().with_type(Point::NAME);
    ChannelOptions::default()
        .custom_codec(codec.clone())
        .serializers(serializers)
}

#[tokio::test]
async fn typed_calls_travel_through_a_user_codec() {
    let server_codec = TaggedJson::default();
    let client_codec = TaggedJson::default();
    let server = rpc::start_server(Addr::tcp("127.0.0.1", 0), Station, options(&server_codec))
        .await
        .unwrap();
    let client = rpc::open_connection_serving(server.addr(), Station, options(&client_codec))
        .await
        .unwrap();
    let station: StationProxy = client.remote_as();

    let reading = Reading {
        sensor: "t1".into(),
        values: vec![1.5, -2.0],
        unit: None,
    };
    let scaled = station.scale(reading.clone(), 3.0).await.unwrap();
    assert_eq!(scaled.values, [4.5, -6.0]);
    assert_eq!(scaled.sensor, "t1");
    assert_eq!(
        station.mirror(Point { x: 1, y: -2 }).await.unwrap(),
        Point { x: -1, y: 2 }
    );
    let err = station.refuse("no, thanks".into()).await.unwrap_err();
    assert!(err.to_string().ends_with("ValueError: no, thanks"), "{err}");
    // A reference to our own service arrives as one to the peer's side of the connection.
    let mine = client.service_ref("").unwrap();
    let home = station.home_of(mine).await.unwrap();
    assert_eq!(home, "\"\" over a connection: true");
    // The dynamic proxy takes the same way.
    let dynamic = station
        .proxy()
        .call("scale", vec![aiomas::to_value(&reading).unwrap()]);
    let doubled: Reading = aiomas::from_value(dynamic.await.unwrap()).unwrap();
    assert_eq!(doubled.values, [3.0, -4.0]);

    // Every frame went through the codec, both ways (5 calls, each a request and a reply).
    for codec in [&server_codec, &client_codec] {
        assert_eq!(codec.0.encoded.load(Ordering::SeqCst), 5);
        assert_eq!(codec.0.decoded.load(Ordering::SeqCst), 5);
    }
    client.close().await;

    // A peer speaking plain JSON cannot be understood by the server.
    let stranger = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let err = stranger.remote().call("scale", vec![]).await.unwrap_err();
    assert!(matches!(err, Error::Connection(_)), "{err}");
    server.close().await;
}
