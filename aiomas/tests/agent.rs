//! The agent layer: containers, agent ids and addresses, connect, callbacks, dates, shutdown.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aiomas::agent::{AgentContext, Container, ContainerOptions};
use aiomas::channel::{Addr, Retry};
use aiomas::codec::Codec;
use aiomas::rpc::Proxy;
use aiomas::{ConnectionErrorKind, Date, Error, Value};

struct Callee;

#[aiomas::agent]
impl Callee {
    /// Returns a lot of spam.
    #[expose]
    fn spam(&self, times: usize) -> String {
        "spam".repeat(times)
    }

    #[expose]
    fn tomorrow(&self, date: Date) -> Date {
        Date(*date + chrono::Duration::days(1))
    }
}

struct Caller {
    ctx: AgentContext,
    calls: AtomicU64,
}

#[aiomas::agent]
impl Caller {
    /// Calls `callee` back with a reference to this agent.
    #[expose]
    async fn introduce(&self, callee_url: String) -> Result<String, Error> {
        let callee = self.ctx.connect(&callee_url).await?;
        callee
            .call("greet", vec![Value::from(self.ctx.me())])
            .await
            .map(|v| v.to_string())
    }

    #[expose]
    fn ping(&self) -> u64 {
        self.calls.fetch_add(1, Ordering::SeqCst) + 1
    }
}

struct Greeter;

#[aiomas::agent]
impl Greeter {
    #[expose]
    async fn greet(&self, caller: Proxy) -> Result<String, Error> {
        let count = caller.call("ping", vec![]).await?;
        Ok(format!("pinged {count} time(s)"))
    }
}

async fn container(codec: Codec) -> Container {
    Container::create(
        Addr::tcp("127.0.0.1", 0),
        ContainerOptions::default().codec(codec),
    )
    .await
    .unwrap()
}

fn bounded<F: std::future::Future>(f: F) -> tokio::time::Timeout<F> {
    tokio::time::timeout(Duration::from_secs(20), f)
}

