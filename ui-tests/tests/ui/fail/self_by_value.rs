pub struct Counter;

#[aiomas::service]
impl Counter {
    #[expose]
    fn consume(self) -> u64 {
        0
    }
}

fn main() {}
