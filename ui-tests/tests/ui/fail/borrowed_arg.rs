pub struct Greeter;

#[aiomas::service]
impl Greeter {
    #[expose]
    fn greet(&self, name: &str) -> String {
        format!("Hello, {name}!")
    }
}

fn main() {}
