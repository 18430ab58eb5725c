//! The `ohai` / `cya` exchange of the channel examples, for tests of connections: a server
//! that answers it, a client that checks it, and one whose connection is refused.

use aiomas::channel::{self, Addr, ChannelOptions, Server};
use aiomas::{Error, Value};

use crate::within;

/// A channel server on `addr` that answers `"ohai"` with `"cya"` and echoes anything else.
///
/// # Panics
///
/// If it cannot be started.
pub async fn echo_server(addr: Addr, options: ChannelOptions) -> Server {
    channel::start_server(addr, options, |channel| async move {
        while let Ok(request) = channel.recv().await {
            let reply = match request.content() {
                Value::Str(s) if s == "ohai" => Value::from("cya"),
                other => other.clone(),
            };
            let _ = request.reply(reply);
        }
    })
    .await
    .expect("start_server")
}

/// Connects to `addr` with `options` and checks an `ohai`/`cya` round trip.
pub async fn assert_works(addr: &Addr, options: ChannelOptions) {
    let channel = within(10.0, "connect", channel::open_connection(addr, options))
        .await
        .unwrap_or_else(|err| panic!("a good client cannot connect to {addr}: {err}"));
    let reply = within(10.0, "ohai", channel.send("ohai")).await.unwrap();
    assert_eq!(reply, Value::from("cya"));
    channel.close().await;
}

/// The error of connecting to `addr` with `options` and sending one request: a TLS 1.3 server
/// refuses a client certificate after the client's handshake is done, so it shows on the first
/// request.
pub async fn refusal(addr: &Addr, options: ChannelOptions) -> Error {
    within(10.0, "refused connection", async {
        match channel::open_connection(addr, options).await {
            Err(err) => err,
            Ok(channel) => channel
                .send("ohai")
                .await
                .expect_err("the request of a refused client succeeded"),
        }
    })
    .await
}
