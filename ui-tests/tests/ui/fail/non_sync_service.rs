use std::cell::Cell;

pub struct Counter {
    count: Cell<u64>,
}

#[aiomas::service]
impl Counter {
    #[expose]
    fn increment(&self) -> u64 {
        self.count.set(self.count.get() + 1);
        self.count.get()
    }
}

fn main() {}
