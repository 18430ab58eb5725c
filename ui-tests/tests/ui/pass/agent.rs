//! `#[aiomas::agent]` generates what `#[aiomas::service]` does.

use std::sync::Mutex;

use aiomas::rpc::Service;

pub struct Pinger {
    pings: Mutex<u32>,
}

#[aiomas::agent]
impl Pinger {
    #[expose]
    async fn ping(&self, n: u32) -> u32 {
        let mut pings = self.pings.lock().unwrap();
        *pings += 1;
        n + 1
    }

    #[aiomas::expose(name = "count")]
    fn pings(&self) -> u32 {
        *self.pings.lock().unwrap()
    }
}

#[allow(dead_code)]
async fn remote(pinger: PingerProxy) -> aiomas::Result<u32> {
    let n = pinger.ping(1).await?;
    Ok(n + pinger.pings().await?)
}

fn main() {
    let pinger = Pinger {
        pings: Mutex::new(0),
    };
    assert_eq!(pinger.class_name(), "Pinger");
    assert!(matches!(
        pinger.route("ping"),
        aiomas::rpc::Route::Method(_)
    ));
    // Not `async`: run in place by the server, without a future.
    assert!(matches!(
        pinger.route("count"),
        aiomas::rpc::Route::Inline(_)
    ));
    assert!(matches!(
        pinger.route("pings"),
        aiomas::rpc::Route::NotExposed
    ));
}
