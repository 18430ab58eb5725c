pub struct Counter;

#[aiomas::service]
impl Counter {
    #[expose]
    fn create(start: u64) -> u64 {
        start
    }
}

fn main() {}
