//! Checks of calls into the Python peers: remote errors, and the calls that the agent interop
//! tests make into a Python agent (`agent_peer.py`'s `PyAgent`, `tls_agent_peer.py`'s
//! `TlsAgent`: both have `greet(who, punctuation='!')` and `add(a, b)`).

use std::fmt::Debug;
use std::future::Future;

use aiomas::agent::Container;
use aiomas::channel::Retry;
use aiomas::rpc::Proxy;
use aiomas::{ConnectionError, ConnectionErrorKind, Error, RemoteError, Value};

/// The remote exception inside `result`, or a panic naming `what`.
pub fn remote_error<T: Debug>(what: &str, result: Result<T, Error>) -> RemoteError {
    match result {
        Err(Error::Remote(remote)) => remote,
        other => panic!("{what}: expected a remote exception, got {other:?}"),
    }
}

/// Calls the Python agent at `url` through a dynamic proxy from `container`: it is shown as
/// `<proxy_name>('<url>')`, shares the connection of `typed` (a typed proxy of the same
/// agent), passes keyword arguments (`greet(who, punctuation='?')`, `add(a=1, b=2)`), and a
/// method the agent does not have is a remote `LookupError`.
pub async fn check_dynamic_proxy(
    container: &Container,
    url: &str,
    typed: &Proxy,
    proxy_name: &str,
    who: &str,
) {
    let dynamic = container.connect(url, Retry::Never).await.unwrap();
    assert_eq!(dynamic.to_string(), format!("{proxy_name}('{url}')"));
    assert_eq!(
        dynamic.channel().unwrap().id(),
        typed.channel().unwrap().id()
    );
    let greeting = dynamic
        .call_kw(
            "greet",
            vec![who.into()],
            vec![("punctuation".into(), "?".into())],
        )
        .await
        .unwrap();
    assert_eq!(greeting, Value::from(format!("Hello, {who}?")));
    let sum = dynamic
        .call_kw(
            "add",
            vec![],
            vec![("a".into(), 1.into()), ("b".into(), 2.into())],
        )
        .await
        .unwrap();
    assert_eq!(sum, Value::from(3));
    let err = remote_error("nope()", dynamic.call("nope", vec![]).await);
    assert_eq!(err.kind(), Some("LookupError"), "{err}");
}

/// Runs `add(i, i)` for `i` in `0..50` concurrently (each in a task of its own) and checks
/// that every call gets its own result.
pub async fn check_concurrent_adds<F, Fut>(add: F)
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = i64> + Send + 'static,
{
    let calls: Vec<_> = (0..50).map(|i| tokio::spawn(add(i))).collect();
    for (i, call) in calls.into_iter().enumerate() {
        assert_eq!(call.await.unwrap(), 2 * i as i64);
    }
}

/// Connects from `container` to agent 7 of the container of the agent at `url` (agent 0),
/// which does not exist: the connection error, of kind
/// [`NoSuchAgent`](ConnectionErrorKind::NoSuchAgent).
pub async fn no_such_agent(container: &Container, url: &str) -> ConnectionError {
    let missing = format!("{}7", url.trim_end_matches('0'));
    match container.connect(&missing, Retry::Never).await {
        Err(Error::Connection(err)) => {
            assert_eq!(err.kind(), ConnectionErrorKind::NoSuchAgent, "{err}");
            err
        }
        other => panic!("expected NoSuchAgent, got {other:?}"),
    }
}
