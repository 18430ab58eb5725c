pub struct Greeter {
    greeting: String,
}

#[aiomas::service]
impl Greeter {
    #[expose]
    fn greeting(&self) -> &str {
        &self.greeting
    }
}

fn main() {}
