//! A type without `#[aiomas::agent]` / `#[aiomas::service]` cannot be spawned or served; the
//! errors say which attribute to add.

use aiomas::agent::{AgentContext, Container};
use aiomas::channel::{Addr, ChannelOptions};

pub struct Forgotten {
    pub ctx: AgentContext,
}

impl Forgotten {
    pub fn hello(&self) -> String {
        "hi".to_owned()
    }
}

async fn start(container: Container) -> aiomas::Result<()> {
    container.spawn(|ctx| Forgotten { ctx });
    Ok(())
}

pub struct Calculator;

impl Calculator {
    pub fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

async fn serve() -> aiomas::Result<()> {
    let addr = Addr::tcp("127.0.0.1", 0);
    let server = aiomas::rpc::start_server(addr, Calculator, ChannelOptions::default()).await?;
    server.close().await;
    Ok(())
}

fn main() {
    let _ = (start, serve);
}
