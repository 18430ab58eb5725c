use std::rc::Rc;

pub struct Sleeper;

#[aiomas::service]
impl Sleeper {
    #[expose]
    async fn nap(&self) -> u64 {
        let counter = Rc::new(1);
        std::future::ready(()).await;
        *counter
    }
}

fn main() {}
