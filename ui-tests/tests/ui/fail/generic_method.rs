pub struct Echo;

#[aiomas::service]
impl Echo {
    #[expose]
    fn echo<T: serde::Serialize>(&self, value: T) -> T {
        value
    }
}

fn main() {}