#[tokio::test]
async fn agents_get_decimal_ids_and_addresses_and_a_typed_proxy_shows_its_class() {
    bounded(async {
        let c = container(Codec::Json).await;
        let callee = c.spawn(|_| Callee).unwrap();
        let caller = c
            .spawn(|ctx| Caller {
                ctx,
                calls: AtomicU64::new(0),
            })
            .unwrap();
        assert_eq!(caller.ctx.id(), "1");
        assert_eq!(caller.ctx.addr(), format!("{}1", c.base_url()));
        assert_eq!(
            caller.ctx.to_string(),
            format!("Caller('{}1')", c.base_url())
        );
        let _ = callee;

        let url = format!("{}0", c.base_url());
        let proxy: CalleeProxy = c.connect_as(&url, Retry::Never).await.unwrap();
        assert_eq!(proxy.to_string(), format!("CalleeProxy('{url}')"));
        assert_eq!(proxy.spam(3).await.unwrap(), "spamspamspam");
        c.shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn connect_errors_match_python() {
    bounded(async {
        let c = container(Codec::MsgPack).await;
        let err = c
            .connect("tcp://127.0.0.1:1", Retry::Never)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Cannot parse agent URL \"tcp://127.0.0.1:1\": no agent ID specified"
        );
        let missing = format!("{}7", c.base_url());
        let err = c.connect(&missing, Retry::Never).await.unwrap_err();
        let port = c.addr().unwrap().port().unwrap();
        match err {
            Error::Connection(e) => {
                assert_eq!(e.kind(), ConnectionErrorKind::NoSuchAgent);
                assert_eq!(
                    e.to_string(),
                    format!("Agent \"7\" does not exist in Container(('127.0.0.1', {port}))")
                );
            }
            other => panic!("{other:?}"),
        }
        let closed = Container::create(Addr::tcp("127.0.0.1", 0), ContainerOptions::default())
            .await
            .unwrap();
        let url = format!("{}0", closed.base_url());
        closed.shutdown().await;
        let err = c.connect(&url, Retry::Never).await.unwrap_err();
        assert!(
            matches!(&err, Error::Connection(e) if e.kind() == ConnectionErrorKind::Refused),
            "{err:?}"
        );
        c.shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn agents_pass_themselves_and_get_called_back_across_containers() {
    bounded(async {
        let a = container(Codec::MsgPackBlosc).await;
        let b = container(Codec::MsgPackBlosc).await;
        let caller = a
            .spawn(|ctx| Caller {
                ctx,
                calls: AtomicU64::new(0),
            })
            .unwrap();
        b.spawn(|_| Greeter).unwrap();
        let greeted = caller
            .introduce(format!("{}0", b.base_url()))
            .await
            .unwrap();
        assert_eq!(greeted, "\"pinged 1 time(s)\"");
        assert_eq!(caller.calls.load(Ordering::SeqCst), 1);
        a.shutdown().await;
        b.shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn concurrent_connects_share_one_connection() {
    bounded(async {
        let a = container(Codec::Json).await;
        let b = container(Codec::Json).await;
        for _ in 0..10 {
            b.spawn(|_| Callee).unwrap();
        }
        let urls: Vec<String> = (0..10).map(|i| format!("{}{i}", b.base_url())).collect();
        let proxies = futures_join(urls.iter().map(|url| a.connect(url, Retry::Never))).await;
        let channels: std::collections::HashSet<u64> = proxies
            .iter()
            .map(|p| p.as_ref().unwrap().channel().unwrap().id())
            .collect();
        assert_eq!(
            channels.len(),
            1,
            "every agent of one container shares one connection"
        );
        a.shutdown().await;
        b.shutdown().await;
    })
    .await
    .unwrap();
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(f);
    }
    let mut out = Vec::new();
    // Poll them concurrently on this task.
    let joined = async {
        let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
        let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (i, f) in pinned.iter_mut().enumerate() {
                if results[i].is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(v) => results[i] = Some(v),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        results.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>()
    };
    out.extend(joined.await);
    out
}

#[tokio::test]
async fn dates_travel_as_arrow_dates_and_come_back_as_chrono() {
    bounded(async {
        let c = container(Codec::Json).await;
        c.spawn(|_| Callee).unwrap();
        let proxy: CalleeProxy = c
            .connect_as(&format!("{}0", c.base_url()), Retry::Never)
            .await
            .unwrap();
        let date: Date = "2016-01-01T00:00:00+01:00".parse().unwrap();
        let next = proxy.tomorrow(date).await.unwrap();
        assert_eq!(next.to_string(), "2016-01-02T00:00:00+01:00");
        c.shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn unix_and_local_containers() {
    bounded(async {
        let path =
            std::env::temp_dir().join(format!("aiomas-agent-test-{}.sock", std::process::id()));
        for addr in [
            Addr::unix(&path),
            Addr::local(format!("agents-{}", std::process::id())),
        ] {
            let c = Container::create(addr, ContainerOptions::default())
                .await
                .unwrap();
            c.spawn(|_| Callee).unwrap();
            let url = format!("{}0", c.base_url());
            let proxy: CalleeProxy = c.connect_as(&url, Retry::Never).await.unwrap();
            assert_eq!(proxy.spam(1).await.unwrap(), "spam");
            c.shutdown().await;
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn connect_retries_until_the_container_appears() {
    bounded(async {
        let a = container(Codec::Json).await;
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let b = Container::create(Addr::tcp("127.0.0.1", port), ContainerOptions::default())
                .await
                .unwrap();
            b.spawn(|_| Callee).unwrap();
            b
        });
        let url = format!("tcp://127.0.0.1:{port}/0");
        let proxy: CalleeProxy = a
            .connect_as(&url, Retry::For(Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(proxy.spam(2).await.unwrap(), "spamspam");
        a.shutdown().await;
        late.await.unwrap().shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn shutdown_stops_agent_tasks_and_closes_connections() {
    bounded(async {
        let a = container(Codec::Json).await;
        let b = container(Codec::Json).await;
        b.spawn(|_| Callee).unwrap();
        let ticks = Arc::new(AtomicU64::new(0));
        let caller = a
            .spawn(|ctx| Caller {
                ctx,
                calls: AtomicU64::new(0),
            })
            .unwrap();
        let t = ticks.clone();
        caller.ctx.spawn(async move {
            // `for` rather than `loop`: a task's output is `()` or a `Result`, not `!`.
            for _ in 0.. {
                t.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        let proxy = a
            .connect(&format!("{}0", b.base_url()), Retry::Never)
            .await
            .unwrap();
        a.shutdown().await;
        let after = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            after,
            "agent task still running after shutdown"
        );
        assert!(proxy.call("spam", vec![1.into()]).await.is_err());
        b.shutdown().await;
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn an_agent_task_can_shut_its_own_container_down() {
    bounded(async {
        let c = container(Codec::Json).await;
        let port = c.addr().unwrap().port().unwrap();
        let agent = c
            .spawn(|ctx| Caller {
                ctx,
                calls: AtomicU64::new(0),
            })
            .unwrap();
        let container = c.clone();
        let done = agent.ctx.spawn(async move { container.shutdown().await });
        let _ = done.await;
        // The shutdown ran to the end even though it stopped the task that started it.
        for _ in 0..100 {
            if c.addr().is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(c.addr().is_none(), "the server is still running");
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "the port still accepts"
        );
    })
    .await
    .unwrap();
}
