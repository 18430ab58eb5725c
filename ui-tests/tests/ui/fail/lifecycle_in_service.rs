use std::sync::Arc;

pub struct Worker;

#[aiomas::service]
impl Worker {
    #[on_start]
    async fn start(self: Arc<Self>) {}
}

fn main() {}
