pub struct Counter {
    count: u64,
}

#[aiomas::service]
impl Counter {
    #[expose]
    fn increment(&mut self) -> u64 {
        self.count += 1;
        self.count
    }
}

fn main() {}
