use std::sync::Arc;

pub struct NotAsync;

#[aiomas::agent]
impl NotAsync {
    #[on_start]
    fn start(self: Arc<Self>) {}
}

pub struct ByRef;

#[aiomas::agent]
impl ByRef {
    #[on_start]
    async fn start(&self) {}
}

pub struct Twice;

#[aiomas::agent]
impl Twice {
    #[on_start]
    async fn start(self: Arc<Self>, _late: u64) {}
}

fn main() {}
